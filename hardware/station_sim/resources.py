"""CoAP resources of a simulated station: /switch, /regulator, /current, /energy, /vehicle.

Each resource renders the station's state through `payloads` and notifies its observers when
`publish()` sees a change (or, for the meters, when a heartbeat is due).
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from aiocoap import Message
from aiocoap.numbers.codes import Code
from aiocoap.resource import ObservableResource, Resource, Site

from . import payloads
from .model import DischargeNotAllowedError, SetpointError, SimulatedStation
from .payloads import Body, InvalidBodyError, UnsupportedFormatError

WELL_KNOWN_CORE = ".well-known/core"


def _response(code: Code, body: Body | None = None, *, max_age: int | None = None) -> Message:
    message = Message(code=code)
    if body is not None:
        message.payload = body.data
        message.opt.content_format = body.content_format
    if max_age is not None:
        message.opt.max_age = max_age
    return message


def _diagnostic(code: Code, error: Exception) -> Message:
    return _response(code, Body(str(error).encode(), payloads.TEXT_PLAIN))


class StationResource(ObservableResource):  # type: ignore[misc]  # aiocoap is untyped
    """An observable resource of one station, silenced by `Faults.missing`."""

    name: ClassVar[str]
    content_format: ClassVar[int | None] = None
    """Announced as `ct` in discovery."""
    heartbeat: ClassVar[bool] = False
    """Notify at least every max_age / 2 seconds, so a silent station is detectable."""

    def __init__(self, station: SimulatedStation) -> None:
        """Serve `station`."""
        super().__init__()
        self.station = station
        self._notified_state = self.state()
        self._notified_at = asyncio.get_running_loop().time()

    @property
    def missing(self) -> bool:
        """Whether a fault makes this resource answer 4.04."""
        return self.name in self.station.faults.missing

    @property
    def observer_count(self) -> int:
        """The observations this resource notifies."""
        return len(self._observations)  # aiocoap's own record of them

    def link(self) -> str:
        """CoRE link-format entry for discovery."""
        text = f"</{self.name}>"
        if (prefix := self.station.rt_prefix) is not None:
            text += f';rt="{prefix}{self.name}"'
        text += ";obs"
        if self.content_format is not None:
            text += f";ct={self.content_format}"
        return text

    def state(self) -> object:
        """What observers care about; a notification goes out when it changes."""
        return (self.missing, self.station.faults.served.get(self.name), self.body().data)

    def changed(self, before: object, after: object) -> bool:
        """Whether the state moved enough to notify."""
        return before != after

    def body(self) -> Body:
        """Current representation."""
        raise NotImplementedError

    def publish(self, now: float) -> None:
        """Notify observers if the state changed or a heartbeat is due at loop time `now`."""
        state = self.state()
        due = self.heartbeat and now + self._period() > self._notified_at + self.station.max_age / 2
        if self.changed(self._notified_state, state) or due:
            self._notified_state = state
            self._notified_at = now
            self.updated_state()

    def _period(self) -> float:
        return min(self.station.tick, self.station.max_age / 2)

    async def render(self, request: Message) -> Message:
        """Answer 4.04 while missing, else dispatch to render_<method>."""
        if self.missing:
            return _response(Code.NOT_FOUND)
        served = self.station.faults.served.get(self.name)
        if served is not None and request.code == Code.GET:
            return _response(Code.CONTENT, Body(served, self.content_format or payloads.JSON))
        response: Message = await super().render(request)
        return response

    async def render_get(self, request: Message) -> Message:
        """Return the current representation."""
        return _response(Code.CONTENT, self.body())

    def _changed_by_request(self) -> Message:
        self.publish(asyncio.get_running_loop().time())
        return _response(Code.CHANGED, self.body())


class SwitchResource(StationResource):
    """/switch: charging enabled or not."""

    name = "switch"

    def body(self) -> Body:
        """Render the switch state."""
        return payloads.switch_body(self.station)

    async def render_put(self, request: Message) -> Message:
        """Switch on or off, from JSON or legacy text."""
        try:
            on = payloads.parse_switch(request.payload, request.opt.content_format)
        except UnsupportedFormatError as err:
            return _diagnostic(Code.UNSUPPORTED_CONTENT_FORMAT, err)
        except InvalidBodyError as err:
            return _diagnostic(Code.BAD_REQUEST, err)
        self.station.set_switch(on)
        return self._changed_by_request()

    render_post = render_put


class RegulatorResource(StationResource):
    """/regulator: the current setpoint in mA (negative = discharge) and its expiry."""

    name = "regulator"

    def body(self) -> Body:
        """Render the setpoint and the station's limits."""
        return payloads.regulator_body(self.station)

    async def render_put(self, request: Message) -> Message:
        """Accept a new setpoint, or explain why not."""
        if self.station.regulator_delay_s > 0:
            await asyncio.sleep(self.station.regulator_delay_s)
        try:
            setpoint, until = payloads.parse_regulator(request.payload, request.opt.content_format)
            self.station.set_regulator(setpoint, until)
        except UnsupportedFormatError as err:
            return _diagnostic(Code.UNSUPPORTED_CONTENT_FORMAT, err)
        except DischargeNotAllowedError as err:
            return _diagnostic(Code.FORBIDDEN, err)
        except (InvalidBodyError, SetpointError) as err:
            return _diagnostic(Code.BAD_REQUEST, err)
        return self._changed_by_request()

    render_post = render_put


