"""A connector's readings, as the central system keeps them, onto its station's telemetry."""

from __future__ import annotations

import math

from ..core.capabilities import Capabilities
from ..core.station import Telemetry
from ..transport.ocpp.model import ConnectorState, ConnectorStatus

MAX_VOLTAGE_V = 1000.0
"""Beyond any mains or charger voltage a connector may report."""
SUSPENDED = frozenset({ConnectorStatus.SUSPENDED_EV, ConnectorStatus.SUSPENDED_EVSE})
"""Statuses in which no energy flows (OCPP: the charger offers none, or the car takes none)."""


def apply_readings(
    telemetry: Telemetry, connector: ConnectorState, capabilities: Capabilities
) -> bool:
    """Take the connector's plug, current, power, voltage, SoC and relay; whether any changed.

    The connector keeps the last reading of each quantity; one the charger never measures
    stays unknown, so that a meter reporting energy alone is judged by its register. Outside a
    transaction, or suspended, nothing flows, whatever the last sample said (a charger may
    send its next meter values a minute later). A value no station of these
    capabilities can report (a current or a power beyond its limits, a voltage or a SoC out of
    range) is dropped: the last plausible one stays.
    """
    before = _snapshot(telemetry)
    telemetry.plugged = connector.plugged
    current, power = connector.current_a, connector.power_w
    if current is None or capabilities.plausible_current_a(current):
        telemetry.current_a = current
    if power is None or capabilities.plausible_power_w(power):
        telemetry.power_w = power
    voltage, soc = connector.voltage_v, connector.soc
    if voltage is not None and math.isfinite(voltage) and 0 <= voltage <= MAX_VOLTAGE_V:
        telemetry.voltage_v = voltage
    if soc is not None and math.isfinite(soc) and 0 <= soc <= 100:
        telemetry.soc = round(soc)
    telemetry.switch_on = connector.transaction is not None
    suspended = connector.status in SUSPENDED
    if suspended or (connector.transaction is None and connector.status is not None):
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
