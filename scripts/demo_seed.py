"""Prepare the demo's Home Assistant config folder before its first start; safe to run again.

Creates what onboarding would (an owner `demo` / `demo1234`, a person for it, onboarding marked
done) and an ev_v2g site (26 A: four cars fit, a fifth waits) with three residents, four CoAP
station subentries and two OCPP charge points (`ocpp-sim-1`, `ocpp-sim-2`), using Home Assistant's
own auth and storage helpers. The charge points' passwords go to <config>/ocpp_passwords (mode
0600) for the OCPP simulator. A site seeded before gets what it lacks: the charge points, the
OCPP port, the demo card. `--token-file` also writes a long-lived access token of the owner there
(mode 0600), for scripts that use the REST API. It needs only Home Assistant itself (and PyYAML,
which comes with it). Run it only while that Home Assistant is stopped:
    .venv/bin/python scripts/demo_seed.py config [--base-port 5683] [--ocpp-port 9000]
        [--token-file FILE]
"""

from __future__ import annotations

import argparse
import ast
import asyncio
from datetime import timedelta
import os
from pathlib import Path
import secrets
import string
from typing import Any

from homeassistant import runner
from homeassistant.auth import auth_manager_from_config
from homeassistant.auth.const import GROUP_ID_ADMIN
from homeassistant.auth.models import TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN
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
OCPP_PORT = 9000
SITE = {"name": "Demo garage", "supply_limit_a": 26, "phases": 1, "voltage_v": 230}
# Sites seeded before the OCPP charge points had 20 A: three cars fit, not the card session too.
OLD_SUPPLY_LIMIT_A = 20
# The OCPP charge points: (name, charge point id, owner's resident name). The simulator
# (python -m hardware.station_sim ocpp, started by scripts/develop) plugs a car into ocpp-sim-1
# and swipes its default card; at ocpp-sim-2 a car waits for the charging switch.
OCPP_CHARGE_POINTS: tuple[tuple[str, str, str | None], ...] = (
    ("Charge point A", "ocpp-sim-1", None),
    ("Charge point B", "ocpp-sim-2", "Flat 2B"),
)
# The simulator's default card (SimulatedChargePoint.id_tag), and the resident it belongs to.
DEMO_CARD = "CARD-1"
DEMO_CARD_RESIDENT = "Flat 3C"
TOKEN_CLIENT = "demo_seed"  # noqa: S105 - the token's name in the owner's profile, not a secret
PASSWORD_FILE = "ocpp_passwords"  # noqa: S105 - a file name; lines '<charge point id> <password>'
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
            "id_tags": [DEMO_CARD] if name == DEMO_CARD_RESIDENT else [],
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


def new_password() -> str:
    """A password as the OCPP flow makes one (ocpp_flow.new_password): 20 letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(20))


def ocpp_station_subentry(name: str, charge_point_id: str, owner: str | None) -> dict[str, Any]:
    """An OCPP charge point with one connector, as ConfigSubentry.as_dict writes it."""
    return {
        "data": {
            "protocol": "ocpp",
            "charge_point_id": charge_point_id,
            "password": new_password(),
            "connectors": 1,
            "min_current_a": 6.0,
            "max_current_a": 32.0,
            "phases": 1,
            "connected_phase": 1,
            "owner": owner,
        },
        "subentry_id": ulid_util.ulid_now(),
        "subentry_type": "station",
        "title": name,
        "unique_id": f"ocpp:{charge_point_id}",
    }


def ocpp_subentries(residents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The demo's OCPP charge points, their owners looked up among `residents` by name."""
    ids = {resident["title"]: resident["subentry_id"] for resident in residents}
    return [
        ocpp_station_subentry(name, charge_point_id, ids.get(owner) if owner else None)
        for name, charge_point_id, owner in OCPP_CHARGE_POINTS
    ]


def site_entry(base_port: int, ocpp_port: int = OCPP_PORT) -> dict[str, Any]:
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
            "ocpp_port": ocpp_port,
        },
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [*residents, *stations, *ocpp_subentries(residents)],
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


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (mode 0600)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    path.chmod(0o600)


async def seed_token(hass: HomeAssistant, path: Path) -> str:
    """Write a new long-lived access token of the owner to `path` (an older one is revoked)."""
    owner = next(user for user in await hass.auth.async_get_users() if user.is_owner)
    for token in list(owner.refresh_tokens.values()):
        if token.client_name == TOKEN_CLIENT:
            hass.auth.async_remove_refresh_token(token)
    refresh_token = await hass.auth.async_create_refresh_token(
        owner,
        client_name=TOKEN_CLIENT,
        token_type=TOKEN_TYPE_LONG_LIVED_ACCESS_TOKEN,
        access_token_expiration=timedelta(days=30),
    )
    write_private(path, hass.auth.async_create_access_token(refresh_token) + "\n")
    return f"a long-lived access token of the owner written to {path.name} (mode 0600)"


async def seed_onboarding(hass: HomeAssistant) -> str:
    """Mark every onboarding step done."""
    store: Store[dict[str, list[str]]] = Store(hass, ONBOARDING_VERSION, "onboarding", private=True)
    data = await store.async_load() or {"done": []}
    if set(STEPS) <= set(data["done"]):
        return "onboarding already done"
    data["done"] = [*data["done"], *(step for step in STEPS if step not in data["done"])]
    await store.async_save(data)
    return "onboarding marked done"


