"""CoapStationLink's setpoints keep their order, whatever the transport does with timing."""

from __future__ import annotations

import asyncio

from custom_components.ev_v2g.const import CONTROL_MANUAL
from custom_components.ev_v2g.core.station import Station
from custom_components.ev_v2g.links.coap import CoapStationLink
from custom_components.ev_v2g.sharing.inputs import SharingOptions
from custom_components.ev_v2g.sharing.power_sharing import PowerSharing
from custom_components.ev_v2g.transport.coap.payloads import RegulatorState


class SlowFirstClient:
    """A client whose first PUT /regulator takes longer than the next (as a slow lookup would)."""

    def __init__(self) -> None:
        """Nothing applied yet."""
        self.applied: list[float] = []
        self.calls = 0

    async def set_setpoint(self, setpoint_a: float, until: int) -> RegulatorState | None:
        """Apply the setpoint after a delay that is longest for the first call."""
        self.calls += 1
        await asyncio.sleep(0.1 if self.calls == 1 else 0.0)
        self.applied.append(setpoint_a)
        return None


async def test_a_newer_setpoint_is_never_overtaken_by_an_older_one() -> None:
    """The allocator's 0 A, asked first, cannot land after the user's 16 A asked next."""
    client = SlowFirstClient()
    link = CoapStationLink(Station(key="k", name="Bay"), client)  # type: ignore[arg-type]
    await asyncio.gather(link.set_setpoint(0.0), link.set_setpoint(16.0))
    assert client.applied == [0.0, 16.0]
    assert link.desired_setpoint_a == 16.0
    await link.stop()


async def test_a_lease_refresh_never_resends_a_setpoint_replaced_while_it_waited() -> None:
    """Back in contact, the refresh of the old 0 A waits behind the user's 16 A: it sends 16 A.

    The refresh used to read the setpoint before taking its turn, so the 0 A it had read went
    out after the user's 16 A and stopped the car (seen after a station restart).
    """
    client = SlowFirstClient()
    link = CoapStationLink(Station(key="k", name="Bay"), client)  # type: ignore[arg-type]
    link.lease.desired_setpoint_a = 0.0
    link.station.connect()
    user = asyncio.create_task(link.set_setpoint(16.0))  # takes the turn first, and is slow
    await asyncio.sleep(0)
    refresh = asyncio.create_task(link.lease._renew())
    await asyncio.gather(user, refresh)
    assert client.applied[0] == 16.0
    assert set(client.applied) == {16.0}
    assert link.desired_setpoint_a == 16.0
    await link.stop()


async def test_a_setpoint_computed_before_the_user_took_over_is_dropped() -> None:
    """The allocator's 0 A, computed while coordinated, waits behind the user's 16 A: not sent.

    The user's command can take the link's turn before the allocator's send starts (both in one
    pass of the event loop); the 0 A then went out after the 16 A and stopped the car.
    """
    client = SlowFirstClient()
    link = CoapStationLink(Station(key="k", name="Bay"), client)  # type: ignore[arg-type]
    link.station.connect()
    sharing = PowerSharing(
        SharingOptions(supply_limit_a=32.0, phases=1, voltage_v=230.0), {"k": link}, {}
    )
    sharing.set_control_mode("k", CONTROL_MANUAL)
    user = asyncio.create_task(link.set_setpoint(16.0))  # takes the turn first, and is slow
    run = asyncio.create_task(
        sharing.delivery._send("k", 0.0, manual=False)
    )  # computed while coordinated
    await asyncio.gather(user, run)
    assert client.applied == [16.0]
    assert link.desired_setpoint_a == 16.0
    await sharing.stop()
    await link.stop()
