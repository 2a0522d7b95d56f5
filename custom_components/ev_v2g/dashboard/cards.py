"""The site's dashboard, built from what the site has: Home Assistant's built-in cards only.

One view of sections: the site (power, limits, sessions, demand response), a graph of the
site's power against what it may draw with the demand-response periods as a band, one section
per station (state, power, setpoint, resident, switch), and the residents' months (energy and
cost per month as bar charts, this month's figures as tiles). Pure: it takes names and entity
ids and returns the dashboard's configuration; entities the site lacks are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SITE_TILES = (
    "site_power",
    "available_power",
    "active_sessions",
    "queued_sessions",
    "site_current_limit",
    "allocation_policy",
    "demand_response_mode",
    "demand_response_power",
    "demand_response_asked",
    "demand_response_delivered",
)
STATION_TILES = (
    "state",
    "power",
    "setpoint",
    "session_resident",
    "charging",
    "plugged",
    "session_energy",
    "state_of_charge",
)
RESIDENT_TILES = (
    "month_energy_imported",
    "month_cost",
    "month_energy_exported",
    "month_credit",
    "v2g_consent",
    "reserve",
)
FULL_WIDTH = {"grid_options": {"columns": "full"}}


@dataclass(frozen=True, kw_only=True)
class DeviceCards:
    """A device's entities, by the key of their description: (entity id, name to show)."""

    name: str
    entities: Mapping[str, tuple[str, str]]
    can_discharge: bool = False


@dataclass(frozen=True, kw_only=True)
class SiteCards:
    """Everything the dashboard shows, with the headings in the user's language."""

    site: DeviceCards
    stations: Sequence[DeviceCards] = ()
    residents: Sequence[DeviceCards] = ()
    headings: Mapping[str, str] = field(default_factory=dict)


def dashboard_config(site: SiteCards) -> dict[str, Any]:
    """The dashboard's configuration, as Home Assistant's frontend reads it."""
    sections = [_site_section(site), _power_section(site)]
    sections += [_station_section(station) for station in site.stations]
    if site.residents:
        sections.append(_residents_section(site))
    return {
        "title": site.site.name,
        "views": [
            {
                "title": site.headings.get("view", "Charging"),
                "path": "charging",
                "icon": "mdi:ev-station",
                "type": "sections",
                "max_columns": 4,
                "sections": sections,
            }
        ],
    }


def _heading(text: str, icon: str) -> dict[str, Any]:
    return {"type": "heading", "heading": text, "icon": icon}


def _tiles(device: DeviceCards, keys: Sequence[str]) -> list[dict[str, Any]]:
    cards = []
    for key in keys:
        if (found := device.entities.get(key)) is None:
            continue
        entity_id, name = found
        card: dict[str, Any] = {"type": "tile", "entity": entity_id, "name": name}
        if key == "state":
            card |= {"state_content": ["state", "queue_place", "reason"], **FULL_WIDTH}
        elif key == "demand_response_asked":
            card |= {"state_content": ["state", "ends", "source"], **FULL_WIDTH}
        elif key == "charging":
            card["tap_action"] = {"action": "toggle"}
        cards.append(card)
    return cards


def _site_section(site: SiteCards) -> dict[str, Any]:
    return {
        "type": "grid",
        "cards": [
            _heading(site.site.name, "mdi:home-lightning-bolt"),
            *_tiles(site.site, SITE_TILES),
        ],
    }


def _series(device: DeviceCards, key: str, name: str | None = None) -> list[dict[str, Any]]:
    found = device.entities.get(key)
    return [] if found is None else [{"entity": found[0], "name": name or found[1]}]


def _power_section(site: SiteCards) -> dict[str, Any]:
    """Site power against what it may draw, the DR band below; then every station's power."""
    headings = site.headings
    power = [
        *_series(site.site, "site_power"),
        *_series(site.site, "available_power"),
        *_series(site.site, "demand_response_active"),
    ]
    stations = [
        series for station in site.stations for series in _series(station, "power", station.name)
    ]
    cards: list[dict[str, Any]] = [
        _heading(headings.get("power", "Power"), "mdi:chart-line"),
        {
            "type": "history-graph",
            "title": headings.get("site_power", "Site power"),
            "hours_to_show": 24,
            "entities": power,
            **FULL_WIDTH,
        },
    ]
    if stations:
        cards.append(
            {
                "type": "history-graph",
                "title": headings.get("stations", "Stations"),
                "hours_to_show": 6,
                "entities": stations,
                **FULL_WIDTH,
            }
        )
    return {"type": "grid", "column_span": 2, "cards": cards}


def _station_section(station: DeviceCards) -> dict[str, Any]:
    keys = list(STATION_TILES)
    if station.can_discharge:
        keys.append("energy_exported")
    return {
        "type": "grid",
        "cards": [_heading(station.name, "mdi:ev-station"), *_tiles(station, keys)],
    }


def _residents_section(site: SiteCards) -> dict[str, Any]:
    """Energy and cost per month for every resident; this month's figures as tiles."""
    headings = site.headings
    cards: list[dict[str, Any]] = [
        _heading(headings.get("residents", "Residents"), "mdi:account-group")
    ]
    for key, title in (
        ("month_energy_imported", headings.get("energy", "Energy per month")),
        ("month_cost", headings.get("cost", "Cost per month")),
    ):
        series = [
            line for resident in site.residents for line in _series(resident, key, resident.name)
        ]
        if series:
            cards.append(
                {
                    "type": "statistics-graph",
                    "title": title,
                    "entities": series,
                    "period": "month",
                    "stat_types": ["change"],
                    "chart_type": "bar",
                    "days_to_show": 365,
                    **FULL_WIDTH,
                }
            )
    for resident in site.residents:
        cards.append({"type": "heading", "heading": resident.name, "heading_style": "subtitle"})
        cards += _tiles(resident, RESIDENT_TILES)
    return {"type": "grid", "column_span": 2, "cards": cards}
