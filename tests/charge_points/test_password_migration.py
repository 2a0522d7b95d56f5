"""Sites made before passwords were hashed: the plain password is replaced, the charger notices nothing."""

from __future__ import annotations

from types import MappingProxyType

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.transport.ocpp.passwords import is_password_hash, password_matches
from tests.common import wait_for
from tests.conftest import SITE_DATA

from .conftest import PASSWORD, ChargePointFactory, charge_point_subentry


def plain_password_subentry(charge_point_id: str) -> ConfigSubentryData:
    """An OCPP station as version 1.1 stored it: the password in plain text."""
    subentry = charge_point_subentry(charge_point_id)
    data = dict(subentry["data"])
    del data["password_hash"]
    data["password"] = PASSWORD
    return ConfigSubentryData(**{**subentry, "data": MappingProxyType(data)})


@pytest.fixture
def site_entry(ocpp_port: int) -> MockConfigEntry:
    """A site written by 1.1: one charge point with its password in plain text."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        version=1,
        minor_version=1,
        data=SITE_DATA,
        options={"ocpp_port": ocpp_port},
        subentries_data=[plain_password_subentry("cp-1")],
    )


async def test_a_plain_password_becomes_a_hash_and_the_charger_still_logs_in(
    hass: HomeAssistant,
    site: MockConfigEntry,
    ocpp_port: int,
    charge_points: ChargePointFactory,
) -> None:
    """After the migration no plain password is stored, and the charger's old one still works."""
    assert site.state is ConfigEntryState.LOADED
    assert site.minor_version == 2
    (subentry,) = site.subentries.values()
    assert "password" not in subentry.data
    assert is_password_hash(subentry.data["password_hash"])
    assert password_matches(subentry.data["password_hash"], PASSWORD)
    assert PASSWORD not in repr(site.as_dict())
    stranger = charge_points("cp-1", password="Secret1Secret2Secres")
    with pytest.raises(Exception, match="401"):
        await stranger.connect(f"ws://127.0.0.1:{ocpp_port}")
    throttle = site.runtime_data.charge_points.central.login_throttle
    await wait_for(hass, lambda: throttle.wait_s("127.0.0.1") == 0, what="the wait over")
    charger = charge_points("cp-1")
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(
        hass,
        lambda: getattr(hass.states.get("binary_sensor.charger_connectivity"), "state", "") == "on",
        what="the charger online with its old password",
    )


async def test_an_entry_from_a_newer_major_version_is_not_loaded(hass: HomeAssistant) -> None:
    """A downgrade is refused, and nothing of the newer entry is changed."""
    entry = MockConfigEntry(domain=DOMAIN, title="Garage", version=2, data=SITE_DATA)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.version == 2
