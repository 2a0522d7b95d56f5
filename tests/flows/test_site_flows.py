"""Options flow of a site, subentry flow of its residents, and a station's owner."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

from homeassistant.auth.models import User
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT, SUBENTRY_STATION
from custom_components.ev_v2g.core.allocation import Policy
from hardware.station_sim import StationServer
from tests.common import station_form
from tests.conftest import SITE_DATA

EN_JSON = Path(__file__).parents[2] / "custom_components/ev_v2g/translations/en.json"
EN = json.loads(EN_JSON.read_text(encoding="utf-8"))
LOAD = "sensor.building_load"
ANN = "<ann's user id>"
OPTIONS = {"policy": "fcfs", "max_active": 2, "rotation_period_min": 15, "load_kind": "grid_import"}


def options_form(**extra: object) -> dict[str, object]:
    """What a user submits in the site's options form."""
    return {**OPTIONS, "safe_limit_a": 10, **extra}


def resident_form(**extra: object) -> dict[str, object]:
    """What a user submits in the resident form."""
    form = {"name": "Flat 2B", "id_tags": [], "user_id": "none", "v2g_opt_in": False}
    return {**form, "reserve_soc": 30, "priority": 0, **extra}


def field(result: dict[str, Any], name: str) -> vol.Marker:
    """The schema key of a form field."""
    return next(key for key in result["data_schema"].schema if key == name)


def select_values(result: dict[str, Any], name: str) -> list[str]:
    """The values a select field of a form offers."""
    return [option["value"] for option in result["data_schema"].schema[name].config["options"]]


def residents_of(entry: MockConfigEntry) -> dict[str, Any]:
    """The resident subentries of a site, by title."""
    return {s.title: s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_RESIDENT}


@pytest.fixture
async def ann(hass: HomeAssistant) -> User:
    """A Home Assistant user linked to the resident Ann."""
    return await hass.auth.async_create_user("Ann")


@pytest.fixture
def site(hass: HomeAssistant, ann: User) -> MockConfigEntry:
    """A site (not set up) with options and one resident, Ann, who owns tags t1 and t2."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={**OPTIONS, "load_sensor": None, "safe_limit_a": 10.0},
        subentries_data=[
            ConfigSubentryData(
                data=MappingProxyType({"id_tags": ["t1", "t2"], "user_id": ann.id}),
                subentry_type=SUBENTRY_RESIDENT,
                title="Ann",
                unique_id="ann",
            )
        ],
    )
    entry.add_to_hass(hass)
    return entry


async def _options_step(hass: HomeAssistant, entry: MockConfigEntry, step: str) -> Any:
    """Open the options menu and choose a step."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["sharing", "billing", "ocpp"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def _options(hass: HomeAssistant, entry: MockConfigEntry, form: dict[str, Any]) -> Any:
    result = await _options_step(hass, entry, "sharing")
    assert result["step_id"] == "sharing"
    return await hass.config_entries.options.async_configure(result["flow_id"], form)


async def _submit(hass: HomeAssistant, result: dict[str, Any], form: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], form)


async def _start(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str, **context: str
) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": "user", **context}
    )
    if result["type"] is FlowResultType.MENU:  # a new station: CoAP or OCPP
        result = await _submit(hass, result, {"next_step_id": "coap"})
    assert result["type"] is FlowResultType.FORM
    return result


