"""Subentry flow of a resident: who charges, their tags, HA user and V2G consent."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_NAME
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
)
import voluptuous as vol

from ..const import (
    CONF_ID_TAGS,
    CONF_PRIORITY,
    CONF_RESERVE_SOC,
    CONF_USER,
    CONF_V2G_OPT_IN,
    DEFAULT_RESERVE_SOC,
    SUBENTRY_RESIDENT,
)
from .selectors import whole

NO_USER = "none"


def resident_schema(defaults: dict[str, Any], users: list[SelectOptionDict]) -> vol.Schema:
    """Form of a resident."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, "")): TextSelector(),
            vol.Required(CONF_ID_TAGS, default=list(defaults.get(CONF_ID_TAGS, []))): (
                TextSelector(TextSelectorConfig(multiple=True))
            ),
            vol.Required(
                CONF_USER, default=_listed(defaults.get(CONF_USER), users)
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[SelectOptionDict(value=NO_USER, label="-"), *users],
                    translation_key="linked_user",
                )
            ),
            vol.Required(
                CONF_V2G_OPT_IN, default=defaults.get(CONF_V2G_OPT_IN, False)
            ): BooleanSelector(),
            vol.Required(
                CONF_RESERVE_SOC, default=defaults.get(CONF_RESERVE_SOC, DEFAULT_RESERVE_SOC)
            ): whole(0, 100, "%"),
            vol.Required(CONF_PRIORITY, default=defaults.get(CONF_PRIORITY, 0)): whole(0, 10),
        }
    )


def _listed(user_id: str | None, users: list[SelectOptionDict]) -> str:
    """The stored user if it can still be chosen (it may have been removed since), else none."""
    if user_id is not None and any(user["value"] == user_id for user in users):
        return user_id
    return NO_USER


class ResidentSubentryFlow(ConfigSubentryFlow):
    """Add or change a resident of the site."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the resident's details."""
        return await self._resident_step("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a resident's details."""
        return await self._resident_step("reconfigure", user_input)

    async def _users(self) -> list[SelectOptionDict]:
        users = await self.hass.auth.async_get_users()
        return [
            SelectOptionDict(value=user.id, label=user.name or user.id)
            for user in users
            if user.is_active and not user.system_generated
        ]

    async def _resident_step(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        current = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        if user_input is not None:
            data = _resident_data(user_input)
            name = user_input[CONF_NAME].strip()
            others = [
                subentry
                for subentry in self._get_entry().subentries.values()
                if subentry.subentry_type == SUBENTRY_RESIDENT and subentry is not current
            ]
            if any(other.unique_id == name.casefold() for other in others):
                return self.async_abort(reason="already_configured")
            # Tags are compared as OCPP compares them: case-insensitively.
            taken_tags = {
                tag.casefold() for other in others for tag in other.data.get(CONF_ID_TAGS, ())
            }
            if not name:
                errors[CONF_NAME] = "name_required"
            elif taken_tags & {tag.casefold() for tag in data[CONF_ID_TAGS]}:
                errors[CONF_ID_TAGS] = "tag_in_use"
            elif data[CONF_USER] and any(
                other.data.get(CONF_USER) == data[CONF_USER] for other in others
            ):
                errors[CONF_USER] = "user_in_use"
            elif current is not None:
                return self.async_update_and_abort(
                    self._get_entry(), current, title=name, data=data, unique_id=name.casefold()
                )
            else:
                return self.async_create_entry(title=name, data=data, unique_id=name.casefold())
        defaults = user_input or (
            {CONF_NAME: current.title, **current.data} if current is not None else {}
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=resident_schema(defaults, await self._users()),
            errors=errors,
        )


def _resident_data(user_input: dict[str, Any]) -> dict[str, Any]:
    user = user_input.get(CONF_USER, NO_USER)
    tags: dict[str, str] = {}  # one of each, whatever its case: the first spelling kept
    for tag in user_input.get(CONF_ID_TAGS, []):
        if tag := tag.strip():
            tags.setdefault(tag.casefold(), tag)
    return {
        CONF_ID_TAGS: sorted(tags.values()),
        CONF_USER: None if user == NO_USER else user,
        CONF_V2G_OPT_IN: bool(user_input[CONF_V2G_OPT_IN]),
        CONF_RESERVE_SOC: float(user_input[CONF_RESERVE_SOC]),
        CONF_PRIORITY: int(user_input[CONF_PRIORITY]),
    }
