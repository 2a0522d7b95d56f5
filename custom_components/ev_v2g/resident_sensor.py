"""A resident's sensors: energy imported and exported this month, its cost and its V2G credit.

They suit the Energy dashboard: energy and money with state class total, reset every month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy

from .bookkeeping.totals import Totals
from .entity import EvV2gResidentEntity


@dataclass(frozen=True, kw_only=True)
class ResidentSensorDescription(SensorEntityDescription):
    """A resident's month total and how to read it."""

    value_fn: Callable[[Totals], float]


RESIDENT_SENSORS: tuple[ResidentSensorDescription, ...] = (
    ResidentSensorDescription(
        key="month_energy_imported",
        translation_key="month_energy_imported",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda totals: round(totals.import_wh / 1000, 4),
    ),
    ResidentSensorDescription(
        key="month_energy_exported",
        translation_key="month_energy_exported",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda totals: round(totals.export_wh / 1000, 4),
    ),
    ResidentSensorDescription(
        key="month_cost",
        translation_key="month_cost",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda totals: round(totals.cost, 4),
    ),
    ResidentSensorDescription(
        key="month_credit",
        translation_key="month_credit",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda totals: round(totals.credit, 4),
    ),
)


class ResidentSensor(EvV2gResidentEntity, SensorEntity):
    """A resident's energy, cost or credit in the current month."""

    entity_description: ResidentSensorDescription

    @property
    def native_value(self) -> float:
        """The month's total so far."""
        return self.entity_description.value_fn(self.hub.book.resident_month(self.resident_key))

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Money is in the currency Home Assistant is set to."""
        if self.entity_description.device_class is SensorDeviceClass.MONETARY:
            return self.hass.config.currency
        return self.entity_description.native_unit_of_measurement

    @property
    def last_reset(self) -> datetime:
        """The totals start again with every month."""
        return self.hub.book.month[0]

    def snapshot(self) -> tuple[float, datetime]:
        """What this sensor shows."""
        return self.native_value, self.last_reset
