"""SiteHub: owns a site's stations, residents and links, shares its power and carries commands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import logging
import time
from typing import TYPE_CHECKING, Any

from .const import CONTROL_MANUAL, SETPOINT_EXPIRY_GRACE, SETPOINT_LEASE
from .core.records import Authorization, EndReason, Session
from .core.resident import Resident
from .core.station import IllegalTransitionError, Station, Transition
from .links.coap import CoapStationLink
from .links.ocpp import OcppStationLink
from .sharing.power_sharing import PowerSharing
from .site_config import SiteConfig, StationSetup
from .transport.coap.client import CoapStationClient
from .transport.coap.endpoint import CoapEndpoint
from .transport.errors import StationError

type StationLink = CoapStationLink | OcppStationLink

if TYPE_CHECKING:
    from .bookkeeping.session_book import SessionBook
    from .transport.ocpp.central import CentralSystem

_LOGGER = logging.getLogger(__name__)


class CoordinatedStationError(Exception):
    """A manual setpoint for a station whose current the site decides."""


class SiteHub:
    """The stations of one site, the shared CoAP endpoint that reaches them, and their sharing."""

    def __init__(
        self,
        site: SiteConfig,
        book: SessionBook,
        options: Mapping[str, Any] | None = None,
        residents: Mapping[str, Resident] | None = None,
    ) -> None:
        """Create an empty hub; start() adds the stations."""
        self.site = site
        self.book = book
        """The site's ledger bookkeeping."""
        self.residents: dict[str, Resident] = dict(residents or {})
        self.links: dict[str, StationLink] = {}
        self.setups: dict[str, StationSetup] = {}
        self.sharing = PowerSharing(site.sharing_options(options or {}), self.links, {})
        self.central: CentralSystem | None = None
        self._endpoint: CoapEndpoint | None = None
        self.entities: dict[str, set[Any]] = {}
        """The Home Assistant entities of each station, removed before it is unlinked."""
        self._station_listeners: list[tuple[Callable[[str], None], Callable[[str], None]]] = []
        self._resident_listeners: list[Callable[[], None]] = []

    @property
    def stations(self) -> dict[str, Station]:
        """Stations by key (the station subentry id)."""
        return {key: link.station for key, link in self.links.items()}

    async def start(
        self,
        endpoint: CoapEndpoint,
        stations: Mapping[str, StationSetup],
        pending: Mapping[str, tuple[Session, Resident | None]] | None = None,
        central: CentralSystem | None = None,
    ) -> None:
        """Link every station through the CoAP `endpoint` and start sharing.

        `pending` are the sessions on record at each station, settled at first contact;
        `central` is the OCPP central system the site's charge points connect to.
        """
        self._endpoint = endpoint
        self.central = central
        for key, setup in stations.items():
            self._link(key, setup, (pending or {}).get(key))
        self.sharing.start()

    def add_station(
        self, key: str, setup: StationSetup, pending: tuple[Session, Resident | None] | None
    ) -> None:
        """Link a station added to the running site (or set up anew after a change)."""
        self._link(key, setup, pending)
        self.sharing.follow(key)
        for added, _ in list(self._station_listeners):
            added(key)

    async def remove_station(self, key: str, *, gone: bool) -> None:
        """Unlink a station; `gone` when it left the site (not only changed).

        A station that left has its session ended (its relay opened) and is cut to 0 A before
        the others are given its share; unanswered, it keeps its share until its lease ends.
        Its observations are cancelled: the station's next notifications are answered with a
        reset, which ends them there (RFC 7641, section 3.6).
        """
        link = self.links[key]
        # One set up anew is counted at what it holds until its new link takes over.
        still_a, until = (await self._cut(key)) if gone else self._held(key)
        self.sharing.forget(key, gone=gone, still_a=still_a, until=until)
        await link.stop()
        del self.links[key]
        self.setups.pop(key, None)
        for _, removed in list(self._station_listeners):
            removed(key)

    def _held(self, key: str) -> tuple[float, float]:
        """What a station may apply on its own, and until when (its lease, with grace)."""
        link = self.links[key]
        held = link.held_until or link.station.telemetry.setpoint_until
        until = (held or time.time() + SETPOINT_LEASE) + SETPOINT_EXPIRY_GRACE
        return self.sharing.delivery.in_force_a(key) or 0.0, until

    async def _cut(self, key: str) -> tuple[float, float]:
        """End a leaving station's session and cut it to 0 A; what it may still apply, until."""
        link = self.links[key]
        station = link.station
        try:
            if station.session is not None:
                await self.stop_session(key, EndReason.STOPPED)
            if self.sharing.delivery.in_force_a(key):
                await link.set_setpoint(0.0)
        except (StationError, IllegalTransitionError) as err:
            _LOGGER.warning("%s left the site unanswered: %s", station.name, err)
            return self._held(key)
        return 0.0, 0.0

    def add_resident_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Hear of residents changed in place (their consent, reserve, tags)."""
        self._resident_listeners.append(listener)
        return lambda: self._resident_listeners.remove(listener)

    def add_station_listener(
        self, added: Callable[[str], None], removed: Callable[[str], None]
    ) -> Callable[[], None]:
        """Hear of stations added to and removed from the running site."""
        pair = (added, removed)
        self._station_listeners.append(pair)
        return lambda: self._station_listeners.remove(pair)

    def _link(
        self, key: str, setup: StationSetup, pending: tuple[Session, Resident | None] | None
    ) -> None:
        link: StationLink
        if setup.charge_point_id is None:
            if self._endpoint is None:
                raise RuntimeError("the hub is not started")
            client = CoapStationClient(self._endpoint, setup.host, setup.port)
            link = CoapStationLink(setup.station, client)
        else:
            if self.central is None:
                raise ValueError(f"{key}: an OCPP station needs the central system")
            link = OcppStationLink(
                setup.station,
                self.central,
                setup.charge_point_id,
                setup.connector,
                self.resident_of_tag,
            )
        link.pending_session = pending
        self.links[key] = link
        self.setups[key] = setup
        link.owner = self.residents.get(setup.owner or "")
        self.sharing.supply_phases[key] = setup.supply_phases
        link.start()

    async def stop(self) -> None:
        """Stop sharing and observing (the CoAP endpoint is not the hub's to close)."""
        await self.sharing.stop()
        for link in self.links.values():
            await link.stop()
        self.links.clear()
        self._endpoint = None

    def update_residents(self, residents: Mapping[str, Resident]) -> None:
        """Take changed residents (tags, consent, reserve, priority) in place, without a reload.

        Owners and the residents of running sessions are the new ones at once; power sharing
        plans again with them.
        """
        self.residents.clear()
        self.residents.update(residents)
        for key, link in self.links.items():
            link.owner = self.residents.get(self.setups[key].owner or "")
            station = link.station
            if station.resident is not None:
                station.resident = self.residents.get(station.resident.key, station.resident)
            station.notify()
        for listener in list(self._resident_listeners):
            listener()
        self.sharing.trigger()

    def station(self, key: str) -> Station:
        """One station (cheaper than `stations`, which builds the whole mapping)."""
        return self.links[key].station

    def owner_of(self, key: str) -> Resident | None:
        """The resident who owns a station, if any."""
        link = self.links.get(key)
        return None if link is None else link.owner

    def link(self, key: str) -> StationLink:
        """The link of a station."""
        return self.links[key]

    def resident_of_tag(self, id_tag: str) -> Resident | None:
        """The resident an RFID / OCPP id tag belongs to (tags compare case-insensitively)."""
        wanted = id_tag.casefold()
        return next(
            (r for r in self.residents.values() if any(t.casefold() == wanted for t in r.id_tags)),
            None,
        )

    def resident_of_user(self, user_id: str) -> Resident | None:
        """The resident linked to a Home Assistant user."""
        return next((r for r in self.residents.values() if r.user_id == user_id), None)

    def resident_named(self, name_or_key: str) -> Resident | None:
        """A resident by subentry id or by name (case-insensitive)."""
        if (resident := self.residents.get(name_or_key)) is not None:
            return resident
        wanted = name_or_key.strip().casefold()
        return next((r for r in self.residents.values() if r.name.casefold() == wanted), None)

    async def start_session(
        self, key: str, authorization: Authorization, resident: Resident | None
    ) -> Session:
        """Close the relay and start an authorized session for `resident` (None = unassigned).

        Raises IllegalTransitionError before anything is sent when the life cycle forbids it.
        """
        link = self.links[key]
        station = link.station
        station.check(Transition.ENABLE)
        await link.set_switch(True, resident)
        session = Session(
            id=Session.new_id(),
            station=key,
            resident=None if resident is None else resident.key,
            resident_name=None if resident is None else resident.name,
            authorization=authorization,
            started_at=time.time(),
        )
        station.enable(session, resident)
        station.observe_current()
        station.notify()
        return session

    async def stop_session(self, key: str, reason: EndReason = EndReason.STOPPED) -> None:
        """Open the relay and end the station's session."""
        link = self.links[key]
        station = link.station
        station.check(Transition.DISABLE)
        await link.set_switch(False)
        station.disable(reason)
        station.observe_current()
        station.notify()
        await link.final_count()

    async def set_current_limit(self, key: str, setpoint_a: float) -> None:
        """Send a manual setpoint; raises before sending if invalid or the site decides it."""
        link = self.links[key]
        link.station.capabilities.check_setpoint(setpoint_a)
        if self.sharing.control_modes.get(key) != CONTROL_MANUAL:
            raise CoordinatedStationError(key)
        await self.sharing.set_manual_setpoint(key, setpoint_a)
