"""The site's sensors: its power, what it may draw, its sessions and demand response.

Demand response shows what was asked and what the site delivers, in kW: in Discharge the power
the cars give back; in Limit and Shed the power the site still draws (at most what was asked).
"""

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
from homeassistant.const import UnitOfPower
from homeassistant.util import dt as dt_util

from .core.allocation import DemandResponseMode
from .entity import EvV2gSiteEntity
from .sharing.power_sharing import PowerSharing


def _queued(sharing: PowerSharing) -> int:
    """Sessions waiting for room; while demand response is in force they show as paused by it."""
    if sharing.allocation is None or sharing.demand_response.active:
        return 0
    return len(sharing.allocation.queued)


def _asked_kw(sharing: PowerSharing) -> float | None:
    """The power asked: to give back (Discharge) or to stay under (Limit); 0 to Shed."""
    request = sharing.demand_response.request
    if request.mode is DemandResponseMode.NORMAL:
        return None
    if request.mode is DemandResponseMode.SHED:
        return 0.0
    return round(request.power_w / 1000, 3)


def _delivered_kw(sharing: PowerSharing) -> float | None:
    """What the site does about it: the power given back, or the power still drawn."""
    request = sharing.demand_response.request
    if request.mode is DemandResponseMode.NORMAL:
        return None
    site_w = sharing.site_power_w
    if request.mode is DemandResponseMode.DISCHARGE:
        return round(max(0.0, -site_w) / 1000, 3)
    return round(max(0.0, site_w) / 1000, 3)


def _request(sharing: PowerSharing) -> dict[str, Any]:
    """The request's mode, its end and who asked."""
    state = sharing.demand_response
    return {
        "mode": state.request.mode.value,
        "ends": None if state.until is None else dt_util.utc_from_timestamp(state.until),
        "source": state.source,
    }


@dataclass(frozen=True, kw_only=True)
class SiteSensorDescription(SensorEntityDescription):
    """A site sensor and how to read it."""

    value_fn: Callable[[PowerSharing], float | None]
    attributes_fn: Callable[[PowerSharing], dict[str, Any]] | None = None


def _available_w(sharing: PowerSharing) -> float:
    return round(sum(sharing.limits()) * sharing.options.voltage_v)


SITE_SENSORS: tuple[SiteSensorDescription, ...] = (
    SiteSensorDescription(
        key="site_power",
        translation_key="site_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda sharing: round(sharing.site_power_w),
    ),
    SiteSensorDescription(
        key="available_power",
        translation_key="available_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=_available_w,
    ),
    SiteSensorDescription(
        key="active_sessions",
        translation_key="active_sessions",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda sharing: len(sharing.allocation.active) if sharing.allocation else 0,
    ),
    SiteSensorDescription(
        key="queued_sessions",
        translation_key="queued_sessions",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_queued,
    ),
    SiteSensorDescription(
        key="demand_response_asked",
        translation_key="demand_response_asked",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=_asked_kw,
        attributes_fn=_request,
    ),
    SiteSensorDescription(
        key="demand_response_delivered",
        translation_key="demand_response_delivered",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        suggested_display_precision=2,
        value_fn=_delivered_kw,
    ),
)


class SiteSensor(EvV2gSiteEntity, SensorEntity):
    """A sensor reading one value of the site's sharing."""

    entity_description: SiteSensorDescription

    @property
    def native_value(self) -> float | None:
        """The site's current value."""
        return self.entity_description.value_fn(self.hub.sharing)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Particulars of the value, for the sensors that have some."""
        attributes_fn = self.entity_description.attributes_fn
        return None if attributes_fn is None else attributes_fn(self.hub.sharing)

    def snapshot(self) -> Any:
        """What this sensor shows."""
        attributes = self.extra_state_attributes
        return self.native_value, None if attributes is None else tuple(attributes.items())
