"""Discovery of a charge point: an unknown id knocked on a site's OCPP port; the user may add it."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
)
from homeassistant.const import CONF_NAME
from homeassistant.helpers.typing import DiscoveryInfoType

from ..const import (
    CONF_CHARGE_POINT_ID,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    DOMAIN,
    SUBENTRY_STATION,
)
from ..transport.ocpp.passwords import hash_password
from .ocpp import (
    CHARGE_POINT_ID,
    credentials,
    discovery_unique_id,
    has_station,
    new_password,
    ocpp_data,
    ocpp_schema,
    station_title,
    station_unique_id,
)
from .station_form import resident_options

CONF_ENTRY_ID = "entry_id"


class OcppDiscoverySteps(ConfigFlow):
    """Steps of the config flow that add a discovered charge point to its site."""

    _site_id: str
    _charge_point_id: str
    _added: dict[str, Any]

    async def async_step_integration_discovery(
        self, discovery_info: DiscoveryInfoType
    ) -> ConfigFlowResult:
        """An unknown charge point tried to connect to a site: offer to add it."""
        self._site_id = str(discovery_info[CONF_ENTRY_ID])
        self._charge_point_id = str(discovery_info[CONF_CHARGE_POINT_ID])
        if not CHARGE_POINT_ID.fullmatch(self._charge_point_id):
            return self.async_abort(reason="invalid_charge_point_id")
        site = self._site()
        if site is None:
            return self.async_abort(reason="site_not_found")
        if has_station(site, self._charge_point_id):
            return self.async_abort(reason="already_configured")
        await self.async_set_unique_id(discovery_unique_id(self._site_id, self._charge_point_id))
        self._abort_if_unique_id_configured()  # also when the user chose to ignore it
        self.context["title_placeholders"] = {
            "charge_point_id": self._charge_point_id,
            "site": site.title,
        }
        return await self.async_step_charge_point()

    async def async_step_charge_point(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how the discovered charge point is wired, then add it to its site."""
        site = self._site()
        if site is None:
            return self.async_abort(reason="site_not_found")
        if has_station(site, self._charge_point_id):
            return self.async_abort(reason="already_configured")
        errors: dict[str, str] = {}
        if user_input is not None:
            if float(user_input[CONF_MIN_CURRENT]) > float(user_input[CONF_MAX_CURRENT]):
                errors[CONF_MIN_CURRENT] = "min_above_max"
            else:
                password = new_password()
                data = ocpp_data(user_input, self._charge_point_id, hash_password(password))
                self.hass.config_entries.async_add_subentry(
                    site,
                    ConfigSubentry(
                        data=MappingProxyType(data),
                        subentry_type=SUBENTRY_STATION,
                        title=station_title(user_input, self._charge_point_id),
                        unique_id=station_unique_id(self._charge_point_id),
                    ),
                )
                self._added = credentials(self.hass, site, self._charge_point_id, password)
                return await self.async_step_charge_point_added()
        defaults = user_input or {CONF_NAME: self._charge_point_id}
        return self.async_show_form(
            step_id="charge_point",
            data_schema=ocpp_schema(defaults, resident_options(site)),
            errors=errors,
            description_placeholders={"charge_point_id": self._charge_point_id, "site": site.title},
        )

    async def async_step_charge_point_added(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what to enter in the charger; it is already part of the site."""
        if user_input is not None:
            return self.async_abort(reason="charge_point_added")
        return self.async_show_form(
            step_id="charge_point_added", description_placeholders=self._added
        )

    def _site(self) -> ConfigEntry | None:
        site = self.hass.config_entries.async_get_entry(self._site_id)
        if site is None or site.domain != DOMAIN or site.source == SOURCE_IGNORE:
            return None
        return site
