"""What a site's config entry holds while it runs, and the one function that builds it.

`async_start_site` opens the ledger, binds the OCPP central system when the site has charge
points, links every station, starts sharing and connects what listens to the site (events, the
full-car watch, the building-load follower). `EvV2gRuntime.async_close` undoes it, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady

from .bookkeeping.full_charge import FullChargeWatch
from .bookkeeping.price import PriceSource
from .bookkeeping.session_book import SessionBook
from .bookkeeping.writer import LedgerWriter
from .charge_points.server import Endpoint, async_acquire, async_release
from .charge_points.site import OcppSite, is_ocpp
from .coap_endpoint import async_coap_endpoint
from .const import (
    CONF_ALLOWED_TAGS,
    CONF_FULL_MINUTES,
    CONF_FULL_POWER,
    CONF_LEDGER_URL,
    CONF_LOAD_SENSOR,
    CONF_OCPP_ADDRESS,
    CONF_OCPP_CERTFILE,
    CONF_OCPP_KEYFILE,
    CONF_OCPP_LISTEN,
    CONF_OCPP_PORT,
    DEFAULT_FULL_MINUTES,
    DEFAULT_FULL_POWER,
    DEFAULT_OCPP_PORT,
    DOMAIN,
    SUBENTRY_RESIDENT,
    SUBENTRY_STATION,
)
from .core.ledger import Ledger, LedgerError
from .core.resident import Resident
from .events import connect_events, connect_session_events
from .hub import SiteHub
from .sharing.load_sensor import LoadSensorFollower
from .sharing.settings import SharingSettings
from .site_config import SiteConfig, resident_from_data, station_setups


@dataclass(kw_only=True)
class EvV2gRuntime:
    """Everything a running site owns."""

    hub: SiteHub
    book: SessionBook
    writer: LedgerWriter
    charge_points: OcppSite | None
    """The site's OCPP charge points and their central system; None without any."""
    structure: Any
    """What the site was set up from; a change to it needs a reload (see site_structure)."""
    stations: dict[str, tuple[str, dict[str, Any]]]
    """The station subentries the running stations are linked from (see station_subentries)."""
    changing: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while stations and residents changed in place are applied, one change at a time."""
    reloading: bool = False
    """Set when a change to the structure scheduled a reload (the central system waits)."""
    closed: bool = False
    refresh_dashboard: Callable[[], None] | None = None
    """Tells open browsers to load the site's dashboard again (None: no dashboard shown)."""
    hide_dashboard: Callable[[], None] | None = None
    """Takes the site's dashboard out of the sidebar (None: none shown)."""

    async def async_close(self, hass: HomeAssistant) -> None:
        """Stop the stations, take their last readings and write them (once).

        At a reload the OCPP central system keeps its connections for the site set up again.
        """
        if self.closed:
            return
        self.closed = True
        await self.hub.stop()
        if self.charge_points is not None:
            await self.charge_points.async_stop()
            await async_release(hass, self.charge_points.entry_id, reloading=self.reloading)
        self.book.stop()
        await self.writer.async_close()


type EvV2gConfigEntry = ConfigEntry[EvV2gRuntime]


def default_ledger_url(hass: HomeAssistant, entry_id: str) -> str:
    """The SQLite file of a site's ledger, in the config folder."""
    return f"sqlite:///{hass.config.path(f'ev_v2g_ledger_{entry_id}.db')}"


def ocpp_endpoint(entry: ConfigEntry[Any]) -> Endpoint:
    """Where the site's OCPP central system listens, from its options."""
    options = entry.options
    return Endpoint(
        port=int(options.get(CONF_OCPP_PORT, DEFAULT_OCPP_PORT)),
        host=options.get(CONF_OCPP_ADDRESS) or None,
        certfile=options.get(CONF_OCPP_CERTFILE) or None,
        keyfile=options.get(CONF_OCPP_KEYFILE) or None,
    )


def site_structure(entry: ConfigEntry[Any]) -> Any:
    """What needs a reload when it changes; other options, stations and residents apply live."""
    return (
        entry.title,
        dict(entry.data),
        entry.options.get(CONF_LOAD_SENSOR),
        entry.options.get(CONF_LEDGER_URL),
        entry.options.get(CONF_FULL_POWER, DEFAULT_FULL_POWER),
        entry.options.get(CONF_FULL_MINUTES, DEFAULT_FULL_MINUTES),
        ocpp_endpoint(entry),
        entry.options.get(CONF_OCPP_LISTEN, False),
        tuple(entry.options.get(CONF_ALLOWED_TAGS) or ()),
    )


