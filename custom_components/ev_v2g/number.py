"""Station number `current_limit`: the current setpoint in amperes (negative = discharge)."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import EvV2gStationEntity, add_station_entities
from .errors import station_command
from .runtime import EvV2gConfigEntry

PARALLEL_UPDATES = 0

CURRENT_LIMIT = NumberEntityDescription(
    key="current_limit",
    translation_key="current_limit",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_step=1,
    mode=NumberMode.BOX,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the current-limit number of every station."""
    add_station_entities(entry, async_add_entities, CurrentLimitNumber, (CURRENT_LIMIT,))


class CurrentLimitNumber(EvV2gStationEntity, NumberEntity):
    """The setpoint the station regulates to; below zero on V2G stations."""

    @property
    def native_min_value(self) -> float:
        """Down to the station's discharge limit, or 0 when it cannot discharge."""
        return -self.station.capabilities.max_discharge_a

    @property
    def native_max_value(self) -> float:
        """The station's maximum charging current."""
        return self.station.capabilities.max_current_a

    @property
    def native_value(self) -> float | None:
        """The setpoint the station reports."""
        return self.station.telemetry.setpoint_a

    def snapshot(self) -> tuple[float | None, float, float]:
        """What this number shows, including its range."""
        return (self.native_value, self.native_min_value, self.native_max_value)

    @station_command
    async def async_set_native_value(self, value: float) -> None:
        """Send the setpoint to the station."""
        await self.hub.set_current_limit(self.station.key, value)
