"""Device triggers: a station's sessions and plug, the site's demand response.

Sessions come from the site's session events, matched to the station's key; the plug and
demand response from their entities' states, so a restart or a reconnection is not a change.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.device_automation.exceptions import InvalidDeviceAutomationConfig
from homeassistant.components.homeassistant.triggers import (
    event as event_trigger,
    state as state_trigger,
)
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_ENTITY_ID,
    CONF_EVENT_DATA,
    CONF_FOR,
    CONF_MODE,
    CONF_PLATFORM,
    CONF_TYPE,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.selector import SelectSelector, SelectSelectorConfig
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from .const import DOMAIN, EVENT_SESSION_ENDED, EVENT_SESSION_STARTED
from .core.allocation import DemandResponseMode
from .core.records import EndReason
from .device_lookup import (
    DEMAND_RESPONSE_MODE,
    PLUGGED,
    DeviceTarget,
    EntityRef,
    async_device_target,
)

# Trigger type -> session event and what else its data must hold.
SESSION_TRIGGERS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "session_started": (EVENT_SESSION_STARTED, {}),
    "session_ended": (EVENT_SESSION_ENDED, {}),
    "car_full": (EVENT_SESSION_ENDED, {"reason": EndReason.FULL.value}),
}
# Trigger type -> the plugged sensor's state before and after.
PLUG_TRIGGERS: Final = {"plugged_in": (STATE_OFF, STATE_ON), "unplugged": (STATE_ON, STATE_OFF)}
STATION_TRIGGERS: Final = (*SESSION_TRIGGERS, *PLUG_TRIGGERS)
DEMAND_RESPONSE_STARTED: Final = "demand_response_started"
DEMAND_RESPONSE_ENDED: Final = "demand_response_ended"
SITE_TRIGGERS: Final = (DEMAND_RESPONSE_STARTED, DEMAND_RESPONSE_ENDED)

NORMAL: Final = DemandResponseMode.NORMAL.value
ACTIVE_MODES: Final = [
    mode.value for mode in DemandResponseMode if mode is not DemandResponseMode.NORMAL
]

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In((*STATION_TRIGGERS, *SITE_TRIGGERS)),
        vol.Optional(CONF_FOR): cv.positive_time_period_dict,
        vol.Optional(CONF_MODE): vol.In(ACTIVE_MODES),
    }
)

_FOR_FIELD = vol.Schema({vol.Optional(CONF_FOR): cv.positive_time_period_dict})
_MODE_FIELD = vol.Schema(
    {
        vol.Optional(CONF_MODE): SelectSelector(
            SelectSelectorConfig(options=ACTIVE_MODES, translation_key="demand_response_mode")
        )
    }
)


async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
    """Check the fields of the type and that the device is the kind the type is for."""
    config = TRIGGER_SCHEMA(config)
    kind = config[CONF_TYPE]
    if CONF_FOR in config and kind not in PLUG_TRIGGERS:
        raise vol.Invalid(f"`for` applies only to {', '.join(PLUG_TRIGGERS)}")
    if CONF_MODE in config and kind != DEMAND_RESPONSE_STARTED:
        raise vol.Invalid(f"`mode` applies only to {DEMAND_RESPONSE_STARTED}")
    _target(hass, config)
    return config


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """The triggers of a station or site device; none for other devices."""
    target = async_device_target(hass, device_id)
    if target is None:
        return []
    if target.is_station:
        kinds = [*SESSION_TRIGGERS]
        if target.entity_id(hass, PLUGGED) is not None:
            kinds += PLUG_TRIGGERS
    elif target.entity_id(hass, DEMAND_RESPONSE_MODE) is not None:
        kinds = [*SITE_TRIGGERS]
    else:
        kinds = []
    return [
        {CONF_PLATFORM: "device", CONF_DEVICE_ID: device_id, CONF_DOMAIN: DOMAIN, CONF_TYPE: kind}
        for kind in kinds
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, vol.Schema]:
    """`for` on the plug triggers; an optional mode on demand response started."""
    if config[CONF_TYPE] in PLUG_TRIGGERS:
        return {"extra_fields": _FOR_FIELD}
    if config[CONF_TYPE] == DEMAND_RESPONSE_STARTED:
        return {"extra_fields": _MODE_FIELD}
    return {}


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen to the station's session events, or to its plug or the site's mode changing."""
    target = _target(hass, config)
    kind = config[CONF_TYPE]
    if kind in SESSION_TRIGGERS:
        event_type, match = SESSION_TRIGGERS[kind]
        event_config = event_trigger.TRIGGER_SCHEMA(
            {
                CONF_PLATFORM: "event",
                event_trigger.CONF_EVENT_TYPE: event_type,
                CONF_EVENT_DATA: {
                    "config_entry_id": target.entry_id,
                    "station_id": target.station_key,
                    **match,
                },
            }
        )
        return await event_trigger.async_attach_trigger(
            hass, event_config, action, trigger_info, platform_type="device"
        )
    if kind in PLUG_TRIGGERS:
        before, after = PLUG_TRIGGERS[kind]
        state_config = _state_config(hass, target, PLUGGED, before, after)
    elif kind == DEMAND_RESPONSE_ENDED:
        state_config = _state_config(hass, target, DEMAND_RESPONSE_MODE, ACTIVE_MODES, NORMAL)
    elif (mode := config.get(CONF_MODE)) is None:
        state_config = _state_config(hass, target, DEMAND_RESPONSE_MODE, NORMAL, ACTIVE_MODES)
    else:
        others = [NORMAL, *(other for other in ACTIVE_MODES if other != mode)]
        state_config = _state_config(hass, target, DEMAND_RESPONSE_MODE, others, mode)
    if CONF_FOR in config:
        state_config[CONF_FOR] = config[CONF_FOR]
    state_config = await state_trigger.async_validate_trigger_config(hass, state_config)
    return await state_trigger.async_attach_trigger(
        hass, state_config, action, trigger_info, platform_type="device"
    )


def _target(hass: HomeAssistant, config: ConfigType) -> DeviceTarget:
    """The device's site or station, checked against what the trigger type is for."""
    target = async_device_target(hass, config[CONF_DEVICE_ID])
    wants_station = config[CONF_TYPE] in STATION_TRIGGERS
    if target is None or target.is_station != wants_station:
        kind = "station" if wants_station else "site"
        raise InvalidDeviceAutomationConfig(
            f"Device {config[CONF_DEVICE_ID]} is not an {DOMAIN} {kind}"
        )
    return target


def _state_config(
    hass: HomeAssistant,
    target: DeviceTarget,
    ref: EntityRef,
    before: str | list[str],
    after: str | list[str],
) -> ConfigType:
    """A state trigger on one of the device's entities, from one state (or several) to another."""
    entity_id = target.entity_id(hass, ref)
    if entity_id is None:
        raise InvalidDeviceAutomationConfig(f"The {ref.key} entity of the device is missing")
    return {
        CONF_PLATFORM: "state",
        CONF_ENTITY_ID: entity_id,
        state_trigger.CONF_FROM: before,
        state_trigger.CONF_TO: after,
    }
