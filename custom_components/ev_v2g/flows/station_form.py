"""Fields every station form shares, whatever the protocol: current range, phases and owner."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig
import voluptuous as vol

from ..const import (
    CONF_CONNECTED_PHASE,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OWNER,
    CONF_PHASES,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    SUBENTRY_RESIDENT,
)
from .selectors import CONNECTED_PHASE, PHASES, amperes

NO_OWNER = "none"


def resident_options(entry: ConfigEntry) -> list[SelectOptionDict]:
    """The site's residents, as choices of the owner field."""
    return [
        SelectOptionDict(value=key, label=subentry.title)
        for key, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_RESIDENT
    ]


def electrical_fields(
    defaults: dict[str, Any], residents: list[SelectOptionDict]
) -> dict[Any, Any]:
    """Current range, phases, connected phase and, when the site has residents, the owner."""
    fields: dict[Any, Any] = {
        vol.Required(
            CONF_MIN_CURRENT, default=defaults.get(CONF_MIN_CURRENT, DEFAULT_MIN_CURRENT)
        ): amperes(1, 80),
        vol.Required(
            CONF_MAX_CURRENT, default=defaults.get(CONF_MAX_CURRENT, DEFAULT_MAX_CURRENT)
        ): amperes(1, 80),
        vol.Required(CONF_PHASES, default=str(defaults.get(CONF_PHASES, 1))): PHASES,
        vol.Required(
            CONF_CONNECTED_PHASE, default=str(defaults.get(CONF_CONNECTED_PHASE, 1))
        ): CONNECTED_PHASE,
    }
    if residents:
        owner = defaults.get(CONF_OWNER)
        if not any(resident["value"] == owner for resident in residents):
            owner = NO_OWNER  # never set, or the resident was removed since
        fields[vol.Required(CONF_OWNER, default=owner)] = SelectSelector(
            SelectSelectorConfig(
                options=[SelectOptionDict(value=NO_OWNER, label="-"), *residents],
                translation_key="owner",
            )
        )
    return fields


def electrical_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """The shared fields as stored: numbers as numbers, no owner as None."""
    owner = user_input.get(CONF_OWNER, NO_OWNER)
    return {
        CONF_MIN_CURRENT: float(user_input[CONF_MIN_CURRENT]),
        CONF_MAX_CURRENT: float(user_input[CONF_MAX_CURRENT]),
        CONF_PHASES: int(user_input[CONF_PHASES]),
        CONF_CONNECTED_PHASE: int(user_input.get(CONF_CONNECTED_PHASE, 1)),
        CONF_OWNER: None if owner == NO_OWNER else owner,
    }
