"""A charger (or a stranger) with a wrong password: locked out, told in Repairs, let back in."""

from __future__ import annotations

import aiohttp
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.transport.ocpp.login_throttle import LoginThrottle
from tests.common import wait_for

from .conftest import ChargePointFactory

ISSUE_PREFIX = "ocpp_locked_out_"


def _issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    return [
        issue
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue_id.startswith(ISSUE_PREFIX)
    ]


async def test_a_locked_out_charger_is_a_repair_that_lets_it_back_in(
    hass: HomeAssistant, site: MockConfigEntry, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """Ten wrong passwords raise the issue; fixing it lets the right password in again."""
    assert await async_setup_component(hass, "repairs", {})
    central = site.runtime_data.charge_points.central
    central.login_throttle = LoginThrottle(base_delay_s=0.01, max_delay_s=0.01, lockout_after=10)
    url = f"ws://127.0.0.1:{ocpp_port}"
    wrong = charge_points("cp-1", password="Secret1Secret2Secres")
    statuses = []
    while 403 not in statuses:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await wrong.connect(url)
        statuses.append(refused.value.status)
        await hass.async_block_till_done()
        if statuses[-1] == 429:
            await wait_for(hass, lambda: central.login_throttle.wait_s("127.0.0.1") == 0)
    assert statuses.count(401) == 10
    (issue,) = _issues(hass)
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "site": "Garage",
        "address": "127.0.0.1",
        "charge_point": "cp-1",
    }
    right = charge_points("cp-1")
    with pytest.raises(aiohttp.WSServerHandshakeError) as locked:
        await right.connect(url)
    assert locked.value.status == 403
    flows = repairs_flow_manager(hass)
    assert flows is not None
    result = await flows.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"]["address"] == "127.0.0.1"
    result = await flows.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry"
    assert not _issues(hass)
    await right.connect(url)
    await wait_for(
        hass,
        lambda: getattr(hass.states.get("binary_sensor.charger_connectivity"), "state", "") == "on",
        what="the charger back in",
    )
