"""Where the central system listens: every address by default, one address when it is set."""

from __future__ import annotations

import asyncio
import errno
import socket
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.flows.ocpp_options import check_address
from tests.common import state_of, wait_for
from tests.conftest import SITE_DATA

from .conftest import ChargePointFactory, charge_point_subentry


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


async def _reaches(host: str, port: int) -> bool:
    """Whether a TCP connection to host:port is accepted."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def _site(ocpp_port: int, **options: str) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data=SITE_DATA,
        options={"ocpp_port": ocpp_port, **options},
        subentries_data=[charge_point_subentry("cp-1")],
    )


@pytest.mark.parametrize("version", ["ocpp1.6"])
@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
async def test_one_address_is_the_only_one_listened_on(
    hass: HomeAssistant, ocpp_port: int, charge_points: ChargePointFactory
) -> None:
    """With 127.0.0.1 set, a charger reaches it there and ::1 refuses; unset, both answer."""
    entry = _site(ocpp_port, ocpp_address="127.0.0.1")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await _reaches("127.0.0.1", ocpp_port)
    assert not await _reaches("::1", ocpp_port)
    charger = charge_points()
    await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(hass, lambda: state_of(hass, "binary_sensor.charger_connectivity") == "on")

    hass.config_entries.async_update_entry(entry, options={"ocpp_port": ocpp_port})
    await hass.async_block_till_done()
    assert await _reaches("::1", ocpp_port)
    assert await _reaches("127.0.0.1", ocpp_port)
    assert await hass.config_entries.async_unload(entry.entry_id)


def test_an_address_that_cannot_be_bound_says_why(loopback: None) -> None:
    """A refusal other than 'no such address' (here: not permitted) is named with its reason."""
    refused = OSError(errno.EACCES, "Permission denied")
    with patch("socket.socket.bind", side_effect=refused):
        assert check_address("10.0.0.1") == ("address_unusable", "10.0.0.1: Permission denied")
