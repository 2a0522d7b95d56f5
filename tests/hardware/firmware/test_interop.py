"""Interoperability: libcoap's coap-client (a C implementation) talks to the firmware."""

from __future__ import annotations

import json

import pytest

from hardware.firmware.app import Firmware
from hardware.firmware.hal_sim import SimulatedHal
from tests.hardware.coap_tools import COAP_CLIENT, FIRMWARE_DISCOVERY, coap_client_run

pytestmark = pytest.mark.skipif(
    COAP_CLIENT is None,
    reason="libcoap's coap-client is not installed (apt-get install libcoap3-bin)",
)


def _uri(firmware: Firmware, path: str) -> str:
    return f"coap://127.0.0.1:{firmware.settings['port']}/{path}"


async def test_libcoap_discovers_switches_and_regulates(
    firmware: Firmware, hal: SimulatedHal
) -> None:
    """Discovery, a legacy-text switch and a JSON setpoint, all from coap-client."""
    out, _ = await coap_client_run("-m", "get", _uri(firmware, ".well-known/core"))
    assert out.strip() == FIRMWARE_DISCOVERY
    body = '{"setpoint_ma": 16000}'
    out, _ = await coap_client_run("-m", "put", "-t", "50", "-e", body, _uri(firmware, "regulator"))
    assert json.loads(out)["setpoint_ma"] == 16000
    out, _ = await coap_client_run("-m", "put", "-e", "on", _uri(firmware, "switch"))
    assert json.loads(out)["value"] is True
    assert hal.relay


async def test_libcoap_sees_refusals(firmware: Firmware) -> None:
    """An out-of-range setpoint reports 4.00 with the station's reason."""
    body = '{"setpoint_ma": 99000}'
    _, err = await coap_client_run("-m", "put", "-t", "50", "-e", body, _uri(firmware, "regulator"))
    assert "4.00" in err


async def test_libcoap_observes_current(firmware: Firmware, hal: SimulatedHal) -> None:
    """coap-client -s acknowledges our confirmable notifications and keeps receiving them."""
    out, _ = await coap_client_run("-s", "1", "-m", "get", _uri(firmware, "current"))
    assert out.count('"bn":') >= 2, out
    assert not any("gave no ACK" in line for line in hal.logs)
