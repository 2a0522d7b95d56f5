"""Device actions on a station: start and stop a session, set its current limit.

They call what a user would: the start_session and stop_session services (so the same rules
decide who may charge, with the automation's context) and number.set_value on the station's
current limit (so its range and control mode are checked as in the UI).
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.components.number.const import (
    ATTR_MAX,
    ATTR_MIN,
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.const import ATTR_ENTITY_ID, CONF_DEVICE_ID, CONF_DOMAIN, CONF_TYPE
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.typing import ConfigType, TemplateVarsType
import voluptuous as vol

from .const import CONF_MAX_CURRENT, DEFAULT_MAX_CURRENT, DOMAIN
from .device_lookup import CURRENT_LIMIT, DeviceTarget, async_device_target
from .flows.selectors import amperes
from .services.sessions import ATTR_RESIDENT, ATTR_STATION

ATTR_CURRENT: Final = "current"
START_SESSION: Final = "start_session"
STOP_SESSION: Final = "stop_session"
SET_CURRENT_LIMIT: Final = "set_current_limit"
ACTION_TYPES: Final = (START_SESSION, STOP_SESSION, SET_CURRENT_LIMIT)

ACTION_SCHEMA = cv.DEVICE_ACTION_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(ACTION_TYPES),
        vol.Optional(ATTR_RESIDENT): cv.string,
        vol.Optional(ATTR_CURRENT): vol.Coerce(float),
    }
)


async def async_validate_action_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the fields of the type and that the device is a station."""
    config = ACTION_SCHEMA(config)
    kind = config[CONF_TYPE]
    if ATTR_RESIDENT in config and kind != START_SESSION:
        raise vol.Invalid(f"`{ATTR_RESIDENT}` applies only to {START_SESSION}")
    if (ATTR_CURRENT in config) != (kind == SET_CURRENT_LIMIT):
        raise vol.Invalid(f"`{ATTR_CURRENT}` is required by {SET_CURRENT_LIMIT}, and only there")
    _station(hass, config[CONF_DEVICE_ID])
    return config


async def async_get_actions(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The actions of a station device; none for the site, residents or other devices."""
    target = async_device_target(hass, device_id)
    if target is None or not target.is_station:
        return []
    kinds = [START_SESSION, STOP_SESSION]
    if target.entity_id(hass, CURRENT_LIMIT) is not None:
        kinds.append(SET_CURRENT_LIMIT)
    return [{CONF_DEVICE_ID: device_id, CONF_DOMAIN: DOMAIN, CONF_TYPE: kind} for kind in kinds]


async def async_get_action_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """The site's residents to start a session for; the current, in the station's range."""
    target = _station(hass, config[CONF_DEVICE_ID])
    if config[CONF_TYPE] == START_SESSION:
        residents = target.residents
        if not residents:
            return {}
        options = [SelectOptionDict(value=key, label=name) for key, name in residents.items()]
        selector = SelectSelector(
            SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
        )
        return {"extra_fields": vol.Schema({vol.Optional(ATTR_RESIDENT): selector})}
    if config[CONF_TYPE] == SET_CURRENT_LIMIT:
        low, high = _current_range(hass, target)
        return {"extra_fields": vol.Schema({vol.Required(ATTR_CURRENT): amperes(low, high)})}
    return {}


async def async_call_action_from_config(
    hass: HomeAssistant,
    config: ConfigType,
    variables: TemplateVarsType,
    context: Context | None,
) -> None:
    """Carry out the action with the caller's context (an automation's has no user)."""
    kind = config[CONF_TYPE]
    if kind == SET_CURRENT_LIMIT:
        target = _station(hass, config[CONF_DEVICE_ID])
        entity_id = target.entity_id(hass, CURRENT_LIMIT)
        if entity_id is None or hass.states.get(entity_id) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="station_not_found",
                translation_placeholders={"station": config[CONF_DEVICE_ID]},
            )
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: config[ATTR_CURRENT]},
            blocking=True,
            context=context,
        )
        return
    data = {ATTR_STATION: config[CONF_DEVICE_ID]}
    if resident := config.get(ATTR_RESIDENT):
        data[ATTR_RESIDENT] = resident
    # start_session and stop_session are the services' names too.
    await hass.services.async_call(DOMAIN, kind, data, blocking=True, context=context)


def _station(hass: HomeAssistant, device_id: str) -> DeviceTarget:
    """The station a device is."""
    target = async_device_target(hass, device_id)
    if target is None or not target.is_station:
        raise InvalidDeviceAutomationConfig(f"Device {device_id} is not an {DOMAIN} station")
    return target


def _current_range(hass: HomeAssistant, target: DeviceTarget) -> tuple[float, float]:
    """The current limit's range as its entity shows it, else 0 to the configured maximum."""
    entity_id = target.entity_id(hass, CURRENT_LIMIT)
    state = hass.states.get(entity_id) if entity_id else None
    if state is not None and ATTR_MIN in state.attributes and ATTR_MAX in state.attributes:
        return float(state.attributes[ATTR_MIN]), float(state.attributes[ATTR_MAX])
    return 0.0, float(target.station_data.get(CONF_MAX_CURRENT, DEFAULT_MAX_CURRENT))
