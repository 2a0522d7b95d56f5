"""Failures of a station's transport, whatever its protocol (CoAP or OCPP)."""

from __future__ import annotations


class StationError(Exception):
    """Base class of station transport failures."""


class StationUnreachableError(StationError):
    """No answer from the station in time, or no connection to it."""


class StationRefusedError(StationError):
    """The station answered with a refusal (CoAP 4.00 / 4.03, OCPP Rejected, a CALLERROR)."""

    def __init__(self, resource: str, code: str, diagnostic: str) -> None:
        """Keep what was refused, the code and the station's own words."""
        super().__init__(f"{resource} answered {code}: {diagnostic}".rstrip(": "))
        self.resource = resource
        self.code = code
        self.diagnostic = diagnostic
