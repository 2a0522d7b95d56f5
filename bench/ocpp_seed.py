"""Seed a Home Assistant config folder for the OCPP scale benchmark (bench/ocpp_scale.py).

Writes, with Home Assistant's own auth and storage helpers (through scripts/demo_seed.py):
the demo owner with a long-lived access token for the REST API, onboarding marked done, and one
ev_v2g site "Bench" whose OCPP central system listens on a given port, with N single-connector
OCPP charge points ``bench-cp-1`` … ``bench-cp-N`` (as tests/ocpp/conftest.py configures them) and
one resident holding the card every charge point presents. Also writes a minimal
configuration.yaml (http on a given port, api, logger) and links custom_components/ev_v2g.

Run while that Home Assistant is stopped; prints one JSON line with the token::

    .venv/bin/python -m bench.ocpp_seed DIR --count 100 --ocpp-port 9100 --http-port 8200
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant import runner
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
from homeassistant.config_entries import (
    STORAGE_KEY as ENTRIES_KEY,
    STORAGE_VERSION as ENTRIES_VERSION,
    STORAGE_VERSION_MINOR as ENTRIES_MINOR_VERSION,
)
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util, ulid as ulid_util

from custom_components.ev_v2g.const import (
    CONF_CHARGE_POINT_ID,
    CONF_OCPP_PORT,
    DOMAIN,
    PROTOCOL_OCPP,
    SUBENTRY_STATION,
)
from scripts import demo_seed

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE_NAME = "Bench"
SITE_LIMIT_ENTITY = "number.bench_site_limit"
"""The site's current limit number (its name comes from SITE_NAME)."""
ID_PREFIX = "bench-cp-"
PASSWORD = "Secret1Secret2Secret"  # noqa: S105 - a loopback benchmark's throwaway password
ID_TAG = "CARD-BENCH"
"""The card every simulated charge point presents; the site's only resident holds it."""
PER_CAR_A = 16
"""The supply limit is this many amperes per charge point: every car gets 16 A at first."""
TOKEN_DAYS = 7


def charge_point_id(index: int) -> str:
    """Charge point `index`'s (1-based) identity."""
    return f"{ID_PREFIX}{index}"


def station_subentry(index: int) -> dict[str, Any]:
    """OCPP charge point `index` (1-based) as config_entries.ConfigSubentry.as_dict writes it."""
    cp_id = charge_point_id(index)
    return {
        "data": {
            "protocol": PROTOCOL_OCPP,
            CONF_CHARGE_POINT_ID: cp_id,
            "password": PASSWORD,
            "connectors": 1,
            "min_current_a": 6.0,
            "max_current_a": 32.0,
            "phases": 1,
            "connected_phase": 1,
        },
        "subentry_id": ulid_util.ulid_now(),
        "subentry_type": SUBENTRY_STATION,
        "title": f"CP {index}",
        "unique_id": f"ocpp:{cp_id}",
    }


def site_entry(count: int, ocpp_port: int, supply_limit_a: float) -> dict[str, Any]:
    """The bench site with `count` charge points and one resident holding ID_TAG."""
    now = dt_util.utcnow().isoformat()
    version, minor_version = demo_seed.flow_version()
    resident = demo_seed.resident_subentry("Bench resident", False)
    resident["data"]["id_tags"] = [ID_TAG]
    return {
        "created_at": now,
        "data": {
            "name": SITE_NAME,
            "supply_limit_a": supply_limit_a,
            "phases": 1,
            "voltage_v": 230,
        },
        "discovery_keys": {},
        "disabled_by": None,
        "domain": DOMAIN,
        "entry_id": ulid_util.ulid_now(),
        "minor_version": minor_version,
        "modified_at": now,
        "options": {CONF_OCPP_PORT: ocpp_port},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [resident, *(station_subentry(index) for index in range(1, count + 1))],
        "title": SITE_NAME,
        "unique_id": None,
        "version": version,
    }


def configuration_yaml(http_port: int, *, recorder: bool = False) -> str:
    """A minimal configuration.yaml: http on loopback, the REST API, warnings only."""
    lines = [
        "homeassistant:",
        f"  name: {SITE_NAME}",
        "  time_zone: UTC",
        "http:",
        "  server_host: 127.0.0.1",
        f"  server_port: {http_port}",
        "api:",
        "logger:",
        "  default: warning",
    ]
    if recorder:
        lines += ["recorder:", "  commit_interval: 5"]
    return "\n".join(lines) + "\n"


def write_config(config_dir: Path, http_port: int, *, recorder: bool = False) -> None:
    """configuration.yaml, and custom_components/ev_v2g linked to this repository's."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / ".storage").mkdir(exist_ok=True)
    (config_dir / "configuration.yaml").write_text(
        configuration_yaml(http_port, recorder=recorder), encoding="utf-8"
    )
    components = config_dir / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / DOMAIN
    if not link.is_symlink():
        link.symlink_to(REPO_ROOT / "custom_components" / DOMAIN, target_is_directory=True)


async def long_lived_token(hass: HomeAssistant) -> str:
    """A long-lived access token of the owner (demo_seed.seed_owner made hass.auth)."""
    owner = next(user for user in await hass.auth.async_get_users() if user.is_owner)
    refresh = await hass.auth.async_create_refresh_token(
        owner,
        client_name="ev_v2g OCPP bench",
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=timedelta(days=TOKEN_DAYS),
    )
    return hass.auth.async_create_access_token(refresh)


async def seed(
    config_dir: Path,
    count: int,
    ocpp_port: int,
    supply_limit_a: float,
    extra_subentries: Sequence[dict[str, Any]] = (),
) -> str:
    """Seed an empty config folder; returns the owner's long-lived access token.

    `extra_subentries` (e.g. a CoAP station) join the site's.
    """
    hass = HomeAssistant(str(config_dir))
    await asyncio.gather(dr.async_load(hass), er.async_load(hass))
    await demo_seed.seed_owner(hass)
    await demo_seed.seed_onboarding(hass)
    token = await long_lived_token(hass)
    store: Store[dict[str, list[dict[str, Any]]]] = Store(
        hass, ENTRIES_VERSION, ENTRIES_KEY, minor_version=ENTRIES_MINOR_VERSION
    )
    entry = site_entry(count, ocpp_port, supply_limit_a)
    entry["subentries"] += list(extra_subentries)
    await store.async_save({"entries": [entry]})
    # Only a stop of a running core writes the auth store's delayed save (the token).
    hass.set_state(CoreState.running)
    await hass.async_stop()
    return token


def main() -> None:
    """Seed the folder given on the command line and print {"token": ...}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config_dir", type=Path, help="an empty Home Assistant config folder")
    parser.add_argument("--count", type=int, required=True, help="OCPP charge points")
    parser.add_argument("--ocpp-port", type=int, required=True, help="the site's OCPP port")
    parser.add_argument("--http-port", type=int, required=True, help="Home Assistant's port")
    parser.add_argument("--supply", type=float, help=f"supply limit, A (count x {PER_CAR_A})")
    parser.add_argument("--recorder", action="store_true", help="also load the recorder")
    args = parser.parse_args()
    config_dir: Path = args.config_dir.resolve()
    write_config(config_dir, args.http_port, recorder=args.recorder)
    supply = args.supply if args.supply is not None else float(args.count * PER_CAR_A)
    token = asyncio.run(
        seed(config_dir, args.count, args.ocpp_port, supply),
        loop_factory=runner.HassEventLoopPolicy(False).new_event_loop,
    )
    print(json.dumps({"token": token}), flush=True)


if __name__ == "__main__":
    main()
