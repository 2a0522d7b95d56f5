"""Prepare the demo's Home Assistant config folder before its first start; safe to run again.

Creates what onboarding would (an owner `demo` / `demo1234`, a person for it, onboarding marked
done) and an ev_v2g site (20 A: three cars fit, a fourth waits) with three residents and four
CoAP station subentries, using Home Assistant's own auth and storage helpers. Run it only while
that Home Assistant is stopped:
    .venv/bin/python scripts/demo_seed.py config
"""

from __future__ import annotations

import argparse
import ast
import asyncio
from pathlib import Path
from typing import Any

from homeassistant import runner
from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.providers import homeassistant as hass_auth
from homeassistant.components.onboarding.const import STEPS
from homeassistant.config_entries import (
    STORAGE_KEY as ENTRIES_KEY,
    STORAGE_VERSION as ENTRIES_VERSION,
    STORAGE_VERSION_MINOR as ENTRIES_MINOR_VERSION,
)
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util, ulid as ulid_util
import yaml

DOMAIN = "ev_v2g"
USERNAME = "demo"
PASSWORD = "demo1234"  # noqa: S105 - the demo's published login, local only
USER_NAME = "Demo"
ONBOARDING_VERSION = 4  # homeassistant.components.onboarding.STORAGE_VERSION
PERSON_VERSION = 2  # homeassistant.components.person.STORAGE_VERSION
STATIONS = 4
BASE_PORT = 5683
SITE = {"name": "Demo garage", "supply_limit_a": 20, "phases": 1, "voltage_v": 230}
# The PV-drop blueprint's inputs for the demo: blueprints/automation/ev_v2g/pv_drop_v2g.yaml.
SITE_INPUT = "site"
# The demo PV gives about 5.4 kW in sun and 0.6 kW under the cloud (config/packages/pv_demo.yaml);
# one minute of sun again is enough to go back to normal in a demo.
PV_DROP_INPUT: dict[str, Any] = {
    "pv_sensor": "sensor.demo_pv_power",
    "plugged_sensors": [
        f"binary_sensor.station_{number}_vehicle_plugged" for number in range(1, STATIONS + 1)
    ],
    "low_power": 1500,
    "discharge_power": 5,
    "recovery_minutes": 1,
}
CONFIG_FLOW = Path(__file__).resolve().parents[1] / "custom_components" / DOMAIN / "config_flow.py"


