"""A station link that records what it was sent, and power sharing over such links."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import time

from custom_components.ev_v2g.core.capabilities import Capabilities
from custom_components.ev_v2g.core.records import Authorization, AuthorizationKind, Session
from custom_components.ev_v2g.core.resident import Resident
from custom_components.ev_v2g.core.station import Station
from custom_components.ev_v2g.sharing.inputs import SharingOptions
from custom_components.ev_v2g.sharing.power_sharing import PowerSharing
from custom_components.ev_v2g.transport.errors import StationUnreachableError


class FakeLink:
    """A station link that records what it was sent (no network: this is the unit level)."""

    def __init__(self, key: str, max_discharge_a: float = 0.0) -> None:
        """A connected station with a car plugged in."""
        self.station = Station(
            key=key,
            name=key.upper(),
            capabilities=Capabilities(max_discharge_a=max_discharge_a),
        )
        self.station.telemetry.plugged = True
        self.station.connect()
        self.desired_setpoint_a: float | None = None
        self.held_until: float | None = None
        self.cannot_be_limited = False
        self.known = True
        self.sent: list[float] = []
        self.fail = False
        self.delay = 0.0

    async def set_setpoint(
        self, setpoint_a: float, *, unless: Callable[[], bool] | None = None
    ) -> None:
        """Record the setpoint, or fail like a station that does not answer."""
        await asyncio.sleep(self.delay)
        if unless is not None and unless():
            return
        if self.fail:
            raise StationUnreachableError("no answer")
        self.sent.append(setpoint_a)
        self.desired_setpoint_a = setpoint_a
        self.station.telemetry.setpoint_a = setpoint_a

    def start_session(self, resident: Resident | None = None, at: float | None = None) -> None:
        """Authorize a session, as the switch does."""
        session = Session(
            id=Session.new_id(),
            station=self.station.key,
            resident=None if resident is None else resident.key,
            resident_name=None if resident is None else resident.name,
            authorization=Authorization(kind=AuthorizationKind.USER, by="test"),
            started_at=time.time() if at is None else at,
        )
        self.station.enable(session, resident)
        self.station.notify()


def sharing_of(*links: FakeLink, supply: float = 32.0, **options: object) -> PowerSharing:
    """A started PowerSharing over fake links on a single-phase 230 V supply."""
    sharing = PowerSharing(
        SharingOptions(supply_limit_a=supply, phases=1, voltage_v=230.0, **options),  # type: ignore[arg-type]
        {link.station.key: link for link in links},
        {},
    )
    sharing.start()
    return sharing
