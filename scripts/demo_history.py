"""Give the demo's residents six past months of charging, so their monthly charts have bars.

The figures follow the condo pilot (../shared/data/condo_case_study.md: 2450 kWh by 3 cars in
3.5 months, in sessions of 11.67 kWh on average, sd 4.58, so about 20 sessions a car a month),
drawn with a fixed seed, priced at the demo's mean time-of-use price. They are imported as
long-term statistics of each resident's "charged" and "cost" sensors over Home Assistant's
websocket API (recorder/import_statistics), with the owner's token (demo_seed --token-file):
    .venv/bin/python scripts/demo_history.py http://127.0.0.1:8123 config/demo_token
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
import random
import sys
from typing import Any

import aiohttp

RESIDENTS = ("flat_1a", "flat_2b", "flat_3c")
MONTHS = 6
SESSION_KWH, SESSION_SD_KWH = 11.67, 4.58
SESSIONS_PER_MONTH = 2450 / SESSION_KWH / 3 / 3.5
PRICE = (0.3 * 16 + 0.18 * 8) / 24
"""The demo's time-of-use price averaged over the day (0.30 from 07:00, 0.18 from 23:00)."""
SEED = 2019


def month_starts(now: datetime, count: int) -> list[datetime]:
    """The first instants (UTC) of the `count` months before this one, oldest first."""
    starts = []
    year, month = now.year, now.month
    for _ in range(count):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        starts.append(datetime(year, month, 1, tzinfo=UTC))
    return starts[::-1]


def months_of_charging(rng: random.Random) -> list[float]:
    """The energy of each month (kWh): sessions drawn as in the pilot, each 2 to 22 kWh."""
    months = []
    for _ in range(MONTHS):
        sessions = max(1, round(rng.gauss(SESSIONS_PER_MONTH, 3)))
        energy = sum(
            min(22.0, max(2.0, rng.gauss(SESSION_KWH, SESSION_SD_KWH))) for _ in range(sessions)
        )
        months.append(round(energy, 2))
    return months


def statistics(statistic_id: str, unit: str, unit_class: str | None, values: list[float]) -> Any:
    """The import_statistics message: one hourly row per month, at its first hour."""
    total = 0.0
    rows = []
    for start, value in zip(month_starts(datetime.now(UTC), MONTHS), values, strict=True):
        total += value
        rows.append(
            {
                "start": start.isoformat(),
                "state": value,
                "sum": round(total, 2),
                "last_reset": start.isoformat(),
            }
        )
    return {
        "type": "recorder/import_statistics",
        "metadata": {
            "has_sum": True,
            "mean_type": 0,
            "name": None,
            "source": "recorder",
            "statistic_id": statistic_id,
            "unit_class": unit_class,
            "unit_of_measurement": unit,
        },
        "stats": rows,
    }


async def import_history(url: str, token: str) -> int:
    """Import every resident's months; how many series were taken."""
    rng = random.Random(SEED)  # noqa: S311 - demo figures, not secrets
    taken = 0
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{url}/api/websocket") as ws,
    ):
        await ws.receive_json()  # auth_required
        await ws.send_json({"type": "auth", "access_token": token})
        if (await ws.receive_json()).get("type") != "auth_ok":
            raise RuntimeError("the demo token was refused")
        for number, resident in enumerate(RESIDENTS, start=1):
            energy = months_of_charging(rng)
            cost = [round(kwh * PRICE, 2) for kwh in energy]
            for offset, message in enumerate(
                (
                    statistics(f"sensor.{resident}_charged_this_month", "kWh", "energy", energy),
                    statistics(f"sensor.{resident}_cost_this_month", "EUR", None, cost),
                )
            ):
                await ws.send_json({"id": number * 10 + offset, **message})
                answer = await ws.receive_json()
                taken += bool(answer.get("success"))
    return taken


def main() -> int:
    """Import the demo's past months at the URL, with the token in the file."""
    url, token_file = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    taken = asyncio.run(import_history(url, token_file.read_text(encoding="utf-8").strip()))
    print(f"demo_history: {taken} series of past months imported")
    return 0 if taken == 2 * len(RESIDENTS) else 1


if __name__ == "__main__":
    sys.exit(main())
