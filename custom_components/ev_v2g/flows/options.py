"""The site's options: how it shares its supply, and how it bills its residents."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
)
import voluptuous as vol

from ..const import (
    CONF_ALLOWED_TAGS,
    CONF_COST_SPLIT,
    CONF_CREDIT_RATE,
    CONF_DASHBOARD,
    CONF_FULL_MINUTES,
    CONF_FULL_POWER,
    CONF_LEDGER_URL,
    CONF_LOAD_KIND,
    CONF_LOAD_SENSOR,
    CONF_MAX_ACTIVE,
    CONF_OCPP_ADDRESS,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_KEYFILE,
    CONF_OCPP_LISTEN,
    CONF_OCPP_PORT,
    CONF_POLICY,
    CONF_PRICE,
    CONF_PRICE_SENSOR,
    CONF_ROTATION_PERIOD,
    CONF_SAFE_LIMIT,
    CONF_SHARED_COSTS,
    CONF_SUPPLY_LIMIT,
    CONF_TARIFF,
    CONF_TOU_SCHEDULE,
    DEFAULT_FULL_MINUTES,
    DEFAULT_FULL_POWER,
    DEFAULT_ROTATION_PERIOD,
    LOAD_GRID_IMPORT,
    LOAD_NON_EV,
    TARIFF_FIXED,
    TARIFF_SENSOR,
    TARIFF_TIME_OF_USE,
)
from ..core.allocation import Policy
from ..core.ledger import Ledger, LedgerError
from ..core.shared_costs import CostSplit
from ..core.tariff import TariffError, TimeOfUse
from .ocpp_options import OCPP_SCHEMA, check_address, check_tls, tidy_tags
from .selectors import amperes, whole

SHARING_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_POLICY, default=Policy.FAIR_SHARE.value): SelectSelector(
            SelectSelectorConfig(options=[p.value for p in Policy], translation_key=CONF_POLICY)
        ),
        vol.Required(CONF_MAX_ACTIVE, default=0): whole(0, 1000),
        vol.Required(CONF_ROTATION_PERIOD, default=DEFAULT_ROTATION_PERIOD): whole(1, 1440, "min"),
        vol.Optional(CONF_LOAD_SENSOR): EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class="power")
        ),
        vol.Required(CONF_LOAD_KIND, default=LOAD_NON_EV): SelectSelector(
            SelectSelectorConfig(
                options=[LOAD_NON_EV, LOAD_GRID_IMPORT], translation_key=CONF_LOAD_KIND
            )
        ),
        vol.Required(CONF_SAFE_LIMIT, default=0): amperes(0, 2000),
        vol.Required(CONF_DASHBOARD, default=True): BooleanSelector(),
    }
)


def _money(unit: str, low: float = 0) -> NumberSelector:
    config = NumberSelectorConfig(min=low, max=100_000, step="any", mode=NumberSelectorMode.BOX)
    config["unit_of_measurement"] = unit
    return NumberSelector(config)


def billing_schema(currency: str) -> vol.Schema:
    """Form of the tariff, the V2G credit, the shared costs and the session rules."""
    per_kwh = f"{currency}/kWh"
    return vol.Schema(
        {
            vol.Required(CONF_TARIFF, default=TARIFF_FIXED): SelectSelector(
                SelectSelectorConfig(
                    options=[TARIFF_FIXED, TARIFF_TIME_OF_USE, TARIFF_SENSOR],
                    translation_key=CONF_TARIFF,
                )
            ),
            vol.Required(CONF_PRICE, default=0): _money(per_kwh, low=-100),
            vol.Optional(CONF_TOU_SCHEDULE): TextSelector(),
            vol.Optional(CONF_PRICE_SENSOR): EntitySelector(EntitySelectorConfig(domain="sensor")),
            vol.Required(CONF_CREDIT_RATE, default=0): _money(per_kwh),
            vol.Required(CONF_SHARED_COSTS, default=0): _money(currency),
            vol.Required(CONF_COST_SPLIT, default=CostSplit.EQUAL.value): SelectSelector(
                SelectSelectorConfig(
                    options=[split.value for split in CostSplit], translation_key=CONF_COST_SPLIT
                )
            ),
            vol.Required(CONF_FULL_POWER, default=DEFAULT_FULL_POWER): whole(0, 5000, "W"),
            vol.Required(CONF_FULL_MINUTES, default=DEFAULT_FULL_MINUTES): whole(0, 240, "min"),
            vol.Optional(CONF_LEDGER_URL): TextSelector(),
        }
    )


def _check_ledger(url: str) -> None:
    """Open and close the ledger at url (creating or migrating its tables)."""
    ledger = Ledger(url)
    try:
        ledger.open()
    finally:
        ledger.close()


class SiteOptionsFlow(OptionsFlow):
    """Sharing (policy, limits, load sensor), billing (tariff, credit, costs) and OCPP."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what to change."""
        return self.async_show_menu(step_id="init", menu_options=["sharing", "billing", "ocpp"])

    def _form(
        self,
        step_id: str,
        schema: vol.Schema,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str] | None = None,
    ) -> ConfigFlowResult:
        values = user_input or {
            key: value for key, value in self.config_entry.options.items() if value is not None
        }
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, values),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _save(self, changes: dict[str, Any]) -> ConfigFlowResult:
        return self.async_create_entry(data={**self.config_entry.options, **changes})

    async def async_step_sharing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the sharing options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            supply = float(self.config_entry.data[CONF_SUPPLY_LIMIT])
            if float(user_input[CONF_SAFE_LIMIT]) > supply:
                errors[CONF_SAFE_LIMIT] = "safe_above_supply"
            else:
                return self._save(
                    {
                        CONF_POLICY: user_input[CONF_POLICY],
                        CONF_MAX_ACTIVE: int(user_input[CONF_MAX_ACTIVE]),
                        CONF_ROTATION_PERIOD: int(user_input[CONF_ROTATION_PERIOD]),
                        CONF_LOAD_SENSOR: user_input.get(CONF_LOAD_SENSOR),
                        CONF_LOAD_KIND: user_input[CONF_LOAD_KIND],
                        CONF_SAFE_LIMIT: float(user_input[CONF_SAFE_LIMIT]),
                        CONF_DASHBOARD: bool(user_input[CONF_DASHBOARD]),
                    }
                )
        return self._form("sharing", SHARING_SCHEMA, user_input, errors)

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the billing options; a new ledger URL is tried first."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            tariff = user_input[CONF_TARIFF]
            schedule = (user_input.get(CONF_TOU_SCHEDULE) or "").strip()
            url = (user_input.get(CONF_LEDGER_URL) or "").strip()
            if tariff == TARIFF_TIME_OF_USE:
                try:
                    schedule = str(TimeOfUse.parse(schedule))
                except TariffError as err:
                    errors[CONF_TOU_SCHEDULE] = f"schedule_{err.reason.value}"
                    placeholders["error"] = err.part
            if tariff == TARIFF_SENSOR and not user_input.get(CONF_PRICE_SENSOR):
                errors[CONF_PRICE_SENSOR] = "price_sensor_required"
            if url and not errors and url != self.config_entry.options.get(CONF_LEDGER_URL):
                try:
                    await self.hass.async_add_executor_job(_check_ledger, url)
                except LedgerError as err:
                    errors[CONF_LEDGER_URL] = "ledger_cannot_open"
                    placeholders["error"] = str(err)
            if not errors:
                return self._save(
                    {
                        CONF_TARIFF: tariff,
                        CONF_PRICE: float(user_input[CONF_PRICE]),
                        CONF_TOU_SCHEDULE: schedule or None,
                        CONF_PRICE_SENSOR: user_input.get(CONF_PRICE_SENSOR),
                        CONF_CREDIT_RATE: float(user_input[CONF_CREDIT_RATE]),
                        CONF_SHARED_COSTS: float(user_input[CONF_SHARED_COSTS]),
                        CONF_COST_SPLIT: user_input[CONF_COST_SPLIT],
                        CONF_FULL_POWER: int(user_input[CONF_FULL_POWER]),
                        CONF_FULL_MINUTES: int(user_input[CONF_FULL_MINUTES]),
                        CONF_LEDGER_URL: url or None,
                    }
                )
        schema = billing_schema(self.hass.config.currency)
        return self._form("billing", schema, user_input, errors, placeholders)

    async def async_step_ocpp(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the OCPP central system's address, certificate, listening and tags."""
        errors: dict[str, str] = {}
        placeholders = {"error": "", "address": ""}
        if user_input is not None:
            address = (user_input.get(CONF_OCPP_ADDRESS) or "").strip()
            if address and (
                fault := await self.hass.async_add_executor_job(check_address, address)
            ):
                errors[CONF_OCPP_ADDRESS], placeholders["address"] = fault
            certfile = (user_input.get(CONF_OCPP_CERTFILE) or "").strip()
            keyfile = (user_input.get(CONF_OCPP_KEYFILE) or "").strip()
            if certfile and not keyfile:
                errors[CONF_OCPP_KEYFILE] = "tls_pair"
            elif keyfile and not certfile:
                errors[CONF_OCPP_CERTFILE] = "tls_pair"
            elif certfile:
                certfile, keyfile = self.hass.config.path(certfile), self.hass.config.path(keyfile)
                fault = await self.hass.async_add_executor_job(check_tls, certfile, keyfile)
                if fault is not None:
                    errors[fault[0]] = "tls_invalid"
                    placeholders["error"] = fault[1]
            if not errors:
                return self._save(
                    {
                        CONF_OCPP_PORT: int(user_input[CONF_OCPP_PORT]),
                        CONF_OCPP_ADDRESS: address.strip("[]") or None,
                        CONF_OCPP_CERTFILE: certfile or None,
                        CONF_OCPP_KEYFILE: keyfile or None,
                        CONF_OCPP_LISTEN: bool(user_input.get(CONF_OCPP_LISTEN, False)),
                        CONF_ALLOWED_TAGS: tidy_tags(user_input.get(CONF_ALLOWED_TAGS, [])),
                    }
                )
        return self._form("ocpp", OCPP_SCHEMA, user_input, errors, placeholders)
