"""A hostile OCPP charger and strangers at the site: nothing they send breaks it or the bills.

Over real WebSockets: cp-1 (the simulator) charges Alice's car honestly while cp-2, with a
good password, sends seeded hostile frames (tests/hostile.py) and strangers knock with made-up
ids. The truths: what cp-1 delivered by its own count, the most cp-2 could physically have
drawn, the process's descriptors. Set EV_V2G_FUZZ_SEED to replay another run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import contextlib
import logging
import math
import os
import random
import time

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ev_v2g.charge_points.discovery_budget import MAX_OFFERS
from custom_components.ev_v2g.const import DOMAIN
from tests.common import call, numbers, open_descriptors, state_of, usage, wait_for
from tests.hostile import ocpp_frame
from tests.transport.ocpp.client import OcppClient

from .conftest import PASSWORD, ChargePointFactory, charge_point_subentry, garage, resident_subentry

SEED = int(os.environ.get("EV_V2G_FUZZ_SEED", "1903"))
FRAMES = 800
KNOCKS = 200
LOG_LINES = 60
CONNECTIVITY = "binary_sensor.charger_connectivity"


@pytest.fixture
def site_entry(ocpp_port: int) -> MockConfigEntry:
    """cp-1 for Alice's card and cp-2, the hostile one, both with the test password."""
    return garage(
        ocpp_port,
        charge_point_subentry("cp-1"),
        charge_point_subentry("cp-2", name="Hostile", connectors=2),
        resident_subentry("Alice", "CARD-ALICE"),
    )


async def _knock(session: aiohttp.ClientSession, port: int, charge_point_id: str) -> None:
    """A stranger's upgrade with a made-up id and no password."""
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        async with asyncio.timeout(5):
            ws = await session.ws_connect(
                f"ws://127.0.0.1:{port}/{charge_point_id}", protocols=("ocpp1.6",)
            )
            await ws.close()


async def _attack(client: OcppClient, port: int, version: str) -> None:
    rng = random.Random(SEED)
    async with aiohttp.ClientSession() as strangers:
        for number in range(FRAMES):
            with contextlib.suppress(ConnectionError, aiohttp.ClientError):
                await client.send_raw(ocpp_frame(rng, version))
            if number % 4 == 0:
                await _knock(strangers, port, f"x{rng.randrange(10**9)}")
            await asyncio.sleep(0.002)


async def test_a_hostile_charger_and_strangers_break_nothing(
    hass: HomeAssistant,
    site: MockConfigEntry,
    charge_points: ChargePointFactory,
    ocpp_port: int,
    version: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """800 hostile frames and 200 knocks: cp-1 billed what it delivered, cards and logs bounded."""
    caplog.set_level(logging.INFO, logger="custom_components.ev_v2g")
    honest = charge_points()
    await honest.connect(f"ws://127.0.0.1:{ocpp_port}")
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") in ("idle", "plugged_in"), what="cp-1"
    )
    connector = honest.state.connectors[1]
    await honest.plug(1, soc=40)
    assert await honest.swipe(1, "CARD-ALICE")
    await wait_for(hass, lambda: state_of(hass, "sensor.charger_state") == "charging", what="on")
    central = site.runtime_data.charge_points.central
    hostile = await OcppClient.connect(central, "cp-2", password=PASSWORD, protocols=(version,))
    descriptors = open_descriptors()
    logged = len(caplog.records)
    started = time.monotonic()

    await _attack(hostile, ocpp_port, version)
    await hostile.close()

    assert site.state is ConfigEntryState.LOADED
    target = connector.delivered_wh + 2.0
    await wait_for(hass, lambda: connector.delivered_wh >= target, what="cp-1 still charging")
    await honest.unplug(1)
    await wait_for(
        hass, lambda: state_of(hass, "sensor.charger_state") in ("idle", "plugged_in"), what="ended"
    )
    assert honest.connected
    elapsed_s = time.monotonic() - started
    await hass.async_block_till_done()
    await site.runtime_data.writer.async_flush()

    statement = await call(hass, "get_statement", {"config_entry_id": site.entry_id})
    alice = next(line for line in statement["residents"] if line["name"] == "Alice")
    assert alice["import_kwh"] == pytest.approx(connector.delivered_wh / 1000, abs=0.0011)
    hostile_station = next(
        s for s in site.runtime_data.hub.stations.values() if s.name.startswith("Hostile")
    )
    most_kwh = (
        (hostile_station.configured or hostile_station.capabilities).max_power_w()
        * 2
        * 1.25
        * (elapsed_s + 30)
        / 3.6e6
    )
    for key, value in numbers(statement):
        assert math.isfinite(value), (key, value)
        if key.endswith("_kwh"):
            assert abs(value) <= connector.delivered_wh / 1000 + most_kwh, (key, value)
    for row in await usage(site):
        assert math.isfinite(row.import_wh), row
        assert math.isfinite(row.export_wh), row

    cards = [f for f in hass.config_entries.flow.async_progress() if f["handler"] == DOMAIN]
    assert len(cards) <= MAX_OFFERS
    ours = [r for r in caplog.records[logged:] if r.name.startswith("custom_components.ev_v2g")]
    assert len(ours) <= LOG_LINES, Counter(f"{r.name}:{r.lineno}" for r in ours).most_common()
    assert not [r for r in caplog.records[logged:] if r.exc_info], "a traceback was logged"
    assert open_descriptors() <= descriptors + 4


async def test_a_charger_that_keeps_dropping_out_is_logged_once(
    hass: HomeAssistant,
    site: MockConfigEntry,
    charge_points: ChargePointFactory,
    ocpp_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five outages in a row: one "unavailable" line, the state following every one of them."""
    charger = charge_points()
    for _ in range(5):
        await charger.connect(f"ws://127.0.0.1:{ocpp_port}")
        await wait_for(hass, lambda: state_of(hass, CONNECTIVITY) == "on", what="online")
        await charger.disconnect()
        await wait_for(hass, lambda: state_of(hass, CONNECTIVITY) == "off", what="offline")
    lost = [r for r in caplog.records if "is unavailable" in r.getMessage()]
    assert len(lost) == 1, [r.getMessage() for r in lost]
