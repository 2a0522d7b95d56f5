"""Deleting a site: its stores and issues go, its unwritten ledger records stay."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from tests.conftest import SITE_DATA


def _issue(hass: HomeAssistant, issue_id: str) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="ledger_unavailable",
    )


async def test_a_deleted_site_leaves_only_its_unwritten_records(
    hass: HomeAssistant, hass_storage: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The OCPP, site-tag and sharing stores and the site's issues are removed; others stay."""
    entry = MockConfigEntry(domain=DOMAIN, title="Garage", data=SITE_DATA)
    other = MockConfigEntry(domain=DOMAIN, title="Annex", data=SITE_DATA)
    entry.add_to_hass(hass)
    other.add_to_hass(hass)
    kinds = ("ocpp", "ocpp_site_tag", "sharing")
    ours = [f"{DOMAIN}.{kind}_{entry.entry_id}" for kind in kinds]
    queue = f"{DOMAIN}.ledger_queue_{entry.entry_id}"
    theirs = f"{DOMAIN}.ocpp_site_tag_{other.entry_id}"
    for key in (*ours, queue, theirs):
        hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": {"x": 1}}
    _issue(hass, f"ocpp_locked_out_{entry.entry_id}_10.0.0.9")
    _issue(hass, f"ledger_unavailable_{entry.entry_id}")
    _issue(hass, f"ledger_unavailable_{other.entry_id}")
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in ours if key in hass_storage]
    assert queue in hass_storage
    assert theirs in hass_storage
    assert "Garage was deleted with ledger records not yet written" in caplog.text
    left = [issue_id for domain, issue_id in ir.async_get(hass).issues if domain == DOMAIN]
    assert left == [f"ledger_unavailable_{other.entry_id}"]
