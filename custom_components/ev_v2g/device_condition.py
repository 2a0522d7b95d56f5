"""Device conditions: is a station charging, is a car plugged in, is demand response active.

Each reads the state of one of the device's entities, found in the entity registry when the
condition is checked, so a renamed entity keeps working.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.const import (
    CONF_CONDITION,
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_FOR,
    CONF_TYPE,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import condition, config_validation as cv
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
import voluptuous as vol

from .const import DOMAIN
from .core.activity import Activity
from .device_lookup import (
    DEMAND_RESPONSE_ACTIVE,
    PLUGGED,
    STATION_STATE,
    EntityRef,
    async_device_target,
)

_NOT_CHARGING = [activity.value for activity in Activity if activity is not Activity.CHARGING]

# Condition type -> the entity it reads and the states in which it holds.
STATION_CONDITIONS: Final[dict[str, tuple[EntityRef, str | list[str]]]] = {
    "is_charging": (STATION_STATE, Activity.CHARGING.value),
    "is_not_charging": (STATION_STATE, _NOT_CHARGING),
    "is_plugged": (PLUGGED, STATE_ON),
    "is_not_plugged": (PLUGGED, STATE_OFF),
}
SITE_CONDITIONS: Final[dict[str, tuple[EntityRef, str | list[str]]]] = {
    "demand_response_active": (DEMAND_RESPONSE_ACTIVE, STATE_ON),
    "demand_response_inactive": (DEMAND_RESPONSE_ACTIVE, STATE_OFF),
}
CONDITIONS: Final = {**STATION_CONDITIONS, **SITE_CONDITIONS}

CONDITION_SCHEMA = cv.DEVICE_CONDITION_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(CONDITIONS),
        vol.Optional(CONF_FOR): cv.positive_time_period_dict,
    }
)


async def async_validate_condition_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the fields and that the device is the kind the condition type is for."""
    config = CONDITION_SCHEMA(config)
    target = async_device_target(hass, config[CONF_DEVICE_ID])
    wants_station = config[CONF_TYPE] in STATION_CONDITIONS
    if target is None or target.is_station != wants_station:
        kind = "station" if wants_station else "site"
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} is not an {DOMAIN} {kind}"
        )
    return config


async def async_get_conditions(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The conditions of a station or site device whose entity exists; none for others."""
    target = async_device_target(hass, device_id)
    if target is None:
        return []
    offered = STATION_CONDITIONS if target.is_station else SITE_CONDITIONS
    return [
        {CONF_CONDITION: "device", CONF_DEVICE_ID: device_id, CONF_DOMAIN: DOMAIN, CONF_TYPE: kind}
        for kind, (ref, _) in offered.items()
        if target.entity_id(hass, ref) is not None
    ]


async def async_get_condition_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """Every condition may ask that it has held for a while."""
    return {"extra_fields": vol.Schema({vol.Optional(CONF_FOR): cv.positive_time_period_dict})}


@callback
def async_condition_from_config(
    hass: HomeAssistant, config: ConfigType
) -> condition.ConditionCheckerType:
    """A checker of the entity's state; the entity is looked up at every check."""
    ref, states = CONDITIONS[config[CONF_TYPE]]
    device_id: str = config[CONF_DEVICE_ID]
    for_period: timedelta | None = config.get(CONF_FOR)

    def holds(hass: HomeAssistant, variables: TemplateVarsType = None) -> bool:
        target = async_device_target(hass, device_id)
        entity_id = None if target is None else target.entity_id(hass, ref)
        return condition.state(hass, entity_id, states, for_period)

    return holds