class CurrentResource(StationResource):
    """/current: SenML current, voltage and power, fresh for max_age seconds."""

    name = "current"
    content_format = payloads.SENML_JSON
    heartbeat = True

    def state(self) -> object:
        """Readings without the time stamp, and the fault switches."""
        faults = self.station.faults.signature()
        return (self.missing, faults, payloads.current_readings(self.station))

    def body(self) -> Body:
        """Render the readings as SenML."""
        return payloads.current_body(self.station)

    async def render_get(self, request: Message) -> Message:
        """Return the readings with Max-Age."""
        return _response(Code.CONTENT, self.body(), max_age=self.station.max_age)


class EnergyResource(StationResource):
    """/energy: SenML import and export counters in Wh."""

    name = "energy"
    content_format = payloads.SENML_JSON
    heartbeat = True

    def state(self) -> object:
        """The counters and the fault switches."""
        station = self.station
        faults = station.faults.signature()
        return (self.missing, faults, station.energy_import_wh, station.energy_export_wh)

    def changed(self, before: object, after: object) -> bool:
        """Notify on a fault switch, a restart, or a counter that moved by 1 Wh or more."""
        if not (isinstance(before, tuple) and isinstance(after, tuple)) or before[:2] != after[:2]:
            return True
        return any(abs(new - old) >= 1.0 for old, new in zip(before[2:], after[2:], strict=True))

    def body(self) -> Body:
        """Render the counters as SenML."""
        return payloads.energy_body(self.station)

    async def render_get(self, request: Message) -> Message:
        """Return the counters with Max-Age."""
        return _response(Code.CONTENT, self.body(), max_age=self.station.max_age)


class VehicleResource(StationResource):
    """/vehicle: plugged, state of charge, V2G capability."""

    name = "vehicle"
    content_format = payloads.JSON

    def body(self) -> Body:
        """Render the vehicle state."""
        return payloads.vehicle_body(self.station)


class DiscoveryResource(Resource):  # type: ignore[misc]  # aiocoap is untyped
    """/.well-known/core listing the station's resources (RFC 6690), filterable by `rt`."""

    def __init__(self, station: SimulatedStation, listed: list[StationResource]) -> None:
        """List `listed`, leaving out those a fault makes missing."""
        super().__init__()
        self.station = station
        self.listed = listed

    async def render_get(self, request: Message) -> Message:
        """Return the link format, after any `rt=` or `href=` query filter."""
        if WELL_KNOWN_CORE in self.station.faults.missing:
            return _response(Code.NOT_FOUND)
        shown = [resource for resource in self.listed if not resource.missing]
        for query in request.opt.uri_query:
            key, _, pattern = query.partition("=")
            if key == "rt":
                prefix = self.station.rt_prefix
                shown = [
                    r for r in shown if prefix is not None and _matches(prefix + r.name, pattern)
                ]
            elif key == "href":
                shown = [r for r in shown if _matches(f"/{r.name}", pattern)]
        text = ",".join(resource.link() for resource in shown)
        return _response(Code.CONTENT, Body(text.encode(), payloads.LINK_FORMAT))


def _matches(value: str, pattern: str) -> bool:
    """RFC 6690 query matching: exact, or a prefix when the pattern ends with `*`."""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


class StationSite(Site):  # type: ignore[misc]  # aiocoap is untyped
    """All resources of one station, as served by one aiocoap context."""

    def __init__(self, station: SimulatedStation) -> None:
        """Build the resources; call from within the running event loop."""
        super().__init__()
        self.resources: list[StationResource] = [
            SwitchResource(station),
            RegulatorResource(station),
            CurrentResource(station),
            EnergyResource(station),
            VehicleResource(station),
        ]
        self.add_resource([".well-known", "core"], DiscoveryResource(station, self.resources))
        for resource in self.resources:
            self.add_resource([resource.name], resource)

    async def render_to_pipe(self, pipe: Any) -> None:
        """Answer a request; one whose client went away while it was answered is dropped.

        aiocoap 0.4.17 raises TypeError (and then fails to log it) when an answer is added to
        a pipe that ended while the answer was being added.
        """
        try:
            await super().render_to_pipe(pipe)
        except TypeError:
            if getattr(pipe, "_event_callbacks", None) is not False:
                raise

    def publish(self, now: float) -> None:
        """Let every resource notify its observers of what changed."""
        for resource in self.resources:
            resource.publish(now)
