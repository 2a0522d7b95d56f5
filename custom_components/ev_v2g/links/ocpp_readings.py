"""A connector's readings, as the central system keeps them, onto its station's telemetry."""

from __future__ import annotations

from ..core.station import Telemetry
from ..transport.ocpp.model import ConnectorState


def apply_readings(telemetry: Telemetry, connector: ConnectorState) -> bool:
    """Take the connector's plug, current, power, voltage, SoC and relay; whether any changed.

    The connector keeps the last reading of each quantity; one the charger never measures
    stays unknown, so that a meter reporting energy alone is judged by its register. Outside a
    transaction nothing flows, whatever the last sample said.
    """
    before = _snapshot(telemetry)
    telemetry.plugged = connector.plugged
    telemetry.current_a = connector.current_a
    telemetry.power_w = connector.power_w
    telemetry.voltage_v = _or(connector.voltage_v, telemetry.voltage_v)
    telemetry.soc = telemetry.soc if connector.soc is None else round(connector.soc)
    telemetry.switch_on = connector.transaction is not None
    if connector.transaction is None and connector.status is not None:
        telemetry.current_a = telemetry.power_w = 0.0
    return before != _snapshot(telemetry)


def _snapshot(telemetry: Telemetry) -> tuple[object, ...]:
    return (
        telemetry.plugged,
        telemetry.current_a,
        telemetry.power_w,
        telemetry.voltage_v,
        telemetry.soc,
        telemetry.switch_on,
    )


def _or(value: float | None, default: float | None) -> float | None:
    return default if value is None else value
