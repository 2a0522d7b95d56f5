"""Observations with a watchdog, against the simulated station over real UDP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import json
import time

import aiocoap
from aiocoap.resource import Resource, Site
import pytest

from custom_components.ev_v2g.transport.coap.client import (
    CoapStationClient,
    Response,
    StationRefusedError,
    create_endpoint,
)
from custom_components.ev_v2g.transport.coap.endpoint import CoapEndpoint
from custom_components.ev_v2g.transport.coap.observer import (
    OBSERVED,
    WATCHDOG_GRACE,
    StationObserver,
    silence_limit,
)
from custom_components.ev_v2g.transport.coap.payloads import decode_senml, decode_switch
from hardware.station_sim import SimulatedStation, StationServer, free_udp_port, payloads as sim
from hardware.station_sim.server import _cancel_leftover_timers
from tests.common import eventually


@dataclass
class Recorder:
    """What the observer reported, in order, with monotonic time stamps."""

    notifications: list[tuple[str, Response | StationRefusedError]] = field(default_factory=list)
    found: list[float] = field(default_factory=list)
    lost: list[tuple[float, str]] = field(default_factory=list)

    def on_notification(self, resource: str, result: Response | StationRefusedError) -> None:
        """Record a notification."""
        self.notifications.append((resource, result))

    def on_found(self) -> None:
        """Record contact."""
        self.found.append(time.monotonic())

    def on_lost(self, reason: str) -> None:
        """Record a loss of contact."""
        self.lost.append((time.monotonic(), reason))

    def of(self, resource: str) -> list[Response | StationRefusedError]:
        """Notifications of one resource."""
        return [result for name, result in self.notifications if name == resource]

    def responses(self, resource: str) -> list[Response]:
        """Successful notifications of one resource."""
        return [result for result in self.of(resource) if isinstance(result, Response)]


@pytest.fixture
def recorder() -> Recorder:
    """A fresh recorder."""
    return Recorder()


@pytest.fixture
async def observer(client: CoapStationClient, recorder: Recorder) -> AsyncIterator[StationObserver]:
    """An observer of the simulated station, not started yet; stopped at the end."""
    observer = StationObserver(
        client, recorder.on_notification, recorder.on_found, recorder.on_lost, first_backoff=0.1
    )
    yield observer
    await observer.stop()


def client_tasks() -> set[asyncio.Task[object]]:
    """Tasks still around on the client side: everything but the test and the simulator's own.

    The simulator keeps rendering tasks for observations until it next notifies (then our
    endpoint answers RST) or stops: forgetting an observation is legal CoAP (RFC 7641, 3.6).
    """
    return {
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not task.get_name().startswith(("station_sim", "Rendering for"))
    }


def test_silence_limit() -> None:
    """Twice the Max-Age plus a grace period."""
    assert WATCHDOG_GRACE == 5.0
    assert silence_limit(1) == 7.0
    assert silence_limit(10) == 25.0
    assert silence_limit(60) == 125.0


async def test_found_once_and_every_resource_notifies(
    observer: StationObserver, recorder: Recorder, sim_server: StationServer
) -> None:
    """Contact is reported once; every observed resource reports, the meters keep beating."""
    connected = [observer.connected]
    observer.start()
    await eventually(lambda: recorder.found != [], 3.0, "contact")
    connected.append(observer.connected)
    assert connected == [False, True]
    assert {name for name, _ in recorder.notifications} == set(OBSERVED)
    assert set(OBSERVED) == {"current", "energy", "vehicle", "switch", "regulator"}
    first = recorder.responses("current")[0]
    assert first.max_age == sim_server.station.max_age
    assert "current" in decode_senml(first.payload, first.content_format)

    # Heartbeats every Max-Age / 2 = 0.5 s, without any change at the station.
    await eventually(lambda: len(recorder.of("current")) >= 4, 3.0, "heartbeats")
    assert len(recorder.found) == 1
    assert recorder.lost == []


async def test_changes_are_notified(
    observer: StationObserver, recorder: Recorder, sim_server: StationServer
) -> None:
    """A change at the station reaches us as a notification, not by polling."""
    observer.start()
    await eventually(lambda: recorder.found != [], 3.0, "contact")
    sim_server.station.set_switch(True)
    sim_server.station.set_regulator(16000)

    def switched_on() -> bool:
        return any(decode_switch(r.payload, r.content_format) for r in recorder.responses("switch"))

    def regulated() -> bool:
        return any(
            json.loads(r.payload)["setpoint_ma"] == 16000 for r in recorder.responses("regulator")
        )

    await eventually(switched_on, 2.0, "switch on")
    await eventually(regulated, 2.0, "setpoint")
    # The car ramps to 16 A (400 A/s): /current follows.
    await eventually(
        lambda: any(
            decode_senml(r.payload, r.content_format)["current"] == 16.0
            for r in recorder.responses("current")
        ),
        3.0,
        "16 A",
    )


async def test_refused_resource_is_reported_and_others_go_on(
    observer: StationObserver, recorder: Recorder, sim_server: StationServer
) -> None:
    """A resource that answers 4.04 is reported as refused; contact is still made."""
    sim_server.station.faults.missing = {"energy"}
    observer.start()
    await eventually(lambda: recorder.found != [], 3.0, "contact")
    refused = recorder.of("energy")
    assert len(refused) == 1
    assert isinstance(refused[0], StationRefusedError)
    assert refused[0].code == "4.04"
    await eventually(lambda: len(recorder.of("current")) >= 3, 3.0, "heartbeats")
    assert recorder.responses("energy") == []


async def test_resource_going_missing_is_reported(
    observer: StationObserver, recorder: Recorder, sim_server: StationServer
) -> None:
    """A resource that starts refusing mid-observation is reported; contact stays."""
    observer.start()
    await eventually(lambda: recorder.found != [], 3.0, "contact")
    sim_server.station.faults.missing = {"vehicle"}
    await eventually(
        lambda: any(isinstance(r, StationRefusedError) for r in recorder.of("vehicle")),
        3.0,
        "vehicle refused",
    )
    await asyncio.sleep(0.6)
    assert observer.connected
    assert recorder.lost == []


async def test_no_contact_without_the_heartbeat(
    observer: StationObserver, recorder: Recorder, sim_server: StationServer
) -> None:
    """Without an observable /current there is no contact; when it comes back, there is."""
    sim_server.station.faults.missing = {"current"}
    observer.start()
    await eventually(lambda: bool(recorder.of("current")), 3.0, "refused /current")
    await asyncio.sleep(0.3)
    assert recorder.found == []
    assert not observer.connected
    assert len(recorder.lost) == 1  # reported once, however often it is retried
    sim_server.station.faults.missing = set()
    await eventually(lambda: recorder.found != [], 3.0, "contact")
    assert len(recorder.lost) == 1


@pytest.mark.parametrize("refuse", [False, True], ids=["silent", "port-unreachable"])
async def test_unreachable_at_start_then_found(
    endpoint: CoapEndpoint, recorder: Recorder, sim_server: StationServer, refuse: bool
) -> None:
    """A station that does not answer at start-up is reported once, then retried with back-off."""
    client = CoapStationClient(endpoint, sim_server.host, sim_server.port, timeout=0.3)
    observer = StationObserver(
        client, recorder.on_notification, recorder.on_found, recorder.on_lost, first_backoff=0.1
    )
    await sim_server.freeze(refuse=refuse)
    observer.start()
    try:
        await asyncio.sleep(1.0)
        assert recorder.found == []
        assert len(recorder.lost) == 1
        await sim_server.resume()
        await eventually(lambda: recorder.found != [], 3.0, "contact")
        assert len(recorder.lost) == 1
    finally:
        await observer.stop()


async def test_freeze_loses_contact_and_resume_finds_it_again(
    endpoint: CoapEndpoint, recorder: Recorder, sim_server: StationServer
) -> None:
    """Silence for 2 x Max-Age + 5 s means lost; answering again means found; stop cleans up."""
    client = CoapStationClient(endpoint, sim_server.host, sim_server.port, timeout=0.5)
    observer = StationObserver(
        client, recorder.on_notification, recorder.on_found, recorder.on_lost, first_backoff=0.1
    )
    observer.start()
    await eventually(lambda: recorder.found != [], 3.0, "contact")

    await sim_server.freeze()
    frozen_at = time.monotonic()
    limit = silence_limit(sim_server.station.max_age)
    await eventually(lambda: recorder.lost != [], limit + 2.0, "contact lost")
    lost_after = recorder.lost[0][0] - frozen_at
    # The last heartbeat came at most Max-Age / 2 before the freeze.
    assert limit - sim_server.station.max_age / 2 - 0.2 <= lost_after <= limit + 0.5
    assert recorder.lost[0][1] == "silent for 7 s"
    connected = [observer.connected]
    assert len(recorder.found) == 1

    await sim_server.resume()
    await eventually(lambda: len(recorder.found) == 2, 3.0, "contact again")
    connected.append(observer.connected)
    assert connected == [False, True]
    heartbeats = len(recorder.of("current"))
    await eventually(lambda: len(recorder.of("current")) > heartbeats, 2.0, "heartbeats again")
    assert len(recorder.lost) == 1

    await observer.stop()
    assert observer._task is None
    assert client_tasks() == set()


async def test_stop(
    observer: StationObserver, recorder: Recorder, sim_server: StationServer
) -> None:
    """stop() before start() and twice is harmless; after it, nothing is left running."""
    await observer.stop()
    observer.start()
    await eventually(lambda: recorder.found != [], 3.0, "contact")
    await observer.stop()
    await observer.stop()
    assert client_tasks() == set()
    seen = len(recorder.notifications)
    await asyncio.sleep(0.7)
    assert len(recorder.notifications) == seen


async def test_client_endpoint_shut_down_under_the_observer(
    recorder: Recorder, sim_server: StationServer
) -> None:
    """Shutting the endpoint down mid-observation ends the streams without a crash."""
    closing = await create_endpoint()
    client = CoapStationClient(closing, sim_server.host, sim_server.port, timeout=0.3)
    observer = StationObserver(
        client, recorder.on_notification, recorder.on_found, recorder.on_lost, first_backoff=0.1
    )
    observer.start()
    try:
        await eventually(lambda: recorder.found != [], 3.0, "contact")
        await closing.shutdown()
        seen = len(recorder.notifications)
        await asyncio.sleep(0.7)
        assert len(recorder.notifications) == seen
        assert observer._task is not None
        assert not observer._task.done()
    finally:
        await observer.stop()


class FixedResource(Resource):  # type: ignore[misc]  # aiocoap is untyped
    """A resource that answers GET with a fixed body and cannot be observed."""

    def __init__(self, body: sim.Body, max_age: int | None = None) -> None:
        """Always answer `body`."""
        super().__init__()
        self.body = body
        self.max_age = max_age

    async def render_get(self, request: aiocoap.Message) -> aiocoap.Message:
        """The fixed body, without an Observe option."""
        message = aiocoap.Message(code=aiocoap.CONTENT, payload=self.body.data)
        message.opt.content_format = self.body.content_format
        if self.max_age is not None:
            message.opt.max_age = self.max_age
        return message


@pytest.fixture
async def unobservable_port(loopback: None) -> AsyncIterator[int]:
    """A station whose resources answer GET but offer no observation at all."""
    station = SimulatedStation()
    site = Site()
    site.add_resource(["current"], FixedResource(sim.current_body(station), max_age=1))
    site.add_resource(["energy"], FixedResource(sim.energy_body(station), max_age=1))
    site.add_resource(["vehicle"], FixedResource(sim.vehicle_body(station)))
    site.add_resource(["switch"], FixedResource(sim.switch_body(station)))
    site.add_resource(["regulator"], FixedResource(sim.regulator_body(station)))
    port = free_udp_port()
    server = await aiocoap.Context.create_server_context(
        site, bind=("127.0.0.1", port), transports=["udp6"]
    )
    yield port
    await server.shutdown()
    _cancel_leftover_timers(server)


async def test_heartbeat_that_cannot_be_observed(
    endpoint: CoapEndpoint, recorder: Recorder, unobservable_port: int
) -> None:
    """No heartbeat can come from a /current that answers without Observe: that is no contact.

    Taking it as contact made the watchdog report lost, then found, every 2 x Max-Age + 5 s.
    """
    unobservable = CoapStationClient(endpoint, "127.0.0.1", unobservable_port, timeout=0.5)
    observer = StationObserver(
        unobservable,
        recorder.on_notification,
        recorder.on_found,
        recorder.on_lost,
        first_backoff=0.1,
    )
    observer.start()
    try:
        await asyncio.sleep(0.5)
        assert recorder.found == []
        assert len(recorder.lost) == 1
        assert recorder.lost[0][1].endswith("/current cannot be observed")
        assert observer._task is not None
        assert not observer._task.done()
    finally:
        await observer.stop()