def station_subentries(entry: ConfigEntry[Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each station subentry's title and data: what its stations are linked from.

    A change to them is applied in place (site_changes).
    """
    return {
        key: (subentry.title, dict(subentry.data))
        for key, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_STATION
    }


def site_residents(entry: ConfigEntry[Any]) -> dict[str, Resident]:
    """The site's residents, from its subentries."""
    return {
        key: resident_from_data(key, subentry.title, subentry.data)
        for key, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_RESIDENT
    }


async def async_start_site(hass: HomeAssistant, entry: EvV2gConfigEntry) -> EvV2gRuntime:
    """Build and start the site's runtime; ConfigEntryNotReady (translated) when it cannot run."""
    residents = site_residents(entry)
    stations = {
        key: setup
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_STATION
        for key, setup in station_setups(subentry_id, subentry.title, subentry.data).items()
    }
    charge_points = {
        key: subentry.data
        for key, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_STATION and is_ocpp(subentry.data)
    }
    url = entry.options.get(CONF_LEDGER_URL) or default_ledger_url(hass, entry.entry_id)
    writer = LedgerWriter(hass, entry.entry_id, entry.title, Ledger(url))
    book = SessionBook(
        hass,
        writer,
        PriceSource(hass, entry.options),
        {key: setup.station for key, setup in stations.items()},
        residents,
    )
    hub = SiteHub(SiteConfig.from_data(entry.title, entry.data), book, entry.options, residents)
    book.residents = hub.residents  # one mapping: a resident changed in place is seen by both
    runtime = EvV2gRuntime(
        hub=hub,
        book=book,
        writer=writer,
        charge_points=None,
        structure=site_structure(entry),
        stations=station_subentries(entry),
    )
    try:
        await writer.async_open()
        pending = await book.async_load()
        central = None
        if charge_points or entry.options.get(CONF_OCPP_LISTEN):
            central = await async_acquire(hass, entry.entry_id, entry.title, ocpp_endpoint(entry))
            runtime.charge_points = OcppSite(
                hass,
                entry.entry_id,
                central,
                hub,
                charge_points=charge_points,
                options=entry.options,
            )
            await runtime.charge_points.async_load()
        settings = SharingSettings(hass, entry.entry_id)
        await settings.async_restore(hub.sharing)
        entry.async_on_unload(settings.follow(hass, hub.sharing))
        book.start()
        await hub.start(await async_coap_endpoint(hass), stations, pending, central)
        if runtime.charge_points is not None:
            runtime.charge_points.start()
    except ConfigEntryNotReady:
        await runtime.async_close(hass)
        raise
    except (LedgerError, OSError) as err:
        await runtime.async_close(hass)
        key = "ledger_unavailable" if isinstance(err, LedgerError) else "coap_unavailable"
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"error": str(err)},
        ) from err
    _connect(hass, entry, runtime)
    return runtime


def _connect(hass: HomeAssistant, entry: EvV2gConfigEntry, runtime: EvV2gRuntime) -> None:
    """What listens to the running site, each undone when the entry unloads."""
    hub = runtime.hub
    connect_events(hass, entry.entry_id, hub)
    connect_session_events(hass, entry.entry_id, hub, runtime.book)
    watch = FullChargeWatch(
        hass,
        hub,
        float(entry.options.get(CONF_FULL_POWER, DEFAULT_FULL_POWER)),
        float(entry.options.get(CONF_FULL_MINUTES, DEFAULT_FULL_MINUTES)),
    )
    entry.async_on_unload(watch.start())
    if sensor := entry.options.get(CONF_LOAD_SENSOR):
        follower = LoadSensorFollower(hass, entry.entry_id, entry.title, hub.sharing, sensor)
        entry.async_on_unload(follower.start())

    async def _async_stopping(_: Event) -> None:
        """Home Assistant stops without unloading: write the ledger's last records now."""
        await runtime.async_close(hass)

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stopping))
