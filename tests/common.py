"""Helpers shared by the tests: waiting on real sockets, reading states, building sites.

A test module never imports another test module; what two of them share lives here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import os
import time
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigSubentryData, ConfigSubentryDataWithId
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.ev_v2g.const import DOMAIN, SUBENTRY_RESIDENT, SUBENTRY_STATION
from custom_components.ev_v2g.core.records import Usage


async def eventually[T](
    predicate: Callable[[], T],
    within: float = 5.0,
    what: str = "",
    *,
    between: Callable[[], Awaitable[object]] | None = None,
    poll: float = 0.01,
) -> T:
    """Wait (real time) until predicate() is truthy and return its value.

    `between` runs after each failed check (e.g. letting Home Assistant finish its work).
    """
    deadline = time.monotonic() + within
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what or predicate}")
        await asyncio.sleep(poll)
        if between is not None:
            await between()
    return value


async def wait_for(
    hass: HomeAssistant, predicate: Callable[[], bool], within: float = 5.0, what: str = ""
) -> float:
    """Wait (real time) until predicate() holds, Home Assistant settling in between; seconds."""
    start = time.monotonic()
    await eventually(predicate, within, what, between=hass.async_block_till_done, poll=0.02)
    return time.monotonic() - start


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    """The state string of an entity, or None when it does not exist."""
    state = hass.states.get(entity_id)
    return None if state is None else state.state


def number_of(hass: HomeAssistant, entity_id: str) -> float:
    """The numeric state of an entity; NaN when it has none (unknown, unavailable, missing)."""
    try:
        return float(state_of(hass, entity_id) or "nan")
    except ValueError:
        return float("nan")


async def set_manual(hass: HomeAssistant, station: str = "bay_1") -> None:
    """Take a station out of the site's coordination: its current limit is then the user's."""
    await hass.services.async_call(
        "select",
        "select_option",
        {"entity_id": f"select.{station}_control_mode", "option": "manual"},
        blocking=True,
    )


def resident(key: str, name: str, **data: Any) -> ConfigSubentryDataWithId:
    """A resident subentry."""
    return ConfigSubentryDataWithId(
        data=MappingProxyType({"id_tags": [], "v2g_opt_in": False, **data}),
        subentry_type=SUBENTRY_RESIDENT,
        title=name,
        unique_id=key,
        subentry_id=key,
    )


def station_device(hass: HomeAssistant) -> str:
    """The device id of Bay 1."""
    devices = dr.async_get(hass).devices.values()
    return next(d.id for d in devices if d.name == "Bay 1")


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any], context: Context | None = None
) -> Any:
    """Call an ev_v2g service and wait for it."""
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        context=context,
        return_response=service in ("get_statement", "close_period"),
    )


async def charge_a_little(hass: HomeAssistant, entry: MockConfigEntry, wh: float = 1.0) -> None:
    """Let the car charge until the station's meter has moved by `wh`."""
    meter = next(iter(entry.runtime_data.hub.stations.values())).energy_import
    start = meter.total_wh or 0.0
    await wait_for(
        hass, lambda: (meter.total_wh or 0.0) - start >= wh, within=10, what=f"{wh} Wh charged"
    )


async def usage(entry: MockConfigEntry) -> list[Usage]:
    """Everything the ledger holds, by resident and station."""
    writer = entry.runtime_data.book.writer
    return await writer.async_read(writer.ledger.usage, 0.0, 1e12)


def garage(hass: HomeAssistant, *subentries: ConfigSubentryData) -> MockConfigEntry:
    """A 32 A single-phase site "Garage" with these subentries, added (not set up)."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="garage",
        data={"supply_limit_a": 32.0, "phases": 1, "voltage_v": 230.0},
        subentries_data=list(subentries),
    )
    entry.add_to_hass(hass)
    return entry


async def coap_station_flow(hass: HomeAssistant, site: MockConfigEntry) -> str:
    """A station subentry flow of the site, at its CoAP form; its flow id."""
    result = await hass.config_entries.subentries.async_init(
        (site.entry_id, SUBENTRY_STATION), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "coap"}
    )
    return str(result["flow_id"])


def station_form(port: int, host: str = "127.0.0.1", **extra: object) -> dict[str, object]:
    """What a user types into the station form."""
    return {
        "name": "Bay 2",
        "host": host,
        "port": port,
        "min_current_a": 6,
        "max_current_a": 16,
        "phases": "1",
        **extra,
    }


# Attributes that name the time they were read at, which no snapshot can hold.
MOMENTARY_ATTRIBUTES = ("last_reset",)


async def snapshot_entities(
    hass: HomeAssistant, snapshot: SnapshotAssertion, entry_id: str
) -> list[str]:
    """Snapshot every entity of one platform of a site: its registry entry and its state.

    Like Home Assistant's snapshot_platform, with momentary attributes left out of the state.
    Returns the entity ids, in the order snapshotted.
    """
    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, entry_id)
    assert entries, "the platform made no entities"
    assert len({entry.domain for entry in entries}) == 1, "load one platform at a time"
    for entry in sorted(entries, key=lambda e: e.entity_id):
        assert entry.disabled_by is None, f"{entry.entity_id} is disabled: enable them all"
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        state = hass.states.get(entry.entity_id)
        assert state is not None, f"no state for {entry.entity_id}"
        assert state == snapshot(
            name=f"{entry.entity_id}-state", exclude=props(*MOMENTARY_ATTRIBUTES)
        )
    return sorted(entry.entity_id for entry in entries)


def open_descriptors() -> int:
    """File descriptors the process holds now."""
    return len(os.listdir("/proc/self/fd"))


def numbers(document: Any) -> list[tuple[str, float]]:
    """Every number in a service response, with the key it sits under."""
    found: list[tuple[str, float]] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                found.append((str(key), float(value)))
            else:
                found += numbers(value)
    elif isinstance(document, list):
        for value in document:
            found += numbers(value)
    return found
