"""The ev_v2g integration: shared, power-limited EV charging with vehicle-to-grid."""

from __future__ import annotations

from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .bookkeeping.full_charge import FullChargeWatch
from .bookkeeping.price import PriceSource
from .bookkeeping.session_book import SessionBook
from .bookkeeping.writer import LedgerWriter
from .charge_points.server import Endpoint, async_acquire, async_release
from .charge_points.site import OcppSite, is_ocpp
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
from .devices import async_register_devices
from .events import connect_events, connect_session_events
from .hub import SiteHub
from .runtime import EvV2gConfigEntry
from .services.demand_response import async_setup_services
from .services.sessions import async_setup_session_services
from .sharing.load_sensor import LoadSensorFollower
from .site_config import SiteConfig, resident_from_data, station_setups

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services, which name their site."""
    async_setup_services(hass)
    async_setup_session_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EvV2gConfigEntry) -> bool:
    """Open the site's ledger, observe its stations and share its supply."""
    residents = {
        key: resident_from_data(key, subentry.title, subentry.data)
        for key, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_RESIDENT
    }
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
    try:
        await writer.async_open()
        pending = await book.async_load()
        central = None
        if charge_points or entry.options.get(CONF_OCPP_LISTEN):
            central = await async_acquire(hass, entry.entry_id, entry.title, _endpoint(entry))
            hub.ocpp = OcppSite(
                hass,
                entry.entry_id,
                central,
                hub,
                charge_points=charge_points,
                options=entry.options,
            )
            await hub.ocpp.async_load()
        book.start()
        await hub.start(stations, pending, central)
        if hub.ocpp is not None:
            hub.ocpp.start()
    except ConfigEntryNotReady:
        await _async_close(hass, hub)
        raise
    except (LedgerError, OSError) as err:
        await _async_close(hass, hub)
        key = "ledger_unavailable" if isinstance(err, LedgerError) else "coap_unavailable"
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"error": str(err)},
        ) from err
    entry.runtime_data = hub
    hub.structure = _structure(entry)
    async_register_devices(hass, entry, hub.setups, hub.residents)
    _remove_stale_devices(hass, entry, {entry.entry_id, *entry.subentries, *stations})
    connect_events(hass, entry.entry_id, hub)
    connect_session_events(hass, entry.entry_id, hub, book)
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
    entry.async_on_unload(entry.add_update_listener(_async_update))

    async def _async_stopping(_: Event) -> None:
        """Home Assistant stops without unloading: write the ledger's last records now."""
        await _async_close(hass, hub)

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stopping))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def default_ledger_url(hass: HomeAssistant, entry_id: str) -> str:
    """The SQLite file of a site's ledger, in the config folder."""
    return f"sqlite:///{hass.config.path(f'ev_v2g_ledger_{entry_id}.db')}"


async def _async_close(hass: HomeAssistant, hub: SiteHub) -> None:
    """Stop the stations, take their last readings and write them (once).

    At a reload the OCPP central system keeps its connections for the site set up again.
    """
    if hub.closed:
        return
    hub.closed = True
    await hub.stop()
    if hub.ocpp is not None:
        await hub.ocpp.async_stop()
        await async_release(hass, hub.ocpp.entry_id, reloading=hub.reloading)
    hub.book.stop()
    await hub.book.writer.async_close()


def _remove_stale_devices(hass: HomeAssistant, entry: EvV2gConfigEntry, known: set[str]) -> None:
    """Remove the devices of connectors a charge point no longer has (after a reconfigure).

    A removed subentry takes its devices along; fewer connectors on a charge point do not.
    """
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        keys = {key for domain, key in device.identifiers if domain == DOMAIN}
        if keys and not keys & known:
            registry.async_remove_device(device.id)  # the site's devices are its own only


def _endpoint(entry: EvV2gConfigEntry) -> Endpoint:
    """Where the site's OCPP central system listens, from its options."""
    options = entry.options
    return Endpoint(
        port=int(options.get(CONF_OCPP_PORT, DEFAULT_OCPP_PORT)),
        host=options.get(CONF_OCPP_ADDRESS) or None,
        certfile=options.get(CONF_OCPP_CERTFILE) or None,
        keyfile=options.get(CONF_OCPP_KEYFILE) or None,
    )


def _structure(entry: EvV2gConfigEntry) -> Any:
    """What needs a reload when it changes; other options apply live."""
    return (
        entry.title,
        dict(entry.data),
        entry.options.get(CONF_LOAD_SENSOR),
        entry.options.get(CONF_LEDGER_URL),
        entry.options.get(CONF_FULL_POWER, DEFAULT_FULL_POWER),
        entry.options.get(CONF_FULL_MINUTES, DEFAULT_FULL_MINUTES),
        _endpoint(entry),
        entry.options.get(CONF_OCPP_LISTEN, False),
        tuple(entry.options.get(CONF_ALLOWED_TAGS) or ()),
        {key: (s.title, dict(s.data)) for key, s in entry.subentries.items()},
    )


async def _async_update(hass: HomeAssistant, entry: EvV2gConfigEntry) -> None:
    """Apply changed options live; reload when the site, its stations or residents change."""
    hub = entry.runtime_data
    if _structure(entry) != hub.structure:
        hub.reloading = True
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    hub.sharing.set_options(hub.site.sharing_options(entry.options))
    hub.book.price.set_options(entry.options)


async def async_unload_entry(hass: HomeAssistant, entry: EvV2gConfigEntry) -> bool:
    """Stop sharing, observing and release the CoAP context."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await _async_close(hass, entry.runtime_data)
    return unloaded
