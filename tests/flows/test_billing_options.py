"""The billing step of a site's options: tariff, credit, shared costs, session rules, ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import sqlalchemy as sa
import voluptuous as vol

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.core.tariff import TimeOfUse
from custom_components.ev_v2g.flows.options import billing_schema
from tests.conftest import SITE_DATA

EN_JSON = Path(__file__).parents[2] / "custom_components/ev_v2g/translations/en.json"
EN = json.loads(EN_JSON.read_text(encoding="utf-8"))
SHARING = {
    "policy": "fcfs",
    "max_active": 2,
    "rotation_period_min": 15,
    "load_sensor": None,
    "load_kind": "grid_import",
    "safe_limit_a": 10.0,
}
BILLING_FIELDS = {
    "tariff",
    "price",
    "tou_schedule",
    "price_sensor",
    "credit_rate",
    "shared_costs",
    "cost_split",
    "full_power_w",
    "full_minutes",
    "ledger_url",
}
PRICE_SENSOR = "sensor.spot_price"
# A SQLite file in a folder that does not exist: the ledger cannot open it.
UNOPENABLE = "sqlite:////nonexistent-ev-v2g-folder/ledger.db"


def billing_form(**extra: object) -> dict[str, object]:
    """What a user submits in the billing form (numbers as the frontend sends them)."""
    form = {"tariff": "fixed", "price": 0.3, "credit_rate": 0.1, "shared_costs": 50}
    return {**form, "cost_split": "energy", "full_power_w": 150, "full_minutes": 20, **extra}


def suggested(result: dict[str, Any]) -> dict[str, Any]:
    """The suggested value of each field of a form that has one."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


def defaults(result: dict[str, Any]) -> dict[str, Any]:
    """The default of each field of a form that has one."""
    return {
        str(key): key.default()
        for key in result["data_schema"].schema
        if key.default is not vol.UNDEFINED
    }


@pytest.fixture
def site(hass: HomeAssistant) -> MockConfigEntry:
    """A site (not set up) whose sharing options were set before."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Garage", unique_id="garage", data=SITE_DATA, options=SHARING
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def billed_site(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> AsyncIterator[MockConfigEntry]:
    """The simulated site set up, with billing options saved before (default session rules)."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={"tariff": "fixed", "price": 0.2, "full_power_w": 100, "full_minutes": 10},
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    yield mock_config_entry
    if mock_config_entry.state.recoverable:
        await hass.config_entries.async_unload(mock_config_entry.entry_id)
        await hass.async_block_till_done()


