"""Binary sensors: vehicle plugged and contact per station; demand response for the site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .core.station import Station
from .entity import EvV2gSiteEntity, EvV2gStationEntity, add_station_entities
from .runtime import EvV2gConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class StationBinarySensorDescription(BinarySensorEntityDescription):
    """A station binary sensor and how to read it."""

    is_on_fn: Callable[[Station], bool | None]
    always_available: bool = False


BINARY_SENSORS: tuple[StationBinarySensorDescription, ...] = (
    StationBinarySensorDescription(
        key="plugged",
        translation_key="plugged",
        device_class=BinarySensorDeviceClass.PLUG,
        is_on_fn=lambda station: station.telemetry.plugged,
    ),
    StationBinarySensorDescription(
        key="connectivity",
        translation_key="connectivity",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        always_available=True,
        is_on_fn=lambda station: station.available,
    ),
)

DEMAND_RESPONSE_ACTIVE = BinarySensorEntityDescription(
    key="demand_response_active", translation_key="demand_response_active"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's demand-response flag and the binary sensors of every station."""
    async_add_entities(
        [DemandResponseActive(entry.runtime_data.hub, entry, DEMAND_RESPONSE_ACTIVE)]
    )
    add_station_entities(entry, async_add_entities, StationBinarySensor, BINARY_SENSORS)


class StationBinarySensor(EvV2gStationEntity, BinarySensorEntity):
    """A binary sensor reading one flag of a station."""

    entity_description: StationBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """The station's current flag."""
        return self.entity_description.is_on_fn(self.station)

    def snapshot(self) -> bool | None:
        """What this binary sensor shows."""
        return self.is_on


class DemandResponseActive(EvV2gSiteEntity, BinarySensorEntity):
    """On while the grid asks anything of the site (limit, shed or discharge)."""

    @property
    def is_on(self) -> bool:
        """Whether a demand-response request is in force."""
        return self.hub.sharing.demand_response.active

    def snapshot(self) -> bool:
        """What this binary sensor shows."""
        return self.is_on
