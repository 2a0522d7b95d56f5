"""Sensors: each station's current, power, meters and state; the site's power and sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .activity_sensor import ActivitySensor
from .core.billing import UNASSIGNED
from .core.station import Station
from .entity import EvV2gStationEntity, add_station_entities
from .resident_controls import TAGS, TagsSensor, add_resident_entities
from .resident_sensor import RESIDENT_SENSORS, ResidentSensor
from .runtime import EvV2gConfigEntry
from .site_sensor import SITE_SENSORS, SiteSensor

PARALLEL_UPDATES = 0


def _kwh(wh: float | None) -> float | None:
    return None if wh is None else round(wh / 1000, 4)


def _rounded(value: float | None, digits: int) -> float | None:
    """A reading rounded for display, without the "-0" a tiny negative value would show."""
    return None if value is None else round(value, digits) + 0.0


@dataclass(frozen=True, kw_only=True)
class StationSensorDescription(SensorEntityDescription):
    """A station sensor and how to read it."""

    value_fn: Callable[[Station], float | str | None]
    attributes_fn: Callable[[Station], dict[str, Any]] | None = None
    exists_fn: Callable[[Station], bool] | None = None
    """Added to a station once this holds for it; None: to every station."""


SENSORS: tuple[StationSensorDescription, ...] = (
    StationSensorDescription(
        key="current",
        translation_key="current",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        value_fn=lambda station: _rounded(station.telemetry.current_a, 1),
    ),
    StationSensorDescription(
        key="voltage",
        translation_key="voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        suggested_display_precision=0,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda station: station.telemetry.voltage_v,
    ),
    StationSensorDescription(
        key="power",
        translation_key="power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda station: _rounded(station.telemetry.power_w, 0),
    ),
    StationSensorDescription(
        key="energy_imported",
        translation_key="energy_imported",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda station: _kwh(station.energy_import.total_wh),
    ),
    StationSensorDescription(
        key="energy_exported",
        translation_key="energy_exported",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda station: _kwh(station.energy_export.total_wh),
        exists_fn=lambda station: station.capabilities.can_discharge,
    ),
    StationSensorDescription(
        key="session_energy",
        translation_key="session_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda station: _kwh(station.session_energy_wh),
    ),
    StationSensorDescription(
        key="state_of_charge",
        translation_key="state_of_charge",
        device_class=SensorDeviceClass.BATTERY,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        value_fn=lambda station: station.telemetry.soc,
    ),
    StationSensorDescription(
        key="setpoint",
        translation_key="setpoint",
        device_class=SensorDeviceClass.CURRENT,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
        suggested_display_precision=1,
        value_fn=lambda station: _rounded(station.telemetry.setpoint_a, 1),
    ),
)


def _session_resident(station: Station) -> str | None:
    if station.session is None:
        return None
    return station.session.resident_name or UNASSIGNED


def _session_attributes(station: Station) -> dict[str, Any]:
    """The session's id (for assign_session) and who authorized it."""
    session = station.session
    if session is None:
        return {}
    return {
        "session_id": session.id,
        "authorization": session.authorization.kind.value,
        "authorized_by": session.authorization.by,
    }


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's sensors and those of every station."""
    async_add_entities(
        SiteSensor(entry.runtime_data.hub, entry, description) for description in SITE_SENSORS
    )
    hub = entry.runtime_data.hub
    session_resident = StationSensorDescription(
        key="session_resident",
        translation_key="session_resident",
        device_class=SensorDeviceClass.ENUM,
        value_fn=_session_resident,
        attributes_fn=_session_attributes,
    )
    add_station_entities(entry, async_add_entities, StationSensor, SENSORS)
    add_station_entities(entry, async_add_entities, SessionResidentSensor, (session_resident,))
    activity = SensorEntityDescription(key="state", translation_key="state")
    add_station_entities(entry, async_add_entities, ActivitySensor, (activity,))

    add_resident_entities(
        hass,
        entry,
        async_add_entities,
        lambda e, key: [
            *(ResidentSensor(hub, e.entry_id, key, d) for d in RESIDENT_SENSORS),
            TagsSensor(e, key, TAGS),
        ],
    )


class StationSensor(EvV2gStationEntity, SensorEntity):
    """A sensor reading one value of a station."""

    entity_description: StationSensorDescription

    @property
    def native_value(self) -> float | str | None:
        """The station's current value."""
        return self.entity_description.value_fn(self.station)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Particulars of the value, for the sensors that have some."""
        attributes_fn = self.entity_description.attributes_fn
        return None if attributes_fn is None else attributes_fn(self.station)

    def snapshot(self) -> Any:
        """What this sensor shows."""
        return self.native_value, self.extra_state_attributes


class SessionResidentSensor(StationSensor):
    """Who the station's session is for: one of the residents as they are now, or unassigned."""

    @property
    def options(self) -> list[str]:
        """The residents' names (a resident added or renamed in place included), unassigned."""
        names = {resident.name for resident in self.hub.residents.values()}
        if (shown := self.native_value) not in (None, UNASSIGNED):
            names.add(str(shown))  # a session keeps the name it began with
        return [*sorted(names), UNASSIGNED]

    def snapshot(self) -> Any:
        """What this sensor shows, and the names it may show."""
        return super().snapshot(), tuple(self.options)
