"""Whatever a charger's meter values say, the station's telemetry stays physically possible.

The bounds are written here from the station's configuration (32 A, one phase), not taken from
the code under test.
"""

from __future__ import annotations

from hypothesis import given, strategies as st

from custom_components.ev_v2g.core.capabilities import Capabilities
from custom_components.ev_v2g.core.station import Telemetry
from custom_components.ev_v2g.links.ocpp_readings import apply_readings
from custom_components.ev_v2g.transport.ocpp.model import (
    ConnectorState,
    ConnectorStatus,
    Transaction,
)

ANY = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
MOST_A = 32 * 1.25
MOST_W = 32 * 253 * 1.1 * 1.25


@given(samples=st.lists(st.tuples(ANY, ANY, ANY, ANY), min_size=1, max_size=8))
def test_telemetry_stays_possible(
    samples: list[tuple[float | None, float | None, float | None, float | None]],
) -> None:
    """Currents, powers, voltages and SoCs of any float: kept only when possible, never raising."""
    telemetry = Telemetry()
    connector = ConnectorState(
        connector=1,
        transaction=Transaction(id="1", id_tag=None, started_at=0.0, meter_start_wh=0.0),
    )
    for current, power, voltage, soc in samples:
        connector.current_a, connector.power_w = current, power
        connector.voltage_v, connector.soc = voltage, soc
        apply_readings(telemetry, connector, Capabilities())
        assert telemetry.current_a is None or abs(telemetry.current_a) <= MOST_A
        assert telemetry.power_w is None or abs(telemetry.power_w) <= MOST_W
        assert telemetry.voltage_v is None or 0 <= telemetry.voltage_v <= 1000
        assert telemetry.soc is None or 0 <= telemetry.soc <= 100


def test_a_suspended_connector_draws_nothing_until_it_charges_again() -> None:
    """SuspendedEVSE after a cut to 0 A: no power shown from the sample before the cut."""
    telemetry = Telemetry()
    connector = ConnectorState(
        connector=1,
        status=ConnectorStatus.CHARGING,
        transaction=Transaction(id="1", id_tag=None, started_at=0.0, meter_start_wh=0.0),
        current_a=6.5,
        power_w=1495.0,
    )
    apply_readings(telemetry, connector, Capabilities())
    assert (telemetry.current_a, telemetry.power_w) == (6.5, 1495.0)
    for status in (ConnectorStatus.SUSPENDED_EVSE, ConnectorStatus.SUSPENDED_EV):
        connector.status = status
        apply_readings(telemetry, connector, Capabilities())
        assert (telemetry.current_a, telemetry.power_w) == (0.0, 0.0)
    connector.status = ConnectorStatus.CHARGING
    apply_readings(telemetry, connector, Capabilities())
    assert (telemetry.current_a, telemetry.power_w) == (6.5, 1495.0)
