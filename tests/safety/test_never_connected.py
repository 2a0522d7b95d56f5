"""A charge point enrolled but not (yet) connected counts at the fallback it holds, not its max.

The site's rule gives each connector an equal share of the supply as its stack-level-0
fallback (DESIGN.md section 6); a charge point out of contact draws at most that on its own.
Reserving its maximum instead paused every car on a small site. Once it connects, it keeps
that budget until it has said what its connector does (a StatusNotification, or a transaction):
one that began charging on its own while away draws its fallback from the first moment.
"""

from __future__ import annotations

import asyncio

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port
from hardware.station_sim.ocpp import SimulatedChargePoint
from hardware.station_sim.ports import free_tcp_port
from tests.charge_points.conftest import PASSWORD, charge_point_subentry, resident_subentry
from tests.common import resident, wait_for
from tests.conftest import station_subentry

from .conftest import LIMIT_A, applied_a, start_session


def bay_a() -> SimulatedStation:
    """Bay A's simulator, a car plugged in."""
    simulated = SimulatedStation(station_id="sim-a", max_age=1, tick=0.05, ramp_a_per_s=400)
    simulated.plug(Vehicle(capacity_kwh=60, soc=40, v2g=False))
    return simulated


async def garage_of(
    hass: HomeAssistant, ocpp_port: int, *subentries: ConfigSubentryData
) -> MockConfigEntry:
    """The 20 A garage (fair share) with these stations and Ann, set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data={"supply_limit_a": LIMIT_A, "phases": 1, "voltage_v": 230.0},
        options={"policy": "fair_share", "ocpp_port": ocpp_port},
        subentries_data=[*subentries, resident("ann", "Ann")],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_an_absent_charge_point_leaves_the_rest_to_the_others(
    hass: HomeAssistant, loopback: None
) -> None:
    """20 A, a CoAP bay and a 32 A charger never seen: the bay gets 10 A, not 0 A.

    When the charger connects and takes the fallback, its share is what it was counted at.
    """
    simulated = bay_a()
    port = free_tcp_port()
    async with StationServer(simulated, port=free_udp_port()) as server:
        entry = await garage_of(
            hass,
            port,
            station_subentry("Bay A", server.port),
            charge_point_subentry("cp-away", "Away"),
        )
        bay = next(s for s in entry.runtime_data.hub.stations.values() if s.name == "Bay A")
        await wait_for(hass, lambda: bay.available, what="Bay A in contact")
        await start_session(hass, "A", "ann")
        await wait_for(hass, lambda: applied_a(simulated) == 10, what="Bay A at 10 A")
        assert all(ma <= 10000 for _, ma in simulated.applied)

        charger = SimulatedChargePoint("cp-away", password=PASSWORD, tick=0.05)
        await charger.connect(f"ws://127.0.0.1:{port}")
        try:
            await wait_for(
                hass,
                lambda: any(
                    name == "SetChargingProfile"
                    and (payload.get("csChargingProfiles") or payload["chargingProfile"])[
                        "chargingProfilePurpose"
                    ]
                    == "TxDefaultProfile"
                    for name, payload in charger.state.received
                ),
                what="the fallback",
            )
            await wait_for(hass, lambda: applied_a(simulated) == 20, what="Bay A at 20 A")
            assert peak_a(simulated, charger.connectors[1].drawn) <= LIMIT_A
        finally:
            await charger.stop()
        assert await hass.config_entries.async_unload(entry.entry_id)


def peak_a(station: SimulatedStation, drawn: list[tuple[float, float]]) -> float:
    """The peak of Bay A's setpoint in force plus what the charger drew, at any moment.

    Both read from the simulators' own logs (monotonic time, the same clock).
    """
    events = sorted(
        [(at, 0, max(ma, 0) / 1000) for at, ma in station.applied]
        + [(at, 1, max(amps, 0.0)) for at, amps in drawn]
    )
    now = [0.0, 0.0]
    peak = 0.0
    for _, index, amps in events:
        now[index] = amps
        peak = max(peak, sum(now))
    return peak


@pytest.mark.parametrize(
    ("report_delay_s", "at_start_only"),
    [(0.0, False), (0.3, True)],
    ids=["reports-at-once", "reports-later-keeps-its-default"],
)
async def test_a_charger_that_began_charging_while_away(
    hass: HomeAssistant,
    loopback: None,
    short_lease: None,
    report_delay_s: float,
    at_start_only: bool,
) -> None:
    """Back from away and charging on its own: Bay A is not raised while the charger draws.

    20 A: Bay A charges, the idle charger drops out; once its 0 A limit lapses it is counted
    at its 10 A fallback (Bay A at 10 A), and a card starts a session on it (its local list)
    at that fallback. When it comes back, Bay A is never raised while the charger still draws,
    though the charger tells what it does only after it is back.
    """
    simulated = bay_a()
    port = free_tcp_port()
    async with StationServer(simulated, port=free_udp_port()) as server:
        entry = await garage_of(
            hass,
            port,
            station_subentry("Bay A", server.port),
            charge_point_subentry("cp-1", "Charger"),
            resident_subentry("Alice", "CARD-ALICE"),
        )
        charger = SimulatedChargePoint(
            "cp-1",
            password=PASSWORD,
            tick=0.05,
            meter_interval=0.2,
            report_delay_s=report_delay_s,
            tx_default_at_start_only=at_start_only,
        )
        await charger.connect(f"ws://127.0.0.1:{port}")
        try:
            await wait_for(
                hass, lambda: "CARD-ALICE" in charger.state.local_list, what="the local list"
            )
            await start_session(hass, "A", "ann")
            await wait_for(hass, lambda: applied_a(simulated) == 20, what="Bay A at 20 A")
            await charger.disconnect()
            await wait_for(
                hass, lambda: applied_a(simulated) == 10, within=15, what="Bay A at 10 A"
            )
            await charger.plug(1, soc=40)
            assert await charger.swipe(1, "CARD-ALICE")  # offline: its local list says yes
            connector = charger.connectors[1]
            await wait_for(hass, lambda: connector.current_a == 10, what="charging on its own")
            await charger.connect(f"ws://127.0.0.1:{port}")
            link = next(
                link
                for link in entry.runtime_data.hub.links.values()
                if link.station.name == "Charger"
            )
            await wait_for(hass, lambda: link.station.session is not None, what="its session")
            await asyncio.sleep(0.5)
            assert peak_a(simulated, connector.drawn) <= LIMIT_A
        finally:
            await charger.stop()
        assert await hass.config_entries.async_unload(entry.entry_id)
