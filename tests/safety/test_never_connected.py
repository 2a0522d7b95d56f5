"""A charge point enrolled but not (yet) connected counts at the fallback it holds, not its max.

The site's rule gives each connector an equal share of the supply as its stack-level-0
fallback (DESIGN.md section 6); a charge point out of contact draws at most that on its own.
Reserving its maximum instead paused every car on a small site.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from hardware.station_sim import SimulatedStation, StationServer, Vehicle, free_udp_port
from hardware.station_sim.ocpp import SimulatedChargePoint
from hardware.station_sim.ports import free_tcp_port
from tests.charge_points.conftest import PASSWORD, charge_point_subentry
from tests.common import resident, wait_for
from tests.conftest import station_subentry

from .conftest import LIMIT_A, applied_a, start_session


async def test_an_absent_charge_point_leaves_the_rest_to_the_others(
    hass: HomeAssistant, loopback: None
) -> None:
    """20 A, a CoAP bay and a 32 A charger never seen: the bay gets 10 A, not 0 A.

    When the charger connects and takes the fallback, its share is what it was counted at.
    """
    simulated = SimulatedStation(station_id="sim-a", max_age=1, tick=0.05, ramp_a_per_s=400)
    simulated.plug(Vehicle(capacity_kwh=60, soc=40, v2g=False))
    port = free_tcp_port()
    async with StationServer(simulated, port=free_udp_port()) as server:
        entry = MockConfigEntry(
            domain=DOMAIN,
            title="Garage",
            unique_id="garage",
            data={"supply_limit_a": LIMIT_A, "phases": 1, "voltage_v": 230.0},
            options={"policy": "fair_share", "ocpp_port": port},
            subentries_data=[
                station_subentry("Bay A", server.port),
                charge_point_subentry("cp-away", "Away"),
                resident("ann", "Ann"),
            ],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
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
            assert applied_a(simulated) == 10
        finally:
            await charger.stop()
        assert await hass.config_entries.async_unload(entry.entry_id)
