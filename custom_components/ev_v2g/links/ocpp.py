"""Glue between one connector of an OCPP charge point and its Station model.

The central system keeps what each charge point reports (transport/ocpp/model.py); this link
reconciles its station with it: contact, telemetry, meters, and the transactions started or
ended at the charge point. Commands go the other way: the charging switch is RemoteStart /
RemoteStop (1.6) or RequestStart / RequestStop (2.0.1) with the session's real id tag, and the
current limit a charging profile that always carries a validTo.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import TYPE_CHECKING

from ..core.records import Authorization, AuthorizationKind, EndReason
from ..core.resident import Resident
from ..core.station import Station, Transition
from ..transport.ocpp.errors import CommandRejectedError
from ..transport.ocpp.model import (
    ChargePointState,
    ConnectorState,
    ProfilePurpose,
    StopReason,
    Transaction,
)
from ..transport.ratelimit import PROBLEM_INTERVAL_S, RateLimitedLog, RateLimiter
from .counters import CounterReader
from .lease import SetpointLease
from .ocpp_readings import apply_readings
from .relay import RelayOpener
from .settle import Pending, running_session, settle_sessions

if TYPE_CHECKING:
    from ..transport.ocpp.central import CentralSystem

_LOGGER = logging.getLogger(__name__)

# A charger that refused our limit is asked again this much later.
LIMIT_RETRY = 30.0

_END_REASONS = {
    StopReason.LOCAL: EndReason.STATION,
    StopReason.REMOTE: EndReason.STOPPED,
    StopReason.EV_DISCONNECTED: EndReason.UNPLUGGED,
    StopReason.OTHER: EndReason.STATION,
}


def id_tag_of(resident: Resident | None, site_tag: str) -> str:
    """The id tag a remote start names: the resident's first tag, else the site's own secret."""
    if resident is not None and resident.id_tags:
        return resident.id_tags[0]
    return site_tag


class OcppStationLink:
    """Keeps a Station in step with one connector of a charge point and carries commands to it."""

    def __init__(
        self,
        station: Station,
        central: CentralSystem,
        charge_point_id: str,
        connector: int,
        resident_of_tag: Callable[[str], Resident | None],
    ) -> None:
        """Link a station model to connector `connector` of charge point `charge_point_id`."""
        self.station = station
        self.central = central
        self.charge_point_id = charge_point_id
        self.connector = connector
        self.lease = SetpointLease(station, self._send_setpoint)
        self.relay = RelayOpener(station, lambda: self.set_switch(False))
        self._refuses_limits = False
        self._heard = False
        self.on_limitable: Callable[[OcppStationLink, bool], None] | None = None
        """Told when the charger starts or stops refusing our limits (for the repair issue)."""
        self.pending_session: Pending | None = None
        """A session the ledger had open when Home Assistant stopped; settled at first contact."""
        self.owner: Resident | None = None
        """The station's owner: a session found running with no tag of a resident is theirs."""
        self._resident_of_tag = resident_of_tag
        self._ever_found = False
        self._profiled_transaction: str | None = None
        """The transaction in force when the limit was last looked at (see update)."""
        self._metered_transaction: str | None = None
        """The transaction of the last import register taken (a new one may start lower)."""
        self._remote_start = False
        self._log = RateLimitedLog(_LOGGER, RateLimiter(PROBLEM_INTERVAL_S))
        self._counters = CounterReader(station, self._log)

    @property
    def desired_setpoint_a(self) -> float | None:
        """The setpoint we want at the connector (its validTo is kept renewed)."""
        return self.lease.desired_setpoint_a

    @property
    def held_until(self) -> float | None:
        """Until when the connector may apply the last delivered setpoint on its own."""
        return self.lease.held_until

    @property
    def connected(self) -> bool:
        """Whether the charge point is connected and heard from."""
        state = self.central.states.get(self.charge_point_id)
        return state is not None and state.online

    def start(self) -> None:
        """Take the charge point's state as it is now (it may have stayed connected)."""
        # A charge point's register is its lifetime counter: a lower value is never a restart
        # we could not see; it is a glitch, or a new transaction's own start (see _telemetry).
        self.station.energy_import.restart_allowance_wh = None
        self.station.energy_export.restart_allowance_wh = None
        if (state := self.central.states.get(self.charge_point_id)) is not None:
            connector = state.connectors.get(self.connector)
            if connector is not None and connector.transaction is not None:
                # The transaction of the readings on record, if it still runs.
                self._metered_transaction = connector.transaction.id
            self.update(state)

    async def stop(self) -> None:
        """Stop renewing the limit."""
        await self.lease.stop()
        await self.relay.stop()

    # --- state ---------------------------------------------------------------------------------

    def update(self, state: ChargePointState) -> None:
        """Reconcile the station with what the charge point reported."""
        station = self.station
        connector = state.connectors.get(self.connector) or ConnectorState(connector=self.connector)
        changed = self._telemetry(connector)
        heard = state.online and self.connector in state.heard
        if heard != self._heard:
            self._heard = heard
            changed = True
        if state.online and state.booted and not station.available:
            self._found()  # nothing goes to a charger before its BootNotification is accepted
            changed = True
        elif not state.online and station.available:
            self._lost()
            changed = True
        if (ended := connector.take_ended()) is not None:
            changed |= self._ended(ended.reason)
        if station.available and connector.transaction is not None:
            changed |= self._started(connector.transaction)
        transaction = None if connector.transaction is None else connector.transaction.id
        if transaction != self._profiled_transaction:
            # A TxProfile lives and dies with its transaction: a new one (or none) holds only
            # the TxDefaultProfile, so the limit wanted goes out again, in the purpose now due.
            self._profiled_transaction = transaction
            self.lease.renew_soon()
        if station.available:
            before = station.state
            station.observe_current()
            changed |= station.state is not before
        if changed:
            station.notify()

    def _telemetry(self, connector: ConnectorState) -> bool:
        changed = apply_readings(self.station.telemetry, connector, self.station.capabilities)
        transaction = connector.transaction
        current = None if transaction is None else transaction.id
        new_transaction = current is not None and current != self._metered_transaction
        for name, meter, raw in (
            ("import", self.station.energy_import, connector.energy_import_wh),
            ("export", self.station.energy_export, connector.energy_export_wh),
        ):
            if raw is None or raw == meter.last_raw_wh:
                continue
            if (
                name == "import"
                and new_transaction
                and meter.last_raw_wh is not None
                and raw < meter.last_raw_wh
                and transaction is not None
            ):
                # A register lower at a new transaction: one that counts per transaction, or
                # restored lower. The transaction's own meter start is the new baseline.
                start = transaction.meter_start_wh
                meter.rebase(raw if start is None or start > raw else start)
            changed |= self._counters.take(f"energy_{name}", meter, raw)
        if connector.energy_import_wh is not None:
            self._metered_transaction = current
        return changed

    def _found(self) -> None:
        station = self.station
        if self._ever_found:
            _LOGGER.info("%s is back in contact", station.name)
        first = not self._ever_found
        self._ever_found = True
        station.connect()
        if first:
            pending, self.pending_session = self.pending_session, None
            if settle_sessions(station, pending, self._found_running):
                _LOGGER.warning(
                    "%s runs a transaction no resident's card started: stopping it",
                    station.name,
                )
                self.relay.request("a transaction nobody authorized")
        self.lease.renew_soon()

    def _found_running(self) -> Pending | None:
        """A transaction we have no session for: its card's resident's, or None (stop it)."""
        state = self.central.states[self.charge_point_id]
        transaction = state.connectors[self.connector].transaction
        tag = None if transaction is None else transaction.id_tag
        resident = self._resident_of_tag(tag) if tag else None
        if tag is None or resident is None:
            return None
        authorization = Authorization(kind=AuthorizationKind.ID_TAG, by=tag, id_tag=tag)
        return running_session(self.station.key, resident, authorization), resident

    def _lost(self) -> None:
        self._log.warning(
            ("contact", "lost"),
            "%s is unavailable: charge point %s offline",
            self.station.name,
            self.charge_point_id,
        )
        self.station.contact_lost()

    def _ended(self, reason: StopReason) -> bool:
        station = self.station
        if station.session is None or not station.can(Transition.DISABLE):
            return False
        station.disable(_END_REASONS[reason])
        return True

    def _started(self, transaction: Transaction) -> bool:
        """A transaction started at the charge point (a card): the session of its tag."""
        station = self.station
        if self._remote_start or not station.can(Transition.ENABLE):
            return False
        tag = transaction.id_tag
        if tag is not None and tag.casefold() not in self.central.accepted_tags:
            # Refused at its start (Invalid): no session; the charger stops it, we ask it to too.
            _LOGGER.warning(
                "%s: a transaction started with a card we refused; no session", station.name
            )
            self.relay.request("a transaction with a refused card")
            return False
        resident = self._resident_of_tag(tag) if tag else None
        by = tag or "charge point"
        authorization = Authorization(kind=AuthorizationKind.ID_TAG, by=by, id_tag=tag)
        station.enable(running_session(station.key, resident, authorization), resident)
        return True

    # --- commands ------------------------------------------------------------------------------

    async def set_switch(self, on: bool, resident: Resident | None = None) -> None:
        """Start a transaction with the resident's tag, or stop the running one.

        Raises StationError if the charge point refuses, does not answer or is not connected.
        """
        commands = self.central.charge_point(self.charge_point_id)
        if not on:
            state = self.central.states[self.charge_point_id].connector(self.connector)
            if state.transaction is not None:
                await commands.remote_stop(self.connector)
            return
        self._remote_start = True
        try:
            await commands.remote_start(self.connector, id_tag_of(resident, self.central.site_tag))
        finally:
            self._remote_start = False

    @property
    def cannot_be_limited(self) -> bool:
        """Whether the charger refused our last limit: it draws what it likes."""
        return self._refuses_limits

    @property
    def known(self) -> bool:
        """Whether the charger told, on this connection, what the connector does.

        Until it does (its StatusNotification after boot, or a transaction), it may be charging
        on its own at its fallback, as it may have been while away.
        """
        return self._heard

    def _set_limitable(self, limitable: bool) -> None:
        if self._refuses_limits == (not limitable):
            return
        self._refuses_limits = not limitable
        if self.on_limitable is not None:
            self.on_limitable(self, limitable)
        self.station.notify()

    async def _send_limit(self, setpoint_a: float, until: int, purpose: ProfilePurpose) -> None:
        await self.central.charge_point(self.charge_point_id).set_limit(
            self.connector,
            max(setpoint_a, 0.0),
            purpose,
            valid_to=until,
            phases=self.station.capabilities.phases,
        )

    async def final_count(self) -> None:
        """Nothing to read: a transaction's end carries its final register (meterStop)."""

    async def set_setpoint(
        self, setpoint_a: float, *, unless: Callable[[], bool] | None = None
    ) -> None:
        """Send a limit with a validTo and keep it renewed (see SetpointLease.set)."""
        await self.lease.set(setpoint_a, unless=unless)

    async def _send_setpoint(self, setpoint_a: float, until: int) -> None:
        """TxProfile while a transaction runs, else TxDefaultProfile; both end at `until`.

        A refused TxProfile is sent again as the connector's TxDefaultProfile, which limits a
        running transaction too: a charger still starting its transaction (it has not taken
        the id we gave it yet) refuses a TxProfile for it, and is not one that refuses limits.
        """
        state = self.central.states[self.charge_point_id].connector(self.connector)
        purpose = ProfilePurpose.TX if state.transaction is not None else ProfilePurpose.TX_DEFAULT
        try:
            try:
                await self._send_limit(setpoint_a, until, purpose)
            except CommandRejectedError:
                if purpose is not ProfilePurpose.TX:
                    raise
                await self._send_limit(setpoint_a, until, ProfilePurpose.TX_DEFAULT)
        except CommandRejectedError:
            self._set_limitable(False)
            self.lease.retry_in(LIMIT_RETRY)  # does it take limits again?
            raise
        self._set_limitable(True)
        telemetry = self.station.telemetry
        telemetry.setpoint_a = setpoint_a
        telemetry.setpoint_until = until
        self.station.notify()