async def test_options_form_suggests_current_options(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """The form suggests the stored options; an unset load sensor suggests nothing."""
    result = await _options_step(hass, site, "sharing")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    schema = result["data_schema"].schema
    suggested = {str(k): k.description["suggested_value"] for k in schema if k.description}
    assert suggested == {**OPTIONS, "safe_limit_a": 10.0}
    assert "load_sensor" in {str(key) for key in schema}


@pytest.mark.parametrize(("sensor", "kind"), [(None, "non_ev"), (LOAD, "grid_import")])
async def test_options_are_stored(
    hass: HomeAssistant, site: MockConfigEntry, sensor: str | None, kind: str
) -> None:
    """Every option is stored with its type; a load sensor is optional."""
    hass.states.async_set(LOAD, "1200", {"device_class": "power", "unit_of_measurement": "W"})
    form = options_form(policy="priority", max_active=3.0, rotation_period_min=45.0)
    form |= {"load_kind": kind, "safe_limit_a": 16, "dashboard": sensor is None}
    form |= {"load_sensor": sensor} if sensor else {}
    result = await _options(hass, site, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert site.options == {
        "policy": "priority",
        "max_active": 3,
        "rotation_period_min": 45,
        "load_sensor": sensor,
        "load_kind": kind,
        "safe_limit_a": 16.0,
        "dashboard": sensor is None,
    }
    types = [type(site.options[key]) for key in ("max_active", "rotation_period_min")]
    assert [*types, type(site.options["safe_limit_a"])] == [int, int, float]


@pytest.mark.parametrize(("safe", "ok"), [(32, True), (33, False), (500, False)])
async def test_safe_limit_not_above_supply(
    hass: HomeAssistant, site: MockConfigEntry, safe: int, ok: bool
) -> None:
    """The safe limit may equal the 32 A supply but not exceed it; the form keeps the input."""
    result = await _options(hass, site, options_form(policy="priority", safe_limit_a=safe))
    assert site.options["policy"] == ("priority" if ok else "fcfs")
    if ok:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert site.options["safe_limit_a"] == 32.0
        return
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"safe_limit_a": "safe_above_supply"}
    assert field(result, "policy").description["suggested_value"] == "priority"
    assert field(result, "safe_limit_a").description["suggested_value"] == safe


async def test_options_apply_live_without_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Policy, max active, rotation, load kind and safe limit apply to the running hub."""
    entry = init_integration
    hub = entry.runtime_data.hub
    assert hub.sharing.options.policy is Policy.FAIR_SHARE
    result = await _options(hass, entry, options_form())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.hub is hub
    assert hub.links
    options = hub.sharing.options
    assert (options.policy, options.max_active, options.rotation_period_s) == (Policy.FCFS, 2, 900)
    assert (options.load_kind, options.safe_limit_a) == ("grid_import", 10.0)
    assert hass.states.get("select.garage_allocation_policy").state == "fcfs"


async def test_load_sensor_option_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Choosing or clearing a load sensor reloads the site, which then follows it or not."""
    entry = init_integration
    old = entry.runtime_data
    hass.states.async_set(LOAD, "2.5", {"device_class": "power", "unit_of_measurement": "kW"})
    result = await _options(hass, entry, options_form(load_sensor=LOAD, safe_limit_a=8))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not old
    assert old.hub.links == {}
    sharing = entry.runtime_data.hub.sharing
    assert (sharing.options.load_sensor, sharing.options.safe_limit_a) == (LOAD, 8.0)
    assert sharing.measured_load_w == 2500.0
    await _options(hass, entry, options_form(safe_limit_a=8))
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.hub.sharing is not sharing
    assert entry.runtime_data.hub.sharing.options.load_sensor is None
    assert entry.runtime_data.hub.sharing.measured_load_w is None


async def test_create_resident(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """Tags are stripped, deduplicated and sorted; numbers are typed; the name is the id."""
    bea = await hass.auth.async_create_user("Bea")
    result = await _start(hass, site, SUBENTRY_RESIDENT)
    assert result["step_id"] == "user"
    form = resident_form(name=" Flat 2B ", id_tags=[" b9 ", "a1", "b9", "  "], user_id=bea.id)
    form |= {"v2g_opt_in": True, "reserve_soc": 40.0, "priority": 3.0}
    result = await _submit(hass, result, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    created = residents_of(site)["Flat 2B"]
    assert created.unique_id == "flat 2b"
    assert dict(created.data) == {
        "id_tags": ["a1", "b9"],
        "user_id": bea.id,
        "v2g_opt_in": True,
        "reserve_soc": 40.0,
        "priority": 3,
    }
    assert [type(created.data[k]) for k in ("reserve_soc", "priority")] == [float, int]


async def test_residents_without_user(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """The "none" user stores no user, so several residents may have none."""
    for name in ("Bob", "Cy"):
        result = await _start(hass, site, SUBENTRY_RESIDENT)
        result = await _submit(hass, result, resident_form(name=name))
        assert result["type"] is FlowResultType.CREATE_ENTRY
    residents = residents_of(site)
    assert [residents[name].data["user_id"] for name in ("Bob", "Cy")] == [None, None]
    assert residents["Cy"].data["id_tags"] == []


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"name": "   "}, {"name": "name_required"}),
        ({"id_tags": ["x9", " t2 "]}, {"id_tags": "tag_in_use"}),
        ({"id_tags": ["T2"]}, {"id_tags": "tag_in_use"}),
        ({"user_id": ANN}, {"user_id": "user_in_use"}),
    ],
    ids=["blank name", "another's tag", "another's tag in capitals", "another's user"],
)
async def test_resident_errors(
    hass: HomeAssistant,
    site: MockConfigEntry,
    ann: User,
    form: dict[str, object],
    errors: dict[str, str],
) -> None:
    """A blank name, another's tag or another's user is refused; the flow then recovers."""
    form = {key: ann.id if value == ANN else value for key, value in form.items()}
    result = await _start(hass, site, SUBENTRY_RESIDENT)
    result = await _submit(hass, result, resident_form(**form))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert set(residents_of(site)) == {"Ann"}
    result = await _submit(hass, result, resident_form())
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert set(residents_of(site)) == {"Ann", "Flat 2B"}


