"""Meter samples onto a connector's state."""

from __future__ import annotations

from ..ratelimit import RateLimitedLog
from .measurands import (
    CURRENT_EXPORT,
    CURRENT_IMPORT,
    ENERGY_EXPORT,
    ENERGY_IMPORT,
    POWER_EXPORT,
    POWER_IMPORT,
    SOC,
    VOLTAGE,
    MeterSample,
)
from .model import ConnectorState


def apply_sample(
    state: ConnectorState,
    sample: MeterSample,
    transaction_id: str | None,
    log: RateLimitedLog,
    charge_point_id: str,
) -> None:
    """Copy one sample's values onto a connector.

    An energy register that steps back within the connector's transaction is left out with
    a logged reason; currents and powers are signed (export negative), never -0.
    """
    values = sample.values
    transaction = state.transaction
    in_transaction = transaction is not None and transaction_id in (None, transaction.id)
    for measurand, attribute in (
        (ENERGY_IMPORT, "energy_import_wh"),
        (ENERGY_EXPORT, "energy_export_wh"),
    ):
        if (energy := values.get(measurand)) is None:
            continue
        previous: float | None = getattr(state, attribute)
        if in_transaction and previous is not None and energy < previous:
            log.warning(
                (charge_point_id, "backwards"),
                "%s connector %s: ignored %s %s Wh, below %s Wh within the same transaction",
                charge_point_id,
                state.connector,
                measurand,
                energy,
                previous,
            )
            continue
        setattr(state, attribute, energy)
    current_import = values.get(CURRENT_IMPORT)
    current_export = values.get(CURRENT_EXPORT)
    if current_import is not None and (current_import > 0 or not current_export):
        state.current_a = current_import
    elif current_export is not None:
        state.current_a = -current_export + 0.0
    power_import = values.get(POWER_IMPORT)
    power_export = values.get(POWER_EXPORT)
    if power_import is not None or power_export is not None:
        state.power_w = (power_import or 0.0) - (power_export or 0.0) + 0.0
    if (voltage := values.get(VOLTAGE)) is not None:
        state.voltage_v = voltage
    if (soc := values.get(SOC)) is not None:
        state.soc = soc
