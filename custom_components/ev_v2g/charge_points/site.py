"""A site's OCPP charge points: who may connect, what they are sent, and what is remembered.

It listens to the central system and passes each change to the stations of that charge point
only (no broadcast). When a charge point comes online it gets the site's ceiling, the fallback
limit and the residents' tags. Transactions and the newest meter sample of each connector are
kept in a Home Assistant store, so a restart neither loses nor double counts energy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store

from ..const import (
    CONF_ALLOWED_TAGS,
    CONF_CHARGE_POINT_ID,
    CONF_CONNECTORS,
    CONF_PASSWORD_HASH,
    CONF_PROTOCOL,
    DOMAIN,
    PROTOCOL_OCPP,
)
from ..devices import async_site_device
from ..hub import SiteHub
from ..links.ocpp import OcppStationLink
from ..transport.errors import StationError
from ..transport.ocpp.model import ChargePointState
from .configuration import Configuration
from .repairs import async_charger_limited
from .steps import ChargePointSteps
from .store import async_site_tag, restore_states, saved_states
from .strangers import Strangers

if TYPE_CHECKING:
    from ..transport.ocpp.central import CentralSystem

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1
SAVE_DELAY = 1.0


class OcppSite:
    """The OCPP side of one site."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        central: CentralSystem,
        hub: SiteHub,
        *,
        charge_points: Mapping[str, Mapping[str, Any]],
        options: Mapping[str, Any],
    ) -> None:
        """Serve `charge_points` (station subentry data by subentry id) of the hub's site."""
        self.hass = hass
        self.entry_id = entry_id
        self.central = central
        self.hub = hub
        self.subentries: dict[str, str] = {}
        """The station subentry of each charge point id."""
        self.password_hashes: dict[str, str] = {}
        self.connector_counts: dict[str, int] = {}
        self._enroll(charge_points)
        self.links: dict[str, list[OcppStationLink]] = {}
        """The stations of each charge point (one per connector), from start()."""
        self.allowed_tags = [str(tag) for tag in options.get(CONF_ALLOWED_TAGS) or ()]
        self.strangers = Strangers(hass, entry_id, lambda: hub.site.name, central)
        self.store: Store[dict[str, Any]] = Store(hass, STORE_VERSION, f"{DOMAIN}.ocpp_{entry_id}")
        self.tag_store: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.ocpp_site_tag_{entry_id}")
        self._online: set[str] = set()
        """Charge points online and booted: they were (or are being) configured."""
        self.steps = ChargePointSteps(
            central,
            hub,
            lambda charge_point_id: self.links.get(charge_point_id, ()),
            self.accepted_tags,
        )
        self.configuration = Configuration(hass, self.steps.steps)
        self._site_limit_a = hub.sharing.site_limit_a
        self._transactions: dict[tuple[str, int], str | None] = {}
        """The transaction last stored for each connector."""

    # --- life ----------------------------------------------------------------------------------

    async def async_load(self) -> None:
        """Restore the transactions and meter samples kept at the last stop.

        A charge point that stayed connected through a reload keeps the state it has.
        """
        saved = await self.store.async_load() or {}
        restore_states(self.central, saved, set(self.subentries))
        self.central.site_tag = await async_site_tag(self.tag_store)

    def _enroll(self, charge_points: Mapping[str, Mapping[str, Any]]) -> None:
        self.subentries = {data[CONF_CHARGE_POINT_ID]: key for key, data in charge_points.items()}
        self.password_hashes = {
            data[CONF_CHARGE_POINT_ID]: data[CONF_PASSWORD_HASH] for data in charge_points.values()
        }
        self.connector_counts = {
            data[CONF_CHARGE_POINT_ID]: int(data[CONF_CONNECTORS])
            for data in charge_points.values()
        }

    def start(self) -> None:
        """Let the site's charge points in and follow them (the hub has linked its stations)."""
        self._take_links()
        central = self.central
        central.password_hashes = dict(self.password_hashes)
        central.connector_counts = dict(self.connector_counts)
        central.accepted_tags = frozenset(tag.casefold() for tag in self.accepted_tags())
        central.listener = self
        self.hub.sharing.add_listener(self._sharing_changed)
        for charge_point_id in self.subentries:
            state = central.states.get(charge_point_id)
            if state is not None and state.online and state.booted:
                self._came_online(state)

    def _take_links(self) -> None:
        """The hub's OCPP stations, by charge point; each counted at its fallback until in contact.

        Until it is in contact, a charge point is taken to hold the fallback it was given when
        it was last configured: what it may draw on its own (the stated rule).
        """
        self.links = {}
        for link in self.hub.links.values():
            if isinstance(link, OcppStationLink):
                self.links.setdefault(link.charge_point_id, []).append(link)
                link.on_limitable = self._limitable_changed
        for charge_point_id, links in self.links.items():
            if charge_point_id not in self._online:
                for link in links:
                    link.station.telemetry.fallback_a = self.steps.fallback_a()

    async def async_stations_changed(self, charge_points: Mapping[str, Mapping[str, Any]]) -> None:
        """Stations were added, changed or removed in place (the hub has relinked them).

        A charge point no longer enrolled, or given a new password, is disconnected; the
        others online are configured again, as the fallback (supply / stations) and the
        ceiling (their connectors' maximum) may have changed.
        """
        before = self.password_hashes
        self._enroll(charge_points)
        self.central.password_hashes = dict(self.password_hashes)
        self.central.connector_counts = dict(self.connector_counts)
        for charge_point_id, password_hash in before.items():
            if self.password_hashes.get(charge_point_id) != password_hash:
                self._online.discard(charge_point_id)
                self.configuration.end(charge_point_id)
                await self.central.disconnect(charge_point_id, "enrolment changed")
        self._take_links()
        for charge_point_id in self.subentries:
            state = self.central.states.get(charge_point_id)
            if state is not None and state.online and state.booted:
                self._came_online(state)

    async def async_stop(self) -> None:
        """Stop configuring; write what must survive a restart."""
        await self.configuration.stop()
        await self.store.async_save(saved_states(self.central, set(self.subentries)))

    def residents_changed(self) -> None:
        """Residents' tags changed in place: the central system and the chargers' local lists."""
        self.central.accepted_tags = frozenset(tag.casefold() for tag in self.accepted_tags())
        for charge_point_id in self._online:
            self.hass.async_create_background_task(
                self._local_list(charge_point_id), f"ev_v2g OCPP local list {charge_point_id}"
            )

    async def _local_list(self, charge_point_id: str) -> None:
        try:
            await self.steps.send_local_list(charge_point_id)
        except StationError as err:
            _LOGGER.warning(
                "Charge point %s did not take the new local list (sent again when it next "
                "connects): %s",
                charge_point_id,
                err,
            )

    def accepted_tags(self) -> list[str]:
        """Residents' tags; until residents exist, the tags allowed in the site's options."""
        tags = [tag for resident in self.hub.residents.values() for tag in resident.id_tags]
        if not self.hub.residents:
            tags.extend(self.allowed_tags)
        return [*dict.fromkeys(tags), self.central.site_tag]

    def diagnostics(self) -> dict[str, Any]:
        """What the central system knows of the site's charge points.

        By subentry, not by charge point id: the id is the charger's Basic-auth user name.
        """
        return {
            "port": self.central.port,
            "last_transaction_id": self.central.last_transaction_id,
            "charge_points": {
                self.subentries[charge_point_id]: {**asdict(state), "id": REDACTED}
                for charge_point_id, state in self.central.states.items()
                if charge_point_id in self.subentries
            },
        }

    # --- CentralSystemListener -----------------------------------------------------------------

    def charge_point_changed(self, state: ChargePointState, connector: int | None) -> None:
        """Pass a change to the charge point's stations only, and remember what matters."""
        links = self.links.get(state.id, ())
        for link in links:
            if connector is None or link.connector == connector:
                link.update(state)
        if connector is None:
            if state.online and state.booted and state.id not in self._online:
                self._came_online(state)
            elif not state.online and state.id in self._online:
                self._online.discard(state.id)
                self.configuration.end(state.id)
            if state.booted:
                self._describe_device(state)
        if connector is not None:
            self._save_if_transaction_changed(state, connector)

    def _save_if_transaction_changed(self, state: ChargePointState, connector: int) -> None:
        """Store the state when a transaction starts or ends, not on every meter value.

        The store's delayed save restarts its delay at each call, so calling it per message
        would put the write off for as long as the chargers talk. Meter samples are written
        at stop; a lost one costs nothing, as a register is never counted backwards.
        """
        transaction = state.connector(connector).transaction
        current = None if transaction is None else transaction.id
        if self._transactions.get((state.id, connector)) == current:
            return
        self._transactions[(state.id, connector)] = current
        self.store.async_delay_save(
            lambda: saved_states(self.central, set(self.subentries)), SAVE_DELAY
        )

    def unknown_charge_point(self, charge_point_id: str) -> None:
        """An unknown id tried to connect (``Strangers``)."""
        self.strangers.unknown_charge_point(charge_point_id)

    def login_locked_out(self, charge_point_id: str, address: str) -> None:
        """An address is locked out for wrong passwords (``Strangers``)."""
        self.strangers.login_locked_out(charge_point_id, address)

    def _limitable_changed(self, link: OcppStationLink, limitable: bool) -> None:
        async_charger_limited(self.hass, self.entry_id, link, limitable)

    # --- what a charge point is sent -----------------------------------------------------------

    def _came_online(self, state: ChargePointState) -> None:
        """Online and booted (its BootNotification accepted): configure it."""
        self._online.add(state.id)
        # Until each connector's status is heard, its station is counted at the fallback it
        # holds by the site's rule (links/ocpp.py `known`), as while it was away.
        self.configuration.begin(state.id)

    def _sharing_changed(self) -> None:
        """The site's limit changed: every connected charge point gets the new ceiling."""
        limit = self.hub.sharing.site_limit_a
        if limit == self._site_limit_a:
            return
        self._site_limit_a = limit
        for charge_point_id in self._online:
            self.hass.async_create_background_task(
                self._ceiling(charge_point_id),
                f"ev_v2g OCPP ceiling {charge_point_id}",
                eager_start=False,  # not N sends inside the caller's service call
            )

    async def _ceiling(self, charge_point_id: str) -> None:
        try:
            await self.steps.send_ceiling(charge_point_id, again=False)
        except StationError as err:
            _LOGGER.warning("Charge point %s kept its old ceiling: %s", charge_point_id, err)

    def _describe_device(self, state: ChargePointState) -> None:
        """Show what the charge point says it is on its device."""
        registry = dr.async_get(self.hass)
        subentry = self.subentries.get(state.id)
        device = async_site_device(self.hass, self.entry_id, subentry or "")
        info = state.info
        if device is None or (
            device.manufacturer,
            device.model_id,
            device.sw_version,
            device.serial_number,
        ) == (info.vendor, info.model, info.firmware_version, info.serial_number):
            return
        registry.async_update_device(
            device.id,
            manufacturer=info.vendor,
            model_id=info.model,
            sw_version=info.firmware_version,
            serial_number=info.serial_number,
        )


def is_ocpp(data: Mapping[str, Any]) -> bool:
    """Whether a station subentry is an OCPP charge point."""
    return data.get(CONF_PROTOCOL) == PROTOCOL_OCPP
