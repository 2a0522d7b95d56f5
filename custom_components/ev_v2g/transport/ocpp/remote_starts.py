"""Remote starts we asked for, until the charge point reports their transaction."""

from __future__ import annotations

from dataclasses import dataclass
import time

REMOTE_START_TTL = 180.0
"""Seconds a RemoteStart / RequestStart waits for its transaction to be reported."""


@dataclass(slots=True)
class PendingRemoteStart:
    """A remote start whose transaction has not been reported yet."""

    connector: int
    id_tag: str
    remote_start_id: int | None
    expires: float


class RemoteStarts:
    """The pending remote starts of one charge point."""

    def __init__(self) -> None:
        """Start with none pending."""
        self._pending: list[PendingRemoteStart] = []

    def expect(
        self, connector: int, id_tag: str, remote_start_id: int | None = None
    ) -> PendingRemoteStart:
        """Remember a remote start before sending it (the charge point may report first)."""
        pending = PendingRemoteStart(
            connector, id_tag, remote_start_id, time.monotonic() + REMOTE_START_TTL
        )
        self._pending.append(pending)
        return pending

    def forget(self, pending: PendingRemoteStart) -> None:
        """Drop a remote start the charge point refused or did not answer."""
        if pending in self._pending:
            self._pending.remove(pending)

    def take(self, connector: int, id_tag: str | None, remote_start_id: int | None) -> bool:
        """Whether a transaction matches a pending remote start (which is then used up).

        It matches by 2.0.1 ``remoteStartId`` when the charge point gives one, else by
        connector and id tag.
        """
        if not self._pending:
            return False
        now = time.monotonic()
        self._pending = [item for item in self._pending if item.expires > now]
        for pending in self._pending:
            if (remote_start_id is not None and pending.remote_start_id == remote_start_id) or (
                pending.connector == connector and pending.id_tag == id_tag
            ):
                self._pending.remove(pending)
                return True
        return False