async def test_a_tag_typed_twice_in_two_cases_is_kept_once(
    hass: HomeAssistant, site: MockConfigEntry
) -> None:
    """OCPP compares tags case-insensitively: "CARD-1" and "card-1" are one card."""
    result = await _start(hass, site, SUBENTRY_RESIDENT)
    result = await _submit(hass, result, resident_form(id_tags=["CARD-1", " card-1", "Card-2"]))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert residents_of(site)["Flat 2B"].data["id_tags"] == ["CARD-1", "Card-2"]


async def test_resident_name_is_unique(hass: HomeAssistant, site: MockConfigEntry) -> None:
    """A second resident with the same name, in any case, is refused."""
    result = await _start(hass, site, SUBENTRY_RESIDENT)
    result = await _submit(hass, result, resident_form(name=" aNN "))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(residents_of(site)) == 1


async def test_reconfigure_resident(hass: HomeAssistant, site: MockConfigEntry, ann: User) -> None:
    """Reconfigure shows the resident, keeps its own name, tags and user, refuses others'."""
    await _submit(
        hass, await _start(hass, site, SUBENTRY_RESIDENT), resident_form(name="Bob", id_tags=["b1"])
    )
    ann_id = residents_of(site)["Ann"].subentry_id
    context = {"source": "reconfigure", "subentry_id": ann_id}
    result = await _start(hass, site, SUBENTRY_RESIDENT, **context)
    assert result["step_id"] == "reconfigure"
    defaults = [field(result, name).default() for name in ("name", "id_tags", "user_id")]
    assert defaults == ["Ann", ["t1", "t2"], ann.id]
    form = resident_form(name="Ann", id_tags=["t1", "b1"], user_id=ann.id)
    result = await _submit(hass, result, form)
    assert result["errors"] == {"id_tags": "tag_in_use"}
    form |= {"name": " ANN ", "id_tags": ["t3", "t2"], "priority": 5}
    result = await _submit(hass, result, form)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    changed = site.subentries[ann_id]
    assert (changed.title, changed.unique_id) == ("ANN", "ann")
    assert changed.data["id_tags"] == ["t2", "t3"]
    assert (changed.data["user_id"], changed.data["priority"]) == (ann.id, 5)
    result = await _start(hass, site, SUBENTRY_RESIDENT, **context)
    result = await _submit(hass, result, resident_form(name="bob"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert site.subentries[ann_id].title == "ANN"


async def test_user_select_lists_active_people(
    hass: HomeAssistant, site: MockConfigEntry, ann: User
) -> None:
    """Only active users who are not system-generated can be linked."""
    gone = await hass.auth.async_create_user("Gone")
    await hass.auth.async_deactivate_user(gone)
    system = await hass.auth.async_create_system_user("Bot")
    result = await _start(hass, site, SUBENTRY_RESIDENT)
    values = select_values(result, "user_id")
    assert values[0] == "none"
    assert ann.id in values
    assert not {gone.id, system.id} & set(values)
    with pytest.raises(InvalidData):
        await _submit(hass, result, resident_form(user_id=gone.id))


async def test_station_form_without_residents(hass: HomeAssistant) -> None:
    """A site without residents asks for no owner."""
    entry = MockConfigEntry(domain=DOMAIN, title="Barn", unique_id="barn", data=SITE_DATA)
    entry.add_to_hass(hass)
    result = await _start(hass, entry, SUBENTRY_STATION)
    fields = {str(key) for key in result["data_schema"].schema}
    assert "owner" not in fields
    assert "connected_phase" in fields


@pytest.mark.parametrize("owned", [False, True])
async def test_station_owner(
    hass: HomeAssistant, site: MockConfigEntry, station_server: StationServer, owned: bool
) -> None:
    """With residents the form offers an owner, stored as the resident's id or None."""
    ann_id = residents_of(site)["Ann"].subentry_id
    result = await _start(hass, site, SUBENTRY_STATION)
    assert select_values(result, "owner") == ["none", ann_id]
    assert field(result, "owner").default() == "none"
    with pytest.raises(InvalidData):
        await _submit(hass, result, station_form(station_server.port, owner="stranger"))
    owner = ann_id if owned else "none"
    form = station_form(station_server.port, owner=owner, connected_phase="2")
    result = await _submit(hass, result, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    station = next(s for s in site.subentries.values() if s.subentry_type == SUBENTRY_STATION)
    assert station.data["owner"] == (ann_id if owned else None)
    assert station.data["connected_phase"] == 2


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("options.error", {"safe_above_supply"}),
        ("config_subentries.resident.error", {"name_required", "tag_in_use", "user_in_use"}),
        ("config_subentries.resident.abort", {"already_configured", "reconfigure_successful"}),
        ("options.step.sharing.data", set(options_form(load_sensor=LOAD))),
        ("options.step.sharing.data_description", set(options_form(load_sensor=LOAD))),
        ("config_subentries.resident.step.user.data", set(resident_form())),
        ("config_subentries.resident.step.reconfigure.data", set(resident_form())),
        ("config_subentries.station.step.coap.data", {"owner", "connected_phase"}),
    ],
)
def test_translations(path: str, keys: set[str]) -> None:
    """Every error and abort the flows raise, and every form field, has an English text."""
    node = EN
    for part in path.split("."):
        node = node[part]
    assert keys <= set(node)
    assert all(node[key].strip() for key in keys)


async def test_reconfigure_resident_whose_user_was_removed(
    hass: HomeAssistant, site: MockConfigEntry, ann: User
) -> None:
    """A linked user removed since: the form offers "none" instead of refusing its own default."""
    ann_id = residents_of(site)["Ann"].subentry_id
    await hass.auth.async_remove_user(ann)
    context = {"source": "reconfigure", "subentry_id": ann_id}
    result = await _start(hass, site, SUBENTRY_RESIDENT, **context)
    assert field(result, "user_id").default() == "none"
