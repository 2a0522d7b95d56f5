"""Books each station's sessions and meter readings into the ledger, with the price in force.

It also keeps every resident's totals for the current month (the resident sensors) and resumes
the sessions and meters on record after a restart, so no kWh is lost or counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
import logging
import time

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_time
from homeassistant.util import dt as dt_util

from ..const import READING_INTERVAL, SESSION_SETTLE
from ..core.ledger import LedgerUnavailableError
from ..core.records import Assignment, EndReason, Reading, Session, SessionClosed, Usage
from ..core.resident import Resident
from ..core.station import Station
from .bounds import BoundReadings
from .month_totals import MonthTotals, this_month
from .price import PriceSource
from .readings import reading_of, resume, spread
from .residency import ResidencyBook
from .totals import Totals, totals_of, usage_between
from .writer import LedgerWriter

_LOGGER = logging.getLogger(__name__)

type Pending = dict[str, tuple[Session, Resident | None]]


class SessionBook:
    """The ledger's view of a site: sessions, readings and the residents' month."""

    def __init__(
        self,
        hass: HomeAssistant,
        writer: LedgerWriter,
        price: PriceSource,
        stations: Mapping[str, Station],
        residents: Mapping[str, Resident],
    ) -> None:
        """Book the given stations; call async_load() and then start()."""
        self.hass = hass
        self.writer = writer
        self.price = price
        self.stations = dict(stations)
        self.residents = residents
        self.month_book = MonthTotals()
        self.sessions: dict[str, Totals] = {}
        """Totals of the open sessions, by session id."""
        self.on_session_started: Callable[[Station, Session], None] | None = None
        self.on_session_ended: Callable[[Station, Session, Totals], None] | None = None
        self._last: dict[str, Reading] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._followed: dict[str, CALLBACK_TYPE] = {}
        self._settling: dict[str, tuple[Session, float]] = {}
        """Sessions just ended, until when (monotonic) their station's last count is theirs."""
        self._taken_at: dict[str, float] = {}
        """When each station's last reading was taken, on the monotonic clock."""
        self.residency = ResidencyBook(writer, lambda: self.residents)
        self._bounds = BoundReadings(hass, price, lambda: this_month()[1], self.take_readings)

    async def async_load(self) -> Pending:
        """Read what the ledger has: last readings, open sessions and this month's totals.

        Returns the open sessions by station, for the links to settle at first contact.
        """
        ledger = self.writer.ledger
        self._last = await self.writer.async_read(ledger.last_readings)
        await self.residency.async_sync()
        await self.async_reload_month()
        pending: Pending = {}
        for session in await self.writer.async_read(ledger.open_sessions):
            if session.station not in self.stations:
                continue
            self.sessions[session.id] = totals_of(
                await self.writer.async_read(ledger.session_usage, session.id)
            )
            pending[session.station] = (session, self.residents.get(session.resident or ""))
        for key, station in self.stations.items():
            if (reading := self._last.get(key)) is not None:
                resume(station, reading)
        return pending

    async def async_reload_month(self) -> None:
        """Recompute the residents' totals for the current month from the ledger."""
        month = this_month()
        self.month_book.replace(month, await self.async_usage(*month))

    async def _async_new_month(self) -> None:
        """A month began: its totals from the ledger, or from zero while it cannot be read."""
        try:
            await self.async_reload_month()
        except LedgerUnavailableError as err:
            _LOGGER.warning(
                "%s: the new month's totals start from zero, the ledger being unavailable (%s)",
                self.writer.site,
                err.reason,
            )
            self.month_book.replace(this_month(), [])

    async def async_usage(self, start: datetime, end: datetime) -> list[Usage]:
        """What each resident took and gave at each station in [start, end), from the ledger.

        Raises LedgerUnavailableError when the database cannot be reached.
        """
        ledger = self.writer.ledger
        return await self.writer.async_read(ledger.usage, start.timestamp(), end.timestamp())

    async def async_metered(self, start: datetime, end: datetime) -> tuple[float, float]:
        """What the stations' registers moved by in [start, end): (import, export) Wh.

        Raises LedgerUnavailableError when the database cannot be reached.
        """
        ledger = self.writer.ledger
        return await self.writer.async_read(
            ledger.register_change, start.timestamp(), end.timestamp()
        )

    def start(self) -> None:
        """Follow every station, and the turn of the month."""
        for key, station in self.stations.items():
            self._follow(key, station)
        self._schedule_month_end()
        self._unsubscribe.append(self._bounds.start())

    def _follow(self, key: str, station: Station) -> None:
        self._followed[key] = station.add_listener(partial(self._station_changed, key))
        station.add_session_listener(partial(self._session_changed, key, station))

    def add_station(self, key: str, station: Station) -> None:
        """Book a station added in place (or set up anew after a change): its meter goes on."""
        self.stations[key] = station
        if (reading := self._last.get(key)) is not None:
            resume(station, reading)
        self._follow(key, station)

    def remove_station(self, key: str) -> None:
        """A station leaves (or is set up anew): its last reading is taken, then no more."""
        station = self.stations.pop(key)
        self._record_of(key, station, station.session)
        if (unfollow := self._followed.pop(key, None)) is not None:
            unfollow()

    def _schedule_month_end(self) -> None:
        @callback
        def month_ended(_: datetime) -> None:
            self.hass.async_create_background_task(
                self._async_new_month(), "ev_v2g new month"
            ).add_done_callback(lambda _: self._schedule_month_end())

        self._unsubscribe.append(async_track_point_in_time(self.hass, month_ended, self.month[1]))

    def stop(self) -> None:
        """Take a last reading of every station and stop following them."""
        for key, station in self.stations.items():
            self._record(key, station.session)
        for unsubscribe in [*self._unsubscribe, *self._followed.values()]:
            unsubscribe()
        self._unsubscribe.clear()
        self._followed.clear()

    def add_listener(self, resident: str | None, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call listener when this resident's month totals change."""
        return self.month_book.add_listener(resident, listener)

    @property
    def month(self) -> tuple[datetime, datetime]:
        """The current month's bounds."""
        return self.month_book.month

    def resident_month(self, resident: str | None) -> Totals:
        """A resident's totals for the current month."""
        return self.month_book.of(resident)

    async def assign(self, assignment: Assignment, resident: Resident | None) -> None:
        """Move a session to another resident (audited); raises UnknownSessionError."""
        await self.writer.async_write_now([assignment])
        for station in self.stations.values():
            session = station.session
            if session is not None and session.id == assignment.session:
                session.resident = assignment.resident
                session.resident_name = assignment.resident_name
                station.resident = resident
                station.notify()
        await self.async_reload_month()

    # --- stations ------------------------------------------------------------------------------

    def _station_changed(self, key: str) -> None:
        station = self.stations[key]
        if not station.available:
            return  # until first contact settles the session on record, energy has no owner yet
        last = self._last.get(key)
        settling = self._settling_session(key)
        taken = self._taken_at.get(key)
        if (
            settling is None
            and last is not None
            and taken is not None
            and time.monotonic() - taken < READING_INTERVAL
        ):
            return
        if last is not None and (
            station.energy_import.total_wh == last.import_wh
            and station.energy_export.total_wh == last.export_wh
        ):
            return
        if settling is not None and station.session is None:
            # The station's last count of an ended session arrives after its end: it is that
            # session's, not unassigned energy.
            del self._settling[key]
            self._record(key, settling)
            return
        self._record(key, station.session)

    def _settling_session(self, key: str) -> Session | None:
        """The session that ended here a moment ago, whose last count may still arrive."""
        if (settling := self._settling.get(key)) is None:
            return None
        session, until = settling
        if time.monotonic() > until:
            del self._settling[key]
            return None
        return session

    def _session_changed(self, key: str, station: Station, session: Session) -> None:
        if self.stations.get(key) is not station:
            return  # a station that left the site, or was set up anew
        if session.ended_at is None:
            if session.id in self.sessions:
                return  # resumed after a restart: already on record
            # What came before belongs to the session that just ended, if any, else to none.
            self._record(key, self._settling_session(key))
            self._settling.pop(key, None)
            self.sessions[session.id] = Totals()
            self.writer.add(replace(session))  # as it starts: the station's copy changes later
            if self.on_session_started is not None:
                self.on_session_started(station, session)
            return
        self._record(key, session)
        self._settling[key] = (session, time.monotonic() + SESSION_SETTLE)
        self.writer.add(
            SessionClosed(
                session=session.id,
                ended_at=session.ended_at,
                reason=session.end_reason or EndReason.STOPPED,
                import_stop_wh=session.import_stop_wh,
                export_stop_wh=session.export_stop_wh,
            )
        )
        totals = self.sessions.pop(session.id, Totals())
        if self.on_session_ended is not None:
            self.on_session_ended(station, session, totals)

    def take_readings(self, at: float, price: float) -> None:
        """A reading of every station in contact, dated `at`, priced `price` (a bill's bound)."""
        for key, station in self.stations.items():
            if station.available:
                session = station.session or self._settling_session(key)
                self._record_of(key, station, session, at=at, price=price)

    def price_changed(self) -> None:
        """The tariff's options changed: its bounds follow."""
        self._bounds.follow_price()

    def _record(self, key: str, session: Session | None) -> None:
        """Take a reading of a station now, for a session (None = outside any session)."""
        self._record_of(key, self.stations[key], session)

    def _record_of(
        self,
        key: str,
        station: Station,
        session: Session | None,
        *,
        at: float | None = None,
        price: float | None = None,
    ) -> None:
        last = self._last.get(key)
        now = time.time() if at is None else at
        reading = reading_of(
            key,
            station,
            session,
            last,
            at=now,
            price=self.price.price_now() if price is None else price,
            credit_rate=self.price.credit_rate,
        )
        if reading is None:
            return  # nothing metered yet
        self._taken_at[key] = time.monotonic()
        if last is not None:
            # Bounds passed while the station was out of contact (or Home Assistant stopped):
            # what it counted meanwhile is spread evenly over them, each part in its period.
            for bound_at, bound_price in self._bounds.between(last.at, reading.at):
                self._book(session, spread(last, reading, bound_at, bound_price))
        self._book(session, reading)

    def _book(self, session: Session | None, reading: Reading) -> None:
        """Queue a reading and count what it adds to the month's and the session's totals."""
        last = self._last.get(reading.station)
        self._last[reading.station] = reading
        self.writer.add(reading)
        if last is None:
            return
        usage = usage_between(reading, last, session)
        if session is not None and session.id in self.sessions:
            self.sessions[session.id].add(usage)
        self.month_book.add(
            datetime.fromtimestamp(reading.at, dt_util.get_default_time_zone()),
            None if session is None else session.resident,
            usage,
        )
