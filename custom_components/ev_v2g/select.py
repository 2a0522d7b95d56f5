"""Selects: each station's control mode; the site's allocation policy and demand-response mode."""

from __future__ import annotations

import time
from typing import Any

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.util import dt as dt_util

from .const import CONF_POLICY, CONTROL_COORDINATED, CONTROL_MANUAL, DOMAIN
from .core.allocation import DemandResponseMode, Policy
from .entity import EvV2gSiteEntity, EvV2gStationEntity, add_station_entities
from .runtime import EvV2gConfigEntry

PARALLEL_UPDATES = 0

CONTROL_MODE = SelectEntityDescription(
    key="control_mode",
    translation_key="control_mode",
    options=[CONTROL_COORDINATED, CONTROL_MANUAL],
)
ALLOCATION_POLICY = SelectEntityDescription(
    key="allocation_policy",
    translation_key="allocation_policy",
    options=[policy.value for policy in Policy],
    entity_category=EntityCategory.CONFIG,
)
DEMAND_RESPONSE_MODE = SelectEntityDescription(
    key="demand_response_mode",
    translation_key="demand_response_mode",
    options=[mode.value for mode in DemandResponseMode],
)
_NEEDS_POWER = (DemandResponseMode.LIMIT, DemandResponseMode.DISCHARGE)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the site's selects and the control-mode select of every station."""
    hub = entry.runtime_data.hub
    async_add_entities(
        [
            AllocationPolicySelect(hub, entry, ALLOCATION_POLICY),
            DemandResponseModeSelect(hub, entry, DEMAND_RESPONSE_MODE),
        ]
    )
    add_station_entities(entry, async_add_entities, ControlModeSelect, (CONTROL_MODE,))


class ControlModeSelect(EvV2gStationEntity, SelectEntity, RestoreEntity):
    """coordinated: the site decides the current; manual: the user's current limit is kept."""

    @property
    def available(self) -> bool:
        """The mode can be chosen while the station is out of contact."""
        return True

    async def async_added_to_hass(self) -> None:
        """Take back the mode from before the restart."""
        await super().async_added_to_hass()
        if self.hub.sharing.settings_restored:
            return  # the stored settings, written at each change, are newer
        last = await self.async_get_last_state()
        if last is not None and last.state in (CONTROL_COORDINATED, CONTROL_MANUAL):
            self.hub.sharing.set_control_mode(self.station.key, last.state)

    @property
    def current_option(self) -> str:
        """The station's control mode."""
        return self.hub.sharing.control_modes.get(self.station.key, CONTROL_COORDINATED)

    def snapshot(self) -> str:
        """What this select shows."""
        return self.current_option

    async def async_select_option(self, option: str) -> None:
        """Hand the station to the site, or keep its current limit as the user sets it."""
        self.hub.sharing.set_control_mode(self.station.key, option)


class AllocationPolicySelect(EvV2gSiteEntity, SelectEntity):
    """Who charges first when the supply does not carry everybody; a site option."""

    @property
    def current_option(self) -> str:
        """The policy in force."""
        return self.hub.sharing.options.policy.value

    def snapshot(self) -> str:
        """What this select shows."""
        return self.current_option

    async def async_select_option(self, option: str) -> None:
        """Store the policy in the site's options; it applies without a reload."""
        self.hass.config_entries.async_update_entry(
            self.entry, options={**self.entry.options, CONF_POLICY: option}
        )


class DemandResponseModeSelect(EvV2gSiteEntity, SelectEntity, RestoreEntity):
    """The demand-response request in force; picking one by hand uses the site's DR power."""

    async def async_added_to_hass(self) -> None:
        """Resume a request that was in force before the restart and has not ended."""
        await super().async_added_to_hass()
        if self.hub.sharing.settings_restored:
            return  # the stored settings, written at each change, are newer
        last = await self.async_get_last_state()
        if last is None or last.state not in self.options or last.state == "normal":
            return
        until = last.attributes.get("until")
        remaining = None
        if until is not None:
            ends = dt_util.parse_datetime(until)
            remaining = ends.timestamp() - time.time() if ends else 0
            if remaining <= 0:
                return
        self.hub.sharing.set_demand_response(
            DemandResponseMode(last.state),
            power_w=float(last.attributes.get("power_kw") or 0) * 1000,
            duration_s=remaining,
            source=last.attributes.get("source"),
        )

    @property
    def current_option(self) -> str:
        """The mode in force."""
        return self.hub.sharing.demand_response.request.mode.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Power, end and source of the request, for automations and the dashboard."""
        state = self.hub.sharing.demand_response
        return {
            "power_kw": state.request.power_w / 1000,
            "until": None
            if state.until is None
            else dt_util.utc_from_timestamp(state.until).isoformat(),
            "source": state.source,
        }

    def snapshot(self) -> tuple[str, dict[str, Any]]:
        """What this select shows, with its attributes."""
        return (self.current_option, self.extra_state_attributes)

    async def async_select_option(self, option: str) -> None:
        """Start (or end) a request by hand, with no end time."""
        sharing = self.hub.sharing
        mode = DemandResponseMode(option)
        if mode in _NEEDS_POWER and sharing.demand_response_power_w <= 0:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="power_required",
                translation_placeholders={"mode": mode.value},
            )
        user_id = self._context.user_id if self._context else None
        user = await self.hass.auth.async_get_user(user_id) if user_id else None
        # Who asked, as people read it on the dashboard and in the logbook.
        source = (user.name if user else None) or user_id or "manual"
        sharing.set_demand_response(mode, power_w=sharing.demand_response_power_w, source=source)
