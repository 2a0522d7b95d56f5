"""Fixtures for the firmware's tests: settings, a simulated board, the firmware on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from hardware.firmware import config
from hardware.firmware.app import Firmware
from hardware.firmware.hal_sim import SimulatedHal
from hardware.firmware.station import Station
from hardware.station_sim import free_udp_port
from tests.hardware.conftest import CoapClient, coap_client

CALIBRATION = (config.THEORETICAL_SLOPE, 0.0)


def make_settings(**overrides: Any) -> dict[str, Any]:
    """Quick settings: 1 s Max-Age, 50 ms ticks, watchdog off unless a test turns it on."""
    values: dict[str, Any] = {
        "bind": "127.0.0.1",
        "max_age_s": 1,
        "sample_period_s": 0.05,
        "watchdog_s": 0,
        "max_ma": 32000,
        "max_discharge_ma": 16000,
    }
    values.update(overrides)
    settings: dict[str, Any] = config.load_config(json.dumps(values))
    return settings


@pytest.fixture
def settings() -> dict[str, Any]:
    """Settings for one test."""
    return make_settings()


@pytest.fixture
def hal(settings: dict[str, Any], tmp_path: Path) -> SimulatedHal:
    """A simulated board whose flash is a temporary folder; noise-free CT."""
    return SimulatedHal(settings, str(tmp_path), noise_counts=0.0)


@pytest.fixture
def station(settings: dict[str, Any], hal: SimulatedHal) -> Station:
    """The station logic alone, no network."""
    return Station(settings, CALIBRATION, hal)


@pytest.fixture
async def firmware(
    loopback_sockets: None, settings: dict[str, Any], hal: SimulatedHal
) -> AsyncIterator[Firmware]:
    """The firmware serving on its own loopback port, with quick notification retransmits."""
    settings["port"] = free_udp_port("127.0.0.1")
    firmware = Firmware(hal, settings, CALIBRATION, ack_timeout_ms=50)
    await firmware.start()
    yield firmware
    await firmware.stop()


@pytest.fixture
async def client(firmware: Firmware) -> AsyncIterator[CoapClient]:
    """An aiocoap client for the firmware."""
    async with coap_client(f"coap://127.0.0.1:{firmware.settings['port']}") as client:
        yield client


@contextlib.asynccontextmanager
async def serving(
    hal: SimulatedHal, settings: dict[str, Any], **overrides: Any
) -> AsyncIterator[tuple[Firmware, CoapClient]]:
    """The firmware with some settings changed, on a fresh port, and a client for it."""
    settings.update(overrides, port=free_udp_port("127.0.0.1"))
    firmware = Firmware(hal, settings, CALIBRATION, ack_timeout_ms=50)
    await firmware.start()
    try:
        async with coap_client(f"coap://127.0.0.1:{settings['port']}") as client:
            yield firmware, client
    finally:
        await firmware.stop()
