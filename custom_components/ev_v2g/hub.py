"""SiteHub: owns a site's stations and their links, and carries commands to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import logging
from typing import Any

import aiocoap

from .coap_station import CoapStationLink
from .const import (
    CONF_MAX_CURRENT,
    CONF_MIN_CURRENT,
    CONF_PHASES,
    CONF_SUPPLY_LIMIT,
    CONF_VOLTAGE,
    DEFAULT_MAX_CURRENT,
    DEFAULT_MIN_CURRENT,
    DEFAULT_VOLTAGE,
)
from .core.station import Capabilities, Station, Transition
from .transport.coap import CoapStationClient, create_context

_LOGGER = logging.getLogger(__name__)


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


class SiteHub:
    """The stations of one site and the shared CoAP context that reaches them."""

    def __init__(self, site: SiteConfig) -> None:
        """Create an empty hub; add stations, then start()."""
        self.site = site
        self.links: dict[str, CoapStationLink] = {}
        self._context: aiocoap.Context | None = None

    @property
    def stations(self) -> dict[str, Station]:
        """Stations by key (the station subentry id)."""
        return {key: link.station for key, link in self.links.items()}

    async def start(self, stations: Mapping[str, tuple[Station, str, int]]) -> None:
        """Open the site's CoAP context and start observing every station."""
        self._context = await create_context()
        for key, (station, host, port) in stations.items():
            link = CoapStationLink(station, CoapStationClient(self._context, host, port))
            self.links[key] = link
            link.start()

    async def stop(self) -> None:
        """Stop every observation and close the context."""
        for link in self.links.values():
            await link.stop()
        self.links.clear()
        if self._context is not None:
            await self._context.shutdown()
            self._context = None

    def link(self, key: str) -> CoapStationLink:
        """The link of a station."""
        return self.links[key]

    async def set_charging(self, key: str, on: bool, authorized_by: str) -> None:
        """Enable (authorize a session) or disable a station.

        Raises IllegalTransitionError before anything is sent when the life cycle forbids it.
        """
        link = self.links[key]
        station = link.station
        station.check(Transition.ENABLE if on else Transition.DISABLE)
        await link.set_switch(on)
        if on:
            station.enable(authorized_by)
        else:
            station.disable()
        station.observe_current()
        station.notify()

    async def set_current_limit(self, key: str, setpoint_a: float) -> None:
        """Send a new current setpoint; raises InvalidSetpointError before sending if invalid."""
        link = self.links[key]
        link.station.capabilities.check_setpoint(setpoint_a)
        await link.set_setpoint(setpoint_a)
