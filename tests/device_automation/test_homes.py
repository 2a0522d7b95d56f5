"""A single home without residents, and a bay with an owner: a session needs no resident named."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g import device_action
from custom_components.ev_v2g.const import DOMAIN
from hardware.station_sim import StationServer
from tests.common import resident, state_of
from tests.conftest import SITE_DATA, station_subentry

from .conftest import RESIDENT, action, run, station_device

NO_RESIDENTS = "no residents"
OWNED_BAY = "owned bay"


@pytest.fixture(params=[NO_RESIDENTS, OWNED_BAY])
def layout(request: pytest.FixtureRequest) -> str:
    """Which kind of home."""
    kind: str = request.param
    return kind


@pytest.fixture
def mock_config_entry(station_server: StationServer, layout: str) -> MockConfigEntry:
    """Bay 1 alone, or Bay 1 owned by Ann."""
    port = station_server.port
    subentries = (
        [station_subentry("Bay 1", port)]
        if layout == NO_RESIDENTS
        else [station_subentry("Bay 1", port, owner="ann"), resident("ann", "Ann")]
    )
    return MockConfigEntry(
        domain=DOMAIN, title="Home", unique_id="home", data=SITE_DATA, subentries_data=subentries
    )


async def test_start_without_a_resident(
    hass: HomeAssistant, site: MockConfigEntry, layout: str
) -> None:
    """Unassigned at home; the owner's on an owned bay. Only the bay's site's residents offered."""
    station = station_device(hass, site)
    capabilities = await device_action.async_get_action_capabilities(
        hass, action(station, "start_session")
    )
    await run(hass, action(station, "start_session"))
    if layout == NO_RESIDENTS:
        assert capabilities == {}
        assert state_of(hass, RESIDENT) == "unassigned"
    else:
        selector = capabilities["extra_fields"].schema["resident"]
        assert selector.config["options"] == [{"value": "ann", "label": "Ann"}]
        assert state_of(hass, RESIDENT) == "Ann"