def complete_site(entry: dict[str, Any], ocpp_port: int) -> list[str]:
    """Give a site seeded before what the demo has now; return what was changed.

    Adds the OCPP charge points that are missing (raising an old demo's 20 A to make room for the
    card session), sets the OCPP port and gives the demo card to its resident.
    """
    changes: list[str] = []
    subentries: list[dict[str, Any]] = entry.setdefault("subentries", [])
    residents = [s for s in subentries if s["subentry_type"] == "resident"]
    unique_ids = {s.get("unique_id") for s in subentries}
    missing = [s for s in ocpp_subentries(residents) if s["unique_id"] not in unique_ids]
    if missing:
        subentries.extend(missing)
        changes.append("added " + ", ".join(s["title"] for s in missing))
        if entry["data"].get("supply_limit_a") == OLD_SUPPLY_LIMIT_A:
            entry["data"] = {**entry["data"], "supply_limit_a": SITE["supply_limit_a"]}
            changes.append(f"supply {OLD_SUPPLY_LIMIT_A} A -> {SITE['supply_limit_a']} A")
    if entry.get("options", {}).get("ocpp_port") != ocpp_port:
        entry["options"] = {**entry.get("options", {}), "ocpp_port": ocpp_port}
        changes.append(f"OCPP port {ocpp_port}")
    tags = {str(tag).casefold() for s in residents for tag in s["data"].get("id_tags") or ()}
    holder = next((s for s in residents if s["title"] == DEMO_CARD_RESIDENT), None)
    if DEMO_CARD.casefold() not in tags and holder is not None:
        holder["data"] = {
            **holder["data"],
            "id_tags": sorted({*(holder["data"].get("id_tags") or ()), DEMO_CARD}),
        }
        changes.append(f"card {DEMO_CARD} for {DEMO_CARD_RESIDENT}")
    if changes:
        entry["modified_at"] = dt_util.utcnow().isoformat()
    return changes


async def seed_site(
    hass: HomeAssistant, base_port: int, ocpp_port: int = OCPP_PORT
) -> tuple[str, str]:
    """Add the demo site with its stations, or complete the ev_v2g entry that exists already.

    Returns what was done and the site's entry id.
    """
    store: Store[dict[str, list[dict[str, Any]]]] = Store(
        hass, ENTRIES_VERSION, ENTRIES_KEY, minor_version=ENTRIES_MINOR_VERSION
    )
    data = await store.async_load() or {"entries": []}
    for entry in data["entries"]:
        if entry["domain"] == DOMAIN:
            changes = complete_site(entry, ocpp_port)
            if not changes:
                return "ev_v2g entry exists: left as is", str(entry["entry_id"])
            await store.async_save(data)
            return f"ev_v2g entry completed: {'; '.join(changes)}", str(entry["entry_id"])
    entry = site_entry(base_port, ocpp_port)
    data["entries"].append(entry)
    await store.async_save(data)
    done = f"ev_v2g site {SITE['name']!r}: {STATIONS} stations, {len(OCPP_CHARGE_POINTS)} OCPP"
    return f"{done} charge points created", str(entry["entry_id"])


def read_password_file(path: Path) -> dict[str, str]:
    """The '<id> <password>' lines of an earlier seed, by charge point id."""
    if not path.exists():
        return {}
    pairs = (line.split() for line in path.read_text().splitlines() if not line.startswith("#"))
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


async def seed_passwords(hass: HomeAssistant, config_dir: Path) -> str:
    """Write the site's OCPP passwords to <config>/ocpp_passwords (mode 0600) for the simulator."""
    store: Store[dict[str, list[dict[str, Any]]]] = Store(
        hass, ENTRIES_VERSION, ENTRIES_KEY, minor_version=ENTRIES_MINOR_VERSION
    )
    data = await store.async_load() or {"entries": []}
    # A password is in the entry only until Home Assistant first loads it (it then keeps a
    # hash): a site seeded before keeps the passwords this file already holds.
    known = read_password_file(config_dir / PASSWORD_FILE)
    lines = [
        f"{charge_point_id} {password}"
        for entry in data["entries"]
        if entry["domain"] == DOMAIN
        for sub in entry.get("subentries", [])
        if sub["subentry_type"] == "station" and sub["data"].get("protocol") == "ocpp"
        for charge_point_id in (sub["data"]["charge_point_id"],)
        if (password := sub["data"].get("password") or known.get(charge_point_id))
    ]
    header = "# The demo's OCPP charge points: '<id> <password>' (scripts/demo_seed.py writes it)\n"
    write_private(config_dir / PASSWORD_FILE, header + "".join(f"{line}\n" for line in lines))
    return f"{PASSWORD_FILE} written: {len(lines)} OCPP charge point password(s), mode 0600"


async def seed(
    config_dir: Path, base_port: int, ocpp_port: int = OCPP_PORT, token_file: Path | None = None
) -> None:
    """Seed config_dir with Home Assistant's own helpers, then flush their delayed writes."""
    hass = HomeAssistant(str(config_dir))
    await asyncio.gather(dr.async_load(hass), er.async_load(hass))
    for step in (seed_owner, seed_onboarding):
        print(f"demo_seed: {await step(hass)}")
    if token_file is not None:
        print(f"demo_seed: {await seed_token(hass, token_file)}")
    done, entry_id = await seed_site(hass, base_port, ocpp_port)
    print(f"demo_seed: {done}")
    print(f"demo_seed: {await seed_passwords(hass, config_dir)}")
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
    parser.add_argument(
        "--ocpp-port", type=int, default=OCPP_PORT, help=f"the OCPP central system's ({OCPP_PORT})"
    )
    parser.add_argument(
        "--token-file", type=Path, help="write a long-lived access token of the owner here"
    )
    args = parser.parse_args()
    config_dir: Path = args.config_dir.resolve()
    (config_dir / ".storage").mkdir(parents=True, exist_ok=True)
    asyncio.set_event_loop_policy(runner.HassEventLoopPolicy(False))
    asyncio.run(seed(config_dir, args.base_port, args.ocpp_port, args.token_file))


if __name__ == "__main__":
    main()
