"""Glue between one CoAP station's transport and its Station model.

Decodes notifications into telemetry, keeps the life cycle in step with contact, logs each
problem once, and sends commands with a lease that is refreshed before it expires.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import time

from ..core.meter import allowance_wh
from ..core.records import EndReason, Session
from ..core.resident import Resident
from ..core.station import Station, Transition
from ..transport.coap.client import CoapStationClient, Response
from ..transport.coap.observer import StationObserver
from ..transport.coap.payloads import (
    PayloadError,
    decode_regulator,
    decode_senml,
    decode_switch,
    decode_vehicle,
)
from ..transport.errors import StationError, StationRefusedError
from ..transport.ratelimit import PROBLEM_INTERVAL_S, RateLimitedLog, RateLimiter
from .counters import CounterReader
from .lease import SetpointLease
from .relay import RelayOpener
from .settle import settle_sessions

_LOGGER = logging.getLogger(__name__)


class CoapStationLink:
    """Keeps a Station in step with its CoAP station and carries commands to it."""

    def __init__(self, station: Station, client: CoapStationClient) -> None:
        """Link a station model to its client; call start() to begin observing."""
        self.station = station
        self.client = client
        self.observer = StationObserver(client, self._notified, self._found, self._lost)
        self.lease = SetpointLease(station, self._send_setpoint)
        self.relay = RelayOpener(station, lambda: self.set_switch(False))
        station.add_session_listener(self._session_changed)
        self.pending_session: tuple[Session, Resident | None] | None = None
        """A session the ledger had open when Home Assistant stopped; settled at first contact."""
        self.owner: Resident | None = None
        """The station's owner (shown on its device; sessions are authorized, never assumed)."""
        self._problems: set[tuple[str, str]] = set()
        self._log = RateLimitedLog(_LOGGER, RateLimiter(PROBLEM_INTERVAL_S))
        self._refused_limits: tuple[float, float, float] | None = None
        self._ever_found = False
        self._counters = CounterReader(station, self._log)
        """Counters whose last reading was a glitch (logged once until they count again)."""
        self._energy_at: float | None = None
        """When /energy was last heard (monotonic)."""
        self._unseen_since: float | None = None
        """Since when a restart may have gone unseen (contact lost), monotonic."""
        self._decoders: dict[str, Callable[[Response], bool]] = {
            "current": self._on_current,
            "energy": self._on_energy,
            "vehicle": self._on_vehicle,
            "switch": self._on_switch,
            "regulator": self._on_regulator,
        }

    def start(self) -> None:
        """Begin observing the station."""
        self.observer.start()

    @property
    def desired_setpoint_a(self) -> float | None:
        """The setpoint we want at the station (its lease is kept renewed)."""
        return self.lease.desired_setpoint_a

    @property
    def cannot_be_limited(self) -> bool:
        """A CoAP station that refuses a setpoint says why; it is never left unlimited."""
        return False

    @property
    def known(self) -> bool:
        """In contact means known: contact is found once all five resources have answered."""
        return True

    @property
    def held_until(self) -> float | None:
        """Until when the station may apply the last delivered setpoint on its own."""
        return self.lease.held_until

    @property
    def connected(self) -> bool:
        """Whether the station answers its observations."""
        return self.observer.connected

    async def stop(self) -> None:
        """Stop observing and renewing."""
        await self.lease.stop()
        await self.relay.stop()
        await self.observer.stop()

    def _session_changed(self, session: Session) -> None:
        """A session that ended by unplugging leaves the relay open for the next car."""
        if session.end_reason is EndReason.UNPLUGGED and self.station.telemetry.switch_on:
            self.relay.request("the car left")

    # --- notifications -------------------------------------------------------------------------

    def _notified(self, resource: str, result: Response | StationRefusedError) -> None:
        if isinstance(result, StationRefusedError):
            self._problem(resource, "refused", str(result))
            return
        try:
            changed = self._decoders[resource](result)
        except PayloadError as err:
            self._problem(resource, "payload", str(err))
            return
        self._problems = {p for p in self._problems if p[0] != resource}
        if self.station.available:
            self.station.observe_current()
        if changed:
            self.station.notify()

    def _problem(self, resource: str, kind: str, reason: str) -> None:
        """Log a problem once until the resource behaves again."""
        if (resource, kind) not in self._problems:
            self._problems.add((resource, kind))
            self._log.warning(
                (resource, kind), "%s: ignored /%s: %.200s", self.station.name, resource, reason
            )

    def _on_current(self, response: Response) -> bool:
        values = decode_senml(response.payload, response.content_format)
        if "current" not in values:
            raise PayloadError("SenML pack lacks 'current'")
        capabilities = self.station.capabilities
        if not capabilities.plausible_current_a(values["current"]) or not (
            "power" not in values or capabilities.plausible_power_w(values["power"])
        ):
            self.station.implausible_readings += 1
            raise PayloadError(
                f"current {values['current']} A / power {values.get('power')} W is beyond what "
                f"the station can draw ({capabilities.max_current_a} A, "
                f"{capabilities.phases} phase(s))"
            )
        telemetry = self.station.telemetry
        before = (telemetry.current_a, telemetry.voltage_v, telemetry.power_w)
        telemetry.current_a = values["current"]
        telemetry.voltage_v = values.get("voltage", telemetry.voltage_v)
        telemetry.power_w = values.get("power", telemetry.power_w)
        return before != (telemetry.current_a, telemetry.voltage_v, telemetry.power_w)

    def _on_energy(self, response: Response) -> bool:
        values = decode_senml(response.payload, response.content_format)
        now = time.monotonic()
        if self._unseen_since is not None:
            # Contact came back: the station may have restarted meanwhile, and counted at most
            # its maximum power for the time we did not hear from it.
            most = allowance_wh(self.station.capabilities.max_power_w(), now - self._unseen_since)
            self.station.energy_import.expect_restart(most)
            self.station.energy_export.expect_restart(most)
            self._unseen_since = None
        self._energy_at = now
        boot = values.get("boot")
        changed = False
        for name, meter in (
            ("energy_import", self.station.energy_import),
            ("energy_export", self.station.energy_export),
        ):
            if name in values:
                changed |= self._counters.take(name, meter, values[name], boot)
        return changed

    def _on_vehicle(self, response: Response) -> bool:
        vehicle = decode_vehicle(response.payload, response.content_format)
        telemetry = self.station.telemetry
        before = (telemetry.plugged, telemetry.soc, telemetry.vehicle_v2g)
        telemetry.plugged, telemetry.soc = vehicle.plugged, vehicle.soc
        telemetry.vehicle_v2g = vehicle.v2g
        return before != (telemetry.plugged, telemetry.soc, telemetry.vehicle_v2g)

    def _on_switch(self, response: Response) -> bool:
        on = decode_switch(response.payload, response.content_format)
        before = self.station.telemetry.switch_on
        self.station.telemetry.switch_on = on
        if not on and self.station.can(Transition.DISABLE) and self.station.session:
            # The relay was opened at the station itself: the session is over.
            self.station.disable(EndReason.STATION)
        return before != on

    def _on_regulator(self, response: Response) -> bool:
        regulator = decode_regulator(response.payload, response.content_format)
        telemetry = self.station.telemetry
        before = (telemetry.setpoint_a, telemetry.setpoint_until, self.station.capabilities)
        telemetry.setpoint_a = regulator.setpoint_a
        telemetry.setpoint_until = regulator.until
        telemetry.fallback_a = regulator.fallback_a
        limits = (regulator.min_a, regulator.max_a, regulator.max_discharge_a)
        if self.station.report_limits(*limits):
            self._refused_limits = None
        elif limits != self._refused_limits:  # once per report that makes no sense
            self._refused_limits = limits
            self._log.warning(
                "limits",
                "%s reports limits that make no sense (min %s A, max %s A, discharge %s A):"
                " its configured ones apply",
                self.station.name,
                *limits,
            )
        return before != (telemetry.setpoint_a, telemetry.setpoint_until, self.station.capabilities)

    # --- contact -------------------------------------------------------------------------------

    def _found(self) -> None:
        station = self.station
        if self._ever_found:
            _LOGGER.info("%s is back in contact", station.name)
        first = not self._ever_found
        self._ever_found = True
        station.connect()
        if first:
            self._settle_sessions()
        station.notify()
        self.lease.renew_soon()

    def _settle_sessions(self) -> None:
        """At first contact: resume the session on record; stop one nobody authorized.

        A CoAP station has no card reader: a session it runs with none on record was never
        authorized by anyone here (the car of the last session may have left meanwhile).
        """
        pending, self.pending_session = self.pending_session, None
        if settle_sessions(self.station, pending, lambda: None):
            _LOGGER.warning(
                "%s was charging with no session on record: told to stop until someone"
                " authorizes a session",
                self.station.name,
            )
            self.relay.request("no session on record")

    def _lost(self, reason: str) -> None:
        self._log.warning(
            ("contact", "lost"), "%s is unavailable: %.200s", self.station.name, reason
        )
        # While out of contact the station may restart: its next lower counter may be a reset.
        if self._unseen_since is None:
            self._unseen_since = self._energy_at or time.monotonic()
        if self.station.can(Transition.CONTACT_LOST):
            self.station.contact_lost()
        self.station.notify()

    # --- commands ------------------------------------------------------------------------------

    async def set_switch(self, on: bool, resident: Resident | None = None) -> None:
        """Close or open the relay; raises StationError if the station refuses or is gone.

        A CoAP station has no notion of who charges: `resident` is for the ledger only.
        """
        reported = await self.client.set_switch(on)
        if reported != self.station.telemetry.switch_on:
            self.station.telemetry.switch_on = reported

    async def final_count(self) -> None:
        """Read the counters at once after a session ended with the relay opened.

        The energy counted since the last notification then arrives now, and the session book
        gives it to the session that just ended, instead of waiting for a notification that
        may come during the next session. Without an answer, the next notification brings it.
        """
        try:
            if self._on_energy(await self.client.request("energy")):
                self.station.notify()
        except (StationError, PayloadError) as err:
            _LOGGER.debug("%s: no final count at the session's end: %s", self.station.name, err)

    async def set_setpoint(
        self, setpoint_a: float, *, unless: Callable[[], bool] | None = None
    ) -> None:
        """Send a setpoint with a lease and keep it renewed (see SetpointLease.set)."""
        await self.lease.set(setpoint_a, unless=unless)

    async def _send_setpoint(self, setpoint_a: float, until: int) -> None:
        regulator = await self.client.set_setpoint(setpoint_a, until)
        telemetry = self.station.telemetry
        telemetry.setpoint_a = regulator.setpoint_a if regulator else setpoint_a
        telemetry.setpoint_until = until
        self.station.notify()
