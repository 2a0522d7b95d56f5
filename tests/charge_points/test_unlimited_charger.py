"""A charger that refuses every limit is counted at its maximum, with a repair issue naming it."""

from __future__ import annotations

import time

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.links import ocpp as ocpp_link
from tests.common import wait_for

from .conftest import ChargePointFactory


@pytest.mark.parametrize("version", ["ocpp1.6"])
async def test_a_charger_that_refuses_limits_counts_at_its_maximum(
    hass: HomeAssistant,
    site: MockConfigEntry,
    ocpp_port: int,
    charge_points: ChargePointFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its 32 A are kept for it and a repair issue says so; once it takes a limit, both go."""
    monkeypatch.setattr(ocpp_link, "LIMIT_RETRY", 0.5)
    charger = charge_points()
    charger.state.accept_profiles = False
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    hub = site.runtime_data.hub
    key = next(iter(hub.stations))
    registry = ir.async_get(hass)

    def issue() -> ir.IssueEntry | None:
        return registry.async_get_issue(DOMAIN, f"charger_not_limited_{site.entry_id}_{key}")

    await wait_for(hass, lambda: issue() is not None, within=10, what="the repair issue")
    assert issue().translation_placeholders["charge_point"] == "cp-1"
    assert hub.sharing.demand_of(key, time.time()).fixed_a == 32.0
    charger.state.accept_profiles = True
    await wait_for(hass, lambda: issue() is None, within=15, what="the issue gone")
    assert hub.sharing.demand_of(key, time.time()).fixed_a is None
