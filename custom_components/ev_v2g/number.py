"""Numbers: each station's current limit; the site's current limit and demand-response power."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
    RestoreNumber,
)
from homeassistant.const import EntityCategory, UnitOfElectricCurrent, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import EvV2gSiteEntity, EvV2gStationEntity, add_station_entities
from .error_translation import station_command
from .resident_controls import RESERVE, ReserveNumber, add_resident_entities
from .runtime import EvV2gConfigEntry
from .sharing.power_sharing import PowerSharing

PARALLEL_UPDATES = 0

CURRENT_LIMIT = NumberEntityDescription(
    key="current_limit",
    translation_key="current_limit",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_step=1,
    mode=NumberMode.BOX,
)


@dataclass(frozen=True, kw_only=True)
class SiteNumberDescription(NumberEntityDescription):
    """A site number: how to read it, its upper bound and what setting it does."""

    value_fn: Callable[[PowerSharing], float]
    max_fn: Callable[[PowerSharing], float]
    set_fn: Callable[[PowerSharing, float], None]


SITE_NUMBERS: tuple[SiteNumberDescription, ...] = (
    SiteNumberDescription(
        key="site_current_limit",
        translation_key="site_current_limit",
        device_class=NumberDeviceClass.CURRENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        native_min_value=0,
        native_step=1,
        mode=NumberMode.BOX,
        entity_category=EntityCategory.CONFIG,
        value_fn=lambda sharing: sharing.site_limit_a,
        max_fn=lambda sharing: sharing.options.supply_limit_a,
        set_fn=PowerSharing.set_site_limit,
    ),
    SiteNumberDescription(
        key="demand_response_power",
        translation_key="demand_response_power",
        device_class=NumberDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        native_min_value=0,
        native_step=0.1,
        mode=NumberMode.BOX,
        value_fn=lambda sharing: sharing.demand_response_power_w / 1000,
        max_fn=lambda sharing: 1000.0,
        set_fn=lambda sharing, kw: sharing.set_demand_response_power(kw * 1000),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's numbers, every station's current limit and every resident's reserve."""
    async_add_entities(
        SiteNumber(entry.runtime_data.hub, entry, description) for description in SITE_NUMBERS
    )
    add_station_entities(entry, async_add_entities, CurrentLimitNumber, (CURRENT_LIMIT,))
    add_resident_entities(
        hass, entry, async_add_entities, lambda e, key: [ReserveNumber(e, key, RESERVE)]
    )


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
        """Send the setpoint to the station (in manual control mode)."""
        await self.hub.set_current_limit(self.station.key, value)


class SiteNumber(EvV2gSiteEntity, RestoreNumber):
    """A value of the site that survives restarts."""

    entity_description: SiteNumberDescription

    async def async_added_to_hass(self) -> None:
        """Take back the value from before the restart."""
        await super().async_added_to_hass()
        if self.hub.sharing.settings_restored:
            return  # the stored settings, written at each change, are newer
        last = await self.async_get_last_number_data()
        if last is not None and last.native_value is not None:
            self.entity_description.set_fn(self.hub.sharing, last.native_value)

    @property
    def native_value(self) -> float:
        """The value in force."""
        return self.entity_description.value_fn(self.hub.sharing)

    @property
    def native_max_value(self) -> float:
        """The upper bound (the supply limit for the site's current limit)."""
        return self.entity_description.max_fn(self.hub.sharing)

    def snapshot(self) -> tuple[float, float]:
        """What this number shows, including its upper bound."""
        return (self.native_value, self.native_max_value)

    async def async_set_native_value(self, value: float) -> None:
        """Apply the new value; the allocator follows within a few milliseconds."""
        self.entity_description.set_fn(self.hub.sharing, value)
