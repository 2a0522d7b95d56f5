"""Every blueprint file: valid for Home Assistant, described, pointing at itself, with defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector
from homeassistant.util import yaml as yaml_util
import pytest

from .conftest import BLUEPRINTS, UseBlueprint

MANIFEST = Path(__file__).parents[2] / "custom_components" / "ev_v2g" / "manifest.json"
# The inputs a user must fill in; every other input has a default.
REQUIRED = {
    "pv_drop_v2g.yaml": {"site", "plugged_sensors", "pv_sensor"},
    "peak_shaving.yaml": {"site", "import_sensor"},
    "price_signal.yaml": {"site", "price_sensor"},
    "session_notifications.yaml": {"resident"},
}
# Made-up values for the required inputs, enough to create an automation.
SAMPLE_INPUTS: dict[str, Any] = {
    "site": "01JSITEENTRY",
    "plugged_sensors": ["binary_sensor.bay_1_vehicle_plugged"],
    "pv_sensor": "sensor.pv_power",
    "import_sensor": "sensor.grid_import",
    "price_sensor": "sensor.electricity_price",
    "resident": "0123456789abcdef0123456789abcdef",
}


def _load(file: str) -> Blueprint:
    path = BLUEPRINTS / file
    return Blueprint(
        yaml_util.load_yaml_dict(path),
        path=str(path),
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def _keys(node: Any) -> set[str]:
    """Every mapping key in a YAML tree."""
    if isinstance(node, dict):
        return set(node).union(*(_keys(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(item) for item in node))
    return set()


def test_every_blueprint_is_tested() -> None:
    """No blueprint file ships without being listed here (and so validated below)."""
    assert {path.name for path in BLUEPRINTS.glob("*.yaml")} == set(REQUIRED)


@pytest.mark.parametrize("file", sorted(REQUIRED))
def test_blueprint_metadata(file: str) -> None:
    """Valid schema, automation domain, this HA version, described, source_url to this file."""
    blueprint = _load(file)
    assert blueprint.validate() is None
    metadata = blueprint.metadata
    assert metadata["name"].startswith("EV V2G — ")
    assert len(metadata["description"]) > 200
    assert metadata["homeassistant"]["min_version"] == "2026.2.0"
    repository = json.loads(MANIFEST.read_text(encoding="utf-8"))["documentation"]
    assert metadata["source_url"] == (f"{repository}/blob/main/blueprints/automation/ev_v2g/{file}")


@pytest.mark.parametrize("file", sorted(REQUIRED))
def test_blueprint_inputs(file: str) -> None:
    """Each input is named and has a selector; defaults exist where sensible and fit it."""
    inputs = _load(file).inputs
    assert {key for key, value in inputs.items() if "default" not in value} == REQUIRED[file]
    for key, value in inputs.items():
        assert value.get("name"), key
        assert value.get("selector"), key
        if "default" in value:
            selector.selector(value["selector"])(value["default"])


@pytest.mark.parametrize("file", sorted(REQUIRED))
def test_blueprint_uses_current_syntax(file: str) -> None:
    """triggers/conditions/actions in the plural, `trigger:` in triggers, `action:` not service."""
    blueprint = _load(file)
    data = blueprint.data
    assert "triggers" in data
    assert "actions" in data
    body = {key: value for key, value in data.items() if key != "blueprint"}
    assert not {"service", "platform"} & _keys(body)
    assert not {"trigger", "condition", "action"} & set(body)
    for trigger in data["triggers"]:
        assert "trigger" in trigger


@pytest.mark.parametrize("file", sorted(REQUIRED))
async def test_blueprint_makes_an_automation(
    hass: HomeAssistant, use_blueprint: UseBlueprint, file: str
) -> None:
    """Only the required inputs given: Home Assistant accepts the automation it makes."""
    inputs = {key: SAMPLE_INPUTS[key] for key in REQUIRED[file]}
    for sensor in ("pv_sensor", "import_sensor", "price_sensor"):
        hass.states.async_set(SAMPLE_INPUTS[sensor], "0")
    assert await use_blueprint(file, inputs) == "automation.under_test"