def flow_version() -> tuple[int, int]:
    """Return the config flow's VERSION and MINOR_VERSION, so HA does not try to migrate."""
    versions = {"VERSION": 1, "MINOR_VERSION": 1}
    if not CONFIG_FLOW.exists():
        return versions["VERSION"], versions["MINOR_VERSION"]
    for node in ast.walk(ast.parse(CONFIG_FLOW.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef) or "ConfigFlow" not in ast.unparse(node.bases[0]):
            continue
        for item in node.body:
            if (
                isinstance(item, ast.Assign)
                and isinstance(item.value, ast.Constant)
                and isinstance(item.value.value, int)
            ):
                for target in item.targets:
                    if isinstance(target, ast.Name) and target.id in versions:
                        versions[target.id] = item.value.value
    return versions["VERSION"], versions["MINOR_VERSION"]


RESIDENTS = (("Flat 1A", True), ("Flat 2B", True), ("Flat 3C", False))


def resident_subentry(name: str, v2g_opt_in: bool) -> dict[str, Any]:
    """A resident as config_entries.ConfigSubentry.as_dict writes it."""
    return {
        "data": {
            "id_tags": [],
            "user_id": None,
            "v2g_opt_in": v2g_opt_in,
            "reserve_soc": 30.0,
            "priority": 0,
        },
        "subentry_id": ulid_util.ulid_now(),
        "subentry_type": "resident",
        "title": name,
        "unique_id": name.casefold(),
    }


def station_subentry(number: int, owner: str | None, base_port: int) -> dict[str, Any]:
    """Return subentry `number` (1-based) as config_entries.ConfigSubentry.as_dict writes it."""
    port = base_port + number - 1
    return {
        "data": {
            "protocol": "coap",
            "name": f"Station {number}",
            "host": "127.0.0.1",
            "port": port,
            "min_current_a": 6,
            "max_current_a": 32,
            "phases": 1,
            "connected_phase": 1,
            "owner": owner,
        },
        "subentry_id": ulid_util.ulid_now(),
        "subentry_type": "station",
        "title": f"Station {number}",
        "unique_id": f"coap:127.0.0.1:{port}",
    }


def site_entry(base_port: int) -> dict[str, Any]:
    """Return the demo site as config_entries.ConfigEntry.as_dict writes it."""
    now = dt_util.utcnow().isoformat()
    version, minor_version = flow_version()
    residents = [resident_subentry(name, opt_in) for name, opt_in in RESIDENTS]
    owners = [resident["subentry_id"] for resident in residents]
    stations = [
        station_subentry(number, owners[number - 1] if number <= len(owners) else None, base_port)
        for number in range(1, STATIONS + 1)
    ]
    return {
        "created_at": now,
        "data": dict(SITE),
        "discovery_keys": {},
        "disabled_by": None,
        "domain": DOMAIN,
        "entry_id": ulid_util.ulid_now(),
        "minor_version": minor_version,
        "modified_at": now,
        "options": {
            "policy": "fair_share",
            "rotation_period_min": 30,
            "tariff": "time_of_use",
            "price": 0.3,
            "tou_schedule": "07:00=0.3, 23:00=0.18",
            "credit_rate": 0.12,
            "shared_costs": 40.0,
            "cost_split": "energy",
        },
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [*residents, *stations],
        "title": SITE["name"],
        "unique_id": None,
        "version": version,
    }


def seed_automations(config_dir: Path, entry_id: str) -> str:
    """Write automations.yaml with the PV-drop automation, unless it has automations already."""
    path = config_dir / "automations.yaml"
    if path.exists() and path.read_text(encoding="utf-8").strip() not in ("", "[]"):
        return "automations.yaml has automations: left as is"
    path.write_text(
        yaml.safe_dump(demo_automations(entry_id), sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return "automations.yaml written: PV drop -> V2G on the simulated PV"


def demo_automations(entry_id: str) -> list[dict[str, Any]]:
    """The demo's automations, as the automation editor would save them."""
    return [
        {
            "id": "ev_v2g_demo_pv_drop",
            "alias": "PV drop → V2G (demo)",
            "description": "Discharge the plugged V2G cars while a cloud is over the demo PV.",
            "use_blueprint": {
                "path": "ev_v2g/pv_drop_v2g.yaml",
                "input": PV_DROP_INPUT | {SITE_INPUT: entry_id},
            },
        }
    ]


async def seed_owner(hass: HomeAssistant) -> str:
    """Create the owner with its login and person, unless an owner exists already."""
    hass.auth = await auth_manager_from_config(hass, [{"type": "homeassistant"}], [])
    provider = hass.auth.auth_providers[0]
    if not isinstance(provider, hass_auth.HassAuthProvider):
        raise TypeError(f"unexpected auth provider {provider!r}")
    await provider.async_initialize()
    if any(user.is_owner for user in await hass.auth.async_get_users()):
        return "owner exists: left as is"

    user = await hass.auth.async_create_user(USER_NAME, group_ids=[GROUP_ID_ADMIN])
    try:
        await provider.async_add_auth(USERNAME, PASSWORD)
    except hass_auth.InvalidUser:  # a login without a user: reset its password
        await provider.async_change_password(USERNAME, PASSWORD)
    credentials = await provider.async_get_or_create_credentials({"username": USERNAME})
    await hass.auth.async_link_user(user, credentials)

    # What onboarding's user step does besides: a person for the owner.
    people: Store[dict[str, Any]] = Store(hass, PERSON_VERSION, "person")
    data = await people.async_load() or {"items": []}
    data["items"].append(
        {"id": USERNAME, "name": USER_NAME, "user_id": user.id, "device_trackers": []}
    )
    await people.async_save(data)
    return f"owner {USERNAME!r} created"


async def seed_onboarding(hass: HomeAssistant) -> str:
    """Mark every onboarding step done."""
    store: Store[dict[str, list[str]]] = Store(hass, ONBOARDING_VERSION, "onboarding", private=True)
    data = await store.async_load() or {"done": []}
    if set(STEPS) <= set(data["done"]):
        return "onboarding already done"
    data["done"] = [*data["done"], *(step for step in STEPS if step not in data["done"])]
    await store.async_save(data)
    return "onboarding marked done"


async def seed_site(hass: HomeAssistant, base_port: int) -> tuple[str, str]:
    """Add the demo site with its stations, unless an ev_v2g entry exists already.

    Returns what was done and the site's entry id.
    """
    store: Store[dict[str, list[dict[str, Any]]]] = Store(
        hass, ENTRIES_VERSION, ENTRIES_KEY, minor_version=ENTRIES_MINOR_VERSION
    )
    data = await store.async_load() or {"entries": []}
    for entry in data["entries"]:
        if entry["domain"] == DOMAIN:
            return "ev_v2g entry exists: left as is", str(entry["entry_id"])
    entry = site_entry(base_port)
    data["entries"].append(entry)
    await store.async_save(data)
    return f"ev_v2g site {SITE['name']!r} with {STATIONS} stations created", str(entry["entry_id"])


async def seed(config_dir: Path, base_port: int) -> None:
    """Seed config_dir with Home Assistant's own helpers, then flush their delayed writes."""
    hass = HomeAssistant(str(config_dir))
    await asyncio.gather(dr.async_load(hass), er.async_load(hass))
    for step in (seed_owner, seed_onboarding):
        print(f"demo_seed: {await step(hass)}")
    done, entry_id = await seed_site(hass, base_port)
    print(f"demo_seed: {done}")
    print(f"demo_seed: {seed_automations(config_dir, entry_id)}")
    # async_stop ignores a core that never ran, and only its stop writes the delayed saves
    # (the auth store's users): mark it running, then stop it the normal way.
    hass.set_state(CoreState.running)
    await hass.async_stop()


def main() -> None:
    """Seed the config folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config_dir", type=Path, help="Home Assistant's config folder")
    parser.add_argument(
        "--base-port", type=int, default=BASE_PORT, help=f"station 1's CoAP port ({BASE_PORT})"
    )
    args = parser.parse_args()
    config_dir: Path = args.config_dir.resolve()
    (config_dir / ".storage").mkdir(parents=True, exist_ok=True)
    asyncio.set_event_loop_policy(runner.HassEventLoopPolicy(False))
    asyncio.run(seed(config_dir, args.base_port))


if __name__ == "__main__":
    main()
