"""A charger joins the site only after its boot, and each configuration step stands alone.

A strict charger drops every call that comes before its BootNotification is accepted; one that
refuses charging profiles still gets the residents' tags (the local list).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.common import wait_for

from .conftest import ChargePointFactory


def _actions(charger: object) -> list[str]:
    return [action for action, _ in charger.state.received]  # type: ignore[attr-defined]


async def test_nothing_is_sent_before_the_boot_is_accepted(
    hass: HomeAssistant, site: MockConfigEntry, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """A strict charger drops nothing: its ceiling and tags all arrive after its boot."""
    charger = charge_points()
    charger.state.strict_boot = True
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(hass, lambda: "SendLocalList" in _actions(charger), within=10, what="tags")
    assert charger.state.dropped_before_boot == []
    assert "SetChargingProfile" in _actions(charger)


@pytest.mark.parametrize("version", ["ocpp1.6"])
async def test_a_refused_step_does_not_skip_the_others(
    hass: HomeAssistant, site: MockConfigEntry, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """Profiles refused: the local list and the status request still go out."""
    charger = charge_points()
    charger.state.accept_profiles = False
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(hass, lambda: "SendLocalList" in _actions(charger), within=10, what="tags")
    await wait_for(hass, lambda: "TriggerMessage" in _actions(charger), what="status request")


async def test_a_charger_that_takes_only_watts_is_limited_in_watts(
    hass: HomeAssistant, site: MockConfigEntry, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """A W-only firmware gets its ceiling and fallback in W, and accepts them."""
    charger = charge_points()
    charger.state.rate_units = ("W",)
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(hass, lambda: "SendLocalList" in _actions(charger), within=10, what="tags")
    assert charger.state.station_profiles, "no profile was accepted"
    units = {profile.unit for profile in charger.state.station_profiles.values()}
    assert units == {"W"}
    ceiling = next(
        p for (purpose, _), p in charger.state.station_profiles.items() if "Max" in purpose
    )
    assert ceiling.periods[0][1] == 32 * 230  # the site's 32 A at 230 V, one phase
