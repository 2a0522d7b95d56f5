"""A site's configuration as the hub takes it: supply, stations (one per connector), residents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .const import (
    CONF_CHARGE_POINT_ID,
    CONF_CONNECTED_PHASE,
    CONF_CONNECTORS,
    CONF_ID_TAGS,
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_OWNER,
    CONF_PHASES,
    CONF_PRIORITY,
    CONF_PROTOCOL,
    CONF_RESERVE_SOC,
    CONF_SUPPLY_LIMIT,
    CONF_USER,
    CONF_V2G_OPT_IN,
    CONF_VOLTAGE,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    DEFAULT_RESERVE_SOC,
    DEFAULT_VOLTAGE,
    PROTOCOL_COAP,
)
from .core.capabilities import Capabilities
from .core.resident import Resident
from .core.station import Station
from .sharing.inputs import SharingOptions

# A station's key is its subentry's id, or one per connector of a multi-connector charge point.
CONNECTOR_SEPARATOR = "_connector_"


def connector_key(subentry: str, connector: int) -> str:
    """The station key of one connector of a charge point with several."""
    return f"{subentry}{CONNECTOR_SEPARATOR}{connector}"


def subentry_of(station_key: str) -> str:
    """The station subentry a station key belongs to."""
    return station_key.split(CONNECTOR_SEPARATOR, 1)[0]


@dataclass(frozen=True, kw_only=True)
class SiteConfig:
    """The site's electrical supply."""

    name: str
    supply_limit_a: float
    phases: int
    voltage_v: float

    @classmethod
    def from_data(cls, name: str, data: Mapping[str, Any]) -> SiteConfig:
        """Build from a config entry's data."""
        return cls(
            name=name,
            supply_limit_a=float(data[CONF_SUPPLY_LIMIT]),
            phases=int(data[CONF_PHASES]),
            voltage_v=float(data.get(CONF_VOLTAGE, DEFAULT_VOLTAGE)),
        )

    def sharing_options(self, options: Mapping[str, Any]) -> SharingOptions:
        """The sharing options of this supply with the site's options."""
        return SharingOptions.from_entry(self.supply_limit_a, self.phases, self.voltage_v, options)


@dataclass(frozen=True, kw_only=True)
class StationSetup:
    """A configured station: its model, how it is reached, its supply phases and owner.

    A CoAP station has a host and port; a connector of an OCPP charge point has the charge
    point's id and its number. Each is one Station; `subentry` is the station subentry it
    comes from (an OCPP charge point with several connectors gives one per connector).
    """

    station: Station
    subentry: str
    supply_phases: frozenset[int]
    owner: str | None = None
    host: str = ""
    port: int = 0
    charge_point_id: str | None = None
    connector: int = 1
    connectors: int = 1
    """How many connectors the station's charge point has (1 for a CoAP station)."""


def station_from_data(key: str, name: str, data: Mapping[str, Any]) -> Station:
    """Build a Station model from a station subentry's data."""
    return Station(
        key=key,
        name=name,
        capabilities=Capabilities(
            min_current_a=float(data.get(CONF_MIN_CURRENT, DEFAULT_MIN_CURRENT)),
            max_current_a=float(data.get(CONF_MAX_CURRENT, DEFAULT_MAX_CURRENT)),
            phases=int(data.get(CONF_PHASES, 1)),
        ),
    )


def station_setups(subentry: str, name: str, data: Mapping[str, Any]) -> dict[str, StationSetup]:
    """A station subentry as the hub takes it: one station, or one per OCPP connector.

    A station's key is its subentry's id; each connector of a charge point with several has
    `<subentry id>_connector_<n>` (see connector_key).
    """
    phases = int(data.get(CONF_PHASES, 1))
    connected = int(data.get(CONF_CONNECTED_PHASE, 1)) - 1
    common: dict[str, Any] = {
        "subentry": subentry,
        "supply_phases": frozenset({0, 1, 2}) if phases == 3 else frozenset({connected}),
        "owner": data.get(CONF_OWNER) or None,
    }
    if data.get(CONF_PROTOCOL, PROTOCOL_COAP) == PROTOCOL_COAP:
        station = station_from_data(subentry, name, data)
        return {
            subentry: StationSetup(
                station=station, host=data["host"], port=int(data["port"]), **common
            )
        }
    count = int(data.get(CONF_CONNECTORS, 1))
    setups: dict[str, StationSetup] = {}
    for connector in range(1, count + 1):
        key = subentry if count == 1 else connector_key(subentry, connector)
        title = name if count == 1 else f"{name} {connector}"
        setups[key] = StationSetup(
            station=station_from_data(key, title, data),
            charge_point_id=data[CONF_CHARGE_POINT_ID],
            connector=connector,
            connectors=count,
            **common,
        )
    return setups


def resident_from_data(key: str, name: str, data: Mapping[str, Any]) -> Resident:
    """A resident subentry as the hub takes it."""
    return Resident(
        key=key,
        name=name,
        user_id=data.get(CONF_USER) or None,
        id_tags=tuple(data.get(CONF_ID_TAGS, ())),
        v2g_opt_in=bool(data.get(CONF_V2G_OPT_IN, False)),
        reserve_soc=float(data.get(CONF_RESERVE_SOC, DEFAULT_RESERVE_SOC)),
        priority=int(data.get(CONF_PRIORITY, 0)),
    )
