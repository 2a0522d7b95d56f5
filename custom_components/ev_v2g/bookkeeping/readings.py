"""A station's readings: taken now, spread over bounds nobody read it at, resumed after a restart.

Pure bookkeeping on the core's records; the session book decides when.
"""

from __future__ import annotations

from dataclasses import replace
import time

from ..core.meter import allowance_wh
from ..core.records import Reading, Session
from ..core.station import Station


def reading_of(
    key: str,
    station: Station,
    session: Session | None,
    last: Reading | None,
    *,
    at: float,
    price: float,
    credit_rate: float,
) -> Reading | None:
    """The station's meter at `at` (None while nothing is metered), after `last`.

    An import-only meter exports 0; should an export register appear later, it counts from
    `last`, its first value a baseline, not energy. A clock that stepped back dates the reading
    just after `last`: readings keep their order, so none is dropped as stale.
    """
    imported, exported = station.energy_import.total_wh, station.energy_export.total_wh
    if imported is None:
        return None
    if exported is None:
        exported = station.energy_export.total_wh = 0.0 if last is None else last.export_wh
    if last is not None and at <= last.at:
        at = last.at + 0.001
    return Reading(
        station=key,
        at=at,
        session=None if session is None else session.id,
        import_wh=imported,
        export_wh=exported,
        meter_import_wh=station.energy_import.last_raw_wh,
        meter_export_wh=station.energy_export.last_raw_wh,
        meter_boot=station.energy_import.boot,
        power_w=station.telemetry.power_w,
        price=price,
        credit_rate=credit_rate,
    )


def spread(last: Reading, reading: Reading, at: float, price: float) -> Reading:
    """A reading at `at` between two others, its totals in proportion to the time elapsed.

    It has no register of its own: nobody read the station then.
    """
    share = (at - last.at) / (reading.at - last.at)
    return replace(
        reading,
        at=at,
        import_wh=last.import_wh + share * (reading.import_wh - last.import_wh),
        export_wh=last.export_wh + share * (reading.export_wh - last.export_wh),
        meter_import_wh=None,
        meter_export_wh=None,
        meter_boot=None,
        power_w=None,
        price=price,
    )


def resume(station: Station, reading: Reading) -> None:
    """Continue the lifetime totals from the ledger's last reading.

    The station may have restarted meanwhile: its next lower counter is a restart adding at
    most what it could have drawn since that reading.
    """
    most = allowance_wh(station.capabilities.max_power_w(), time.time() - reading.at)
    for meter, total_wh, raw_wh in (
        (station.energy_import, reading.import_wh, reading.meter_import_wh),
        (station.energy_export, reading.export_wh, reading.meter_export_wh),
    ):
        meter.total_wh = total_wh
        meter.last_raw_wh = raw_wh
        meter.boot = reading.meter_boot
        meter.moved_at = time.monotonic() - max(time.time() - reading.at, 0.0)
        meter.expect_restart(most)