async def _billing(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    """Open the options menu and choose billing."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["sharing", "billing", "ocpp"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "billing"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "billing"
    return result


async def _submit(hass: HomeAssistant, entry: MockConfigEntry, form: dict[str, Any]) -> Any:
    """Submit the billing form once."""
    result = await _billing(hass, entry)
    return await hass.config_entries.options.async_configure(result["flow_id"], form)


def test_billing_schema_builds() -> None:
    """The billing form's money fields have a step Home Assistant accepts."""
    schema = billing_schema("EUR").schema
    assert (schema["price"].config["min"], schema["credit_rate"].config["min"]) == (-100, 0)


async def test_billing_form_defaults(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A site without billing options gets a fixed tariff and the paper's full-car rule."""
    result = await _billing(hass, site)
    assert result["errors"] == {}
    assert result["description_placeholders"] == {"error": ""}
    assert {str(key) for key in result["data_schema"].schema} == BILLING_FIELDS
    assert defaults(result) == {
        "tariff": "fixed",
        "price": 0,
        "credit_rate": 0,
        "shared_costs": 0,
        "cost_split": "equal",
        "full_power_w": 100,
        "full_minutes": 10,
    }
    # The sharing options are not billing fields: nothing is suggested.
    assert suggested(result) == {}
    schema = result["data_schema"].schema
    assert schema["tariff"].config["options"] == ["fixed", "time_of_use", "sensor"]
    assert schema["price"].config["unit_of_measurement"] == f"{hass.config.currency}/kWh"
    assert schema["shared_costs"].config["unit_of_measurement"] == hass.config.currency


async def test_billing_form_suggests_stored_options(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """The form suggests the stored billing options; unset ones suggest nothing."""
    stored = {
        "tariff": "time_of_use",
        "price": 0.3,
        "tou_schedule": "07:00=0.3, 23:00=0.15",
        "price_sensor": None,
        "credit_rate": 0.12,
        "shared_costs": 40.0,
        "cost_split": "energy",
        "full_power_w": 200,
        "full_minutes": 30,
        "ledger_url": None,
    }
    hass.config_entries.async_update_entry(site, options={**SHARING, **stored})
    result = await _billing(hass, site)
    assert suggested(result) == {key: value for key, value in stored.items() if value is not None}


async def test_fixed_tariff_is_stored_with_sharing_kept(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """Every billing option is stored with its type, next to the unchanged sharing options."""
    form = billing_form(price=0.3, credit_rate=0, shared_costs=50, full_power_w=150.0)
    result = await _submit(hass, site, form | {"full_minutes": 20.0})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options == {
        **SHARING,
        "tariff": "fixed",
        "price": 0.3,
        "tou_schedule": None,
        "price_sensor": None,
        "credit_rate": 0.0,
        "shared_costs": 50.0,
        "cost_split": "energy",
        "full_power_w": 150,
        "full_minutes": 20,
        "ledger_url": None,
    }
    floats = ("price", "credit_rate", "shared_costs")
    ints = ("full_power_w", "full_minutes", "max_active", "rotation_period_min")
    assert [type(site.options[key]) for key in floats] == [float] * 3
    assert [type(site.options[key]) for key in ints] == [int] * 4


async def test_negative_price_is_stored(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A fixed price may be negative (dynamic tariffs go below zero)."""
    result = await _submit(hass, site, billing_form(price=-0.05))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options["price"] == -0.05


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (" 7:00=0.3,23:00=0.15", "07:00=0.3, 23:00=0.15"),
        ("23:00=0.15, 07:00=.30,", "07:00=0.3, 23:00=0.15"),
        ("00:00 = -0.02", "00:00=-0.02"),
    ],
)
async def test_time_of_use_is_stored_canonical(
    hass: HomeAssistant, site: MockConfigEntry, typed: str, canonical: str
) -> None:
    """A good schedule is stored in its canonical text."""
    assert str(TimeOfUse.parse(typed)) == canonical
    result = await _submit(hass, site, billing_form(tariff="time_of_use", tou_schedule=typed))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options["tariff"] == "time_of_use"
    assert site.options["tou_schedule"] == canonical
    assert site.options["price"] == 0.3


@pytest.mark.parametrize(
    ("schedule", "reason", "part"),
    [
        ("   ", "empty", ""),
        (" , ,", "empty", ", ,"),
        ("07:00 0.30", "syntax", "07:00 0.30"),
        ("07:00=0.3=1", "syntax", "07:00=0.3=1"),
        ("7h=0.3", "time", "7h=0.3"),
        ("24:00=0.3", "time", "24:00=0.3"),
        ("07:60=0.3", "time", "07:60=0.3"),
        ("07:00=cheap", "price", "07:00=cheap"),
        ("07:00=inf", "price", "07:00=inf"),
        ("07:00=nan", "price", "07:00=nan"),
        ("07:00=0.3, 7:00=0.2", "duplicate", "7:00=0.2"),
    ],
)
async def test_bad_schedule(
    hass: HomeAssistant, site: MockConfigEntry, schedule: str, reason: str, part: str
) -> None:
    """A bad schedule is refused on its field with its reason; the form keeps what was typed."""
    form = billing_form(tariff="time_of_use", tou_schedule=schedule)
    result = await _submit(hass, site, form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"tou_schedule": f"schedule_{reason}"}
    assert result["description_placeholders"] == {"error": part}
    assert suggested(result)["tou_schedule"] == schedule
    assert suggested(result)["price"] == 0.3
    assert site.options == SHARING


async def test_missing_schedule_is_empty(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A time-of-use tariff without any schedule is refused as empty."""
    result = await _submit(hass, site, billing_form(tariff="time_of_use"))
    assert result["errors"] == {"tou_schedule": "schedule_empty"}


async def test_schedule_ignored_by_fixed_tariff(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A fixed tariff does not check the schedule field."""
    result = await _submit(hass, site, billing_form(tou_schedule="nonsense"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options["tariff"] == "fixed"


async def test_sensor_tariff_needs_a_sensor(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A sensor tariff without a price sensor is refused on that field."""
    result = await _submit(hass, site, billing_form(tariff="sensor"))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"price_sensor": "price_sensor_required"}
    assert suggested(result)["tariff"] == "sensor"
    assert site.options == SHARING


async def test_sensor_tariff_is_stored(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A sensor tariff keeps its sensor and the fixed fallback price."""
    hass.states.async_set(PRICE_SENSOR, "0.27")
    result = await _submit(hass, site, billing_form(tariff="sensor", price_sensor=PRICE_SENSOR))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (site.options["tariff"], site.options["price_sensor"]) == ("sensor", PRICE_SENSOR)
    assert site.options["price"] == 0.3


@pytest.mark.usefixtures("loopback")
@pytest.mark.parametrize("url", ["postgresql://ev:pw@127.0.0.1:1/ev", UNOPENABLE])
async def test_ledger_that_cannot_open(
    hass: HomeAssistant, site: MockConfigEntry, url: str
) -> None:
    """A ledger URL whose database cannot be opened is refused with the driver's reason."""
    result = await _submit(hass, site, billing_form(ledger_url=f" {url} "))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"ledger_url": "ledger_cannot_open"}
    assert result["description_placeholders"]["error"]
    assert suggested(result)["ledger_url"] == f" {url} "
    assert site.options == SHARING


@pytest.mark.parametrize("url", ["notadb://x", "not a url", "mysql://ev@127.0.0.1/ev"])
async def test_malformed_ledger_url(hass: HomeAssistant, site: MockConfigEntry, url: str) -> None:
    """A malformed ledger URL, or one without its driver, is refused like one that cannot open."""
    result = await _submit(hass, site, billing_form(ledger_url=url))
    assert result["errors"] == {"ledger_url": "ledger_cannot_open"}


async def test_good_ledger_is_stored(
    hass: HomeAssistant, site: MockConfigEntry, tmp_path: Path
) -> None:
    """A SQLite ledger that opens is stored (stripped), its tables created by the check."""
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    result = await _submit(hass, site, billing_form(ledger_url=f"  {url}\n"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options["ledger_url"] == url
    assert path.exists()
    engine = sa.create_engine(url)
    try:
        assert "ev_v2g_sessions" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


async def test_empty_ledger_url_is_none(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A blank ledger URL means the default SQLite file and is stored as None."""
    result = await _submit(hass, site, billing_form(ledger_url="   "))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options["ledger_url"] is None


async def test_unchanged_ledger_is_not_checked(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """The stored ledger URL is not opened again when other options change."""
    hass.config_entries.async_update_entry(site, options={**SHARING, "ledger_url": UNOPENABLE})
    result = await _billing(hass, site)
    assert suggested(result)["ledger_url"] == UNOPENABLE
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], billing_form(price=0.5, ledger_url=UNOPENABLE)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (site.options["ledger_url"], site.options["price"]) == (UNOPENABLE, 0.5)


async def test_price_change_applies_live(hass: HomeAssistant, billed_site: MockConfigEntry) -> None:
    """A new price, tariff or credit applies to the running site without a reload."""
    entry = billed_site
    hub = entry.runtime_data.hub
    assert hub.book.price.price_now() == 0.2
    form = billing_form(price=0.42, credit_rate=0.07, full_power_w=100, full_minutes=10)
    result = await _submit(hass, entry, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.hub is hub
    assert hub.book.price.price_now() == 0.42
    assert hub.book.price.credit_rate == 0.07

    hass.states.async_set(PRICE_SENSOR, "0.61")
    form = billing_form(tariff="sensor", price_sensor=PRICE_SENSOR, full_power_w=100)
    result = await _submit(hass, entry, form | {"full_minutes": 10})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.hub is hub
    assert hub.book.price.price_now() == 0.61


async def test_first_billing_save_applies_live(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Saving billing with the default full-car rule on a fresh site does not reload it."""
    entry = init_integration
    hub = entry.runtime_data.hub
    form = billing_form(price=0.42, full_power_w=100, full_minutes=10)
    result = await _submit(hass, entry, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.book.price.price_now() == 0.42
    assert entry.runtime_data.hub is hub


@pytest.mark.parametrize(("power", "minutes"), [(100, 5), (250, 10)])
async def test_full_charge_rule_change_reloads(
    hass: HomeAssistant, billed_site: MockConfigEntry, power: int, minutes: int
) -> None:
    """Changing the full-car power or time reloads the site, which comes back with the price."""
    entry = billed_site
    old = entry.runtime_data
    form = billing_form(price=0.42, full_power_w=power, full_minutes=minutes)
    result = await _submit(hass, entry, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not old
    assert old.hub.links == {}
    assert (entry.options["full_power_w"], entry.options["full_minutes"]) == (power, minutes)
    assert entry.runtime_data.book.price.price_now() == 0.42


@pytest.mark.parametrize("part", ["data", "data_description"])
def test_billing_fields_are_translated(part: str) -> None:
    """Every billing field has an English label and description."""
    texts = EN["options"]["step"]["billing"][part]
    assert set(texts) == BILLING_FIELDS
    assert all(texts[key].strip() for key in BILLING_FIELDS)


def test_billing_errors_and_menu_are_translated() -> None:
    """Every error the billing step raises, and the menu's steps, have an English text."""
    reasons = ("empty", "syntax", "time", "price", "duplicate")
    keys = {f"schedule_{reason}" for reason in reasons}
    keys |= {"price_sensor_required", "ledger_cannot_open"}
    errors = EN["options"]["error"]
    assert keys <= set(errors)
    assert all(errors[key].strip() for key in keys)
    assert "{error}" in errors["ledger_cannot_open"]
    assert "{error}" in EN["options"]["step"]["billing"]["description"]
    assert set(EN["options"]["step"]["init"]["menu_options"]) == {"sharing", "billing", "ocpp"}


@pytest.mark.parametrize(
    ("key", "values"),
    [("tariff", {"fixed", "time_of_use", "sensor"}), ("cost_split", {"equal", "energy"})],
)
async def test_billing_selectors_are_translated(
    hass: HomeAssistant, site: MockConfigEntry, key: str, values: set[str]
) -> None:
    """The tariff and cost split selectors have an English text for every value they offer."""
    result = await _billing(hass, site)
    selector = result["data_schema"].schema[key].config
    assert selector["translation_key"] == key
    assert set(selector["options"]) == values
    options = EN["selector"][key]["options"]
    assert set(options) == values
    assert all(options[value].strip() for value in values)
