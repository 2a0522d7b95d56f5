"""A bad value in a service call: a translated error naming it, and nothing changed.

The messages are read back through Home Assistant's own translation of the error, the way the
frontend shows it, not from our table.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.common import state_of


@pytest.mark.parametrize(
    ("service", "data", "key", "shown"),
    [
        ("set_demand_response", {"mode": "limit", "power": -1}, "invalid_power", "-1"),
        ("set_demand_response", {"mode": "limit", "power": None}, "invalid_power", "nothing"),
        ("set_demand_response", {"mode": "party"}, "invalid_mode", "party"),
        ("set_demand_response", {"mode": "shed", "duration": "soon"}, "invalid_duration", "soon"),
        ("set_demand_response", {"power": 3}, "missing_field", "mode"),
        ("set_demand_response", {"mode": "shed", "colour": "red"}, "invalid_field", "colour"),
        ("get_statement", {"format": "pdf"}, "invalid_format", "pdf"),
        ("get_statement", {"shared_costs": -5}, "invalid_shared_costs", "-5"),
        ("get_statement", {"split": "by_height"}, "invalid_split", "by_height"),
    ],
)
async def test_a_bad_value_is_named_in_the_users_words(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
    key: str,
    shown: str,
) -> None:
    """The error is ours, translated, names the value; the demand response stays as it was."""
    call = {"config_entry_id": init_integration.entry_id, **data}
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            "ev_v2g", service, call, blocking=True, return_response=service == "get_statement"
        )
    assert raised.value.translation_key == key
    message = str(raised.value)
    assert shown in message
    for voluptuous_text in ("dictionary value", "@ data", "expected", "extra keys"):
        assert voluptuous_text not in message
    assert state_of(hass, "select.garage_demand_response") == "normal"


async def test_a_site_that_is_not_one(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A config entry id that is not a site: the site's own message, as before."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            "ev_v2g",
            "set_demand_response",
            {"config_entry_id": "nope", "mode": "shed"},
            blocking=True,
        )
    assert raised.value.translation_key == "site_not_found"
