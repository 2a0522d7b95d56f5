"""Failures of a command sent to a charge point."""

from __future__ import annotations

from ..errors import StationRefusedError, StationUnreachableError


class NotConnectedError(StationUnreachableError):
    """The charge point has no open connection to us (or it closed during the command)."""


class CommandTimeoutError(StationUnreachableError):
    """The charge point did not answer a command within the call timeout."""


class CommandRejectedError(StationRefusedError):
    """The charge point refused a command or answered it with a CALLERROR.

    ``resource`` is the OCPP action, ``code`` the status the charge point answered (e.g.
    ``Rejected``, ``NotSupported``) or the CALLERROR's error code, ``diagnostic`` its words.
    Two codes are ours: ``NoTransaction`` (the command needs a running transaction and the
    connector has none) and ``InvalidResponse`` (the answer did not match the schema).
    """
