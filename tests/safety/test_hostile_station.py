"""A hostile CoAP station at the site: nothing it sends breaks the site or the bills.

Bay B's simulator serves seeded hostile bodies (tests/hostile.py) on every resource while Bay A
charges honestly, over real UDP. The truths: Bay A's own register, the setpoints both
simulators log as applied, what Bay B could physically have drawn, the process's descriptors.
Set EV_V2G_FUZZ_SEED to replay another run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import logging
import math
import os
import random
import time

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest

from tests.common import call, numbers, open_descriptors, usage, wait_for
from tests.hostile import coap_body

from .conftest import LIMIT_A, Site, applied_a, peak_import_a, start_session

SEED = int(os.environ.get("EV_V2G_FUZZ_SEED", "1903"))
BODIES = 600
RESOURCES = ("current", "energy", "vehicle", "regulator", "switch")
LOG_LINES = 40
"""Log lines the integration may write for all of it (each kind of fault logged once)."""


async def test_a_hostile_station_breaks_nothing(
    hass: HomeAssistant, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """600 hostile bodies from Bay B: Bay A metered and billed to its register, limit kept."""
    caplog.set_level(logging.INFO, logger="custom_components.ev_v2g")
    honest, hostile = site.a, site.b
    stations = site.entry.runtime_data.hub.stations
    bay_a = next(s for s in stations.values() if s.name == "Bay A")
    await start_session(hass, "A", "ann")
    await start_session(hass, "B", "ben")
    await wait_for(hass, lambda: applied_a(site.station("A")) > 0, what="Bay A charging")
    await wait_for(hass, lambda: bay_a.energy_import.last_raw_wh is not None, what="a reading")
    register_start = bay_a.energy_import.last_raw_wh or 0.0
    descriptors = open_descriptors()
    logged = len(caplog.records)
    started = time.monotonic()

    rng = random.Random(SEED)
    for _ in range(BODIES):
        resource = rng.choice(RESOURCES)
        hostile.station.faults.served[resource] = coap_body(rng, resource)
        hostile.notify_all()
        await asyncio.sleep(0.01)
    hostile.station.faults.served.clear()
    hostile.notify_all()
    attack_s = time.monotonic() - started

    assert site.entry.state is ConfigEntryState.LOADED
    truth = site.station("A")
    await wait_for(
        hass,
        lambda: abs((bay_a.energy_import.last_raw_wh or 0.0) - truth.energy_import_wh) < 1.0,
        what="Bay A still read to its register",
    )
    await call(hass, "stop_session", {"station": _device(hass, "Bay A")})
    await call(hass, "stop_session", {"station": _device(hass, "Bay B")})
    await wait_for(hass, lambda: truth.current_a == 0, what="Bay A stopped")
    honest.notify_all()
    await wait_for(
        hass,
        lambda: bay_a.energy_import.last_raw_wh == round(truth.energy_import_wh, 3),
        what="Bay A's last register",
    )
    elapsed_s = time.monotonic() - started
    await site.entry.runtime_data.book.writer.async_flush()

    peak, over_s = peak_import_a(site.station("A"), site.station("B"))
    assert peak <= LIMIT_A, f"seed {SEED}: {peak} A applied on a {LIMIT_A} A supply"
    assert over_s == 0

    rows = await usage(site.entry)
    imported: dict[str, float] = {}
    exported: dict[str, float] = {}
    for row in rows:
        assert math.isfinite(row.import_wh), row
        assert math.isfinite(row.export_wh), row
        imported[row.station] = imported.get(row.station, 0.0) + row.import_wh
        exported[row.station] = exported.get(row.station, 0.0) + row.export_wh
    bay_b = next(s for s in stations.values() if s.name == "Bay B")
    most_b_wh = (bay_b.configured or bay_b.capabilities).max_power_w() * 1.25 * (elapsed_s + 30)
    most_b_wh /= 3600
    assert imported.get(bay_b.key, 0.0) <= most_b_wh, f"seed {SEED}: {imported}"
    assert exported.get(bay_b.key, 0.0) <= most_b_wh, f"seed {SEED}: {exported}"
    billed_a = imported.get(bay_a.key, 0.0)
    assert billed_a == pytest.approx(truth.energy_import_wh - register_start, abs=1.0)

    statement = await call(hass, "get_statement", {"config_entry_id": site.entry.entry_id})
    for key, value in numbers(statement):
        assert math.isfinite(value), (key, value)
        if key.endswith("_kwh"):
            assert abs(value) <= (billed_a + most_b_wh) / 1000 + 0.001, (key, value)

    ours = [r for r in caplog.records[logged:] if r.name.startswith("custom_components.ev_v2g")]
    assert len(ours) <= LOG_LINES, Counter(f"{r.name}:{r.lineno}" for r in ours).most_common()
    assert not [r for r in caplog.records[logged:] if r.exc_info], "a traceback was logged"
    assert open_descriptors() <= descriptors + 4
    assert attack_s < 30


def _device(hass: HomeAssistant, name: str) -> str:
    return next(d.id for d in dr.async_get(hass).devices.values() if d.name == name)
