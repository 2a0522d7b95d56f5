"""The central system's server: the upgrade request, authentication, TLS, connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import datetime as dt
import errno
import ipaddress
import logging
from pathlib import Path
import ssl

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.ev_v2g.transport.ocpp import CentralSystem, NotConnectedError
from custom_components.ev_v2g.transport.ocpp.login_throttle import LoginThrottle
from custom_components.ev_v2g.transport.ocpp.model import ChargePointState, OcppVersion
from custom_components.ev_v2g.transport.ocpp.passwords import hash_password
from tests.common import eventually

from .client import PASSWORD, OcppClient, Recorder, http_get, upgrade_headers
from .conftest import ConnectFactory

BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "Wallbox"}


@pytest.mark.parametrize("path", ["/", "/a/b", "/%2F", "/CP1/", "/%FF", "/%0A"])
async def test_path_must_name_one_charge_point(central: CentralSystem, path: str) -> None:
    """An empty id, a slash (also percent-encoded) or an unprintable id is 404."""
    status, _, text = await http_get(central, path, upgrade_headers())
    assert status == 404
    assert "charge point id" in text


async def test_plain_http_is_426(central: CentralSystem) -> None:
    """A request that is no WebSocket upgrade is told to upgrade."""
    status, headers, text = await http_get(central, "/CP1")
    assert status == 426
    assert headers["Upgrade"] == "websocket"
    assert "WebSocket" in text


@pytest.mark.parametrize("protocols", [None, "ocpp1.5", "ocpp2.1, wamp"])
async def test_subprotocol_required(
    central: CentralSystem, recorder: Recorder, protocols: str | None
) -> None:
    """No OCPP subprotocol we speak: 400 before upgrading (and before authentication)."""
    status, _, text = await http_get(central, "/CP1", upgrade_headers(protocols))
    assert status == 400
    assert "ocpp2.0.1 or ocpp1.6" in text
    assert recorder.unknown == []


async def test_both_offered_prefers_201(central: CentralSystem, connect: ConnectFactory) -> None:
    """A charge point offering both versions is served in 2.0.1."""
    client = await connect("CP1", protocols=("ocpp1.6", "ocpp2.0.1"))
    assert client.ws.protocol == "ocpp2.0.1"
    assert central.states["CP1"].version is OcppVersion.V201


async def test_percent_decoded_id(central: CentralSystem) -> None:
    """The id in the path is percent-decoded."""
    central.password_hashes["Garage 1"] = hash_password(PASSWORD)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            f"ws://127.0.0.1:{central.port}/Garage%201",
            protocols=("ocpp1.6",),
            auth=aiohttp.BasicAuth("Garage 1", PASSWORD),
        ) as ws,
    ):
        assert ws.protocol == "ocpp1.6"
        await eventually(lambda: central.connected("Garage 1"))
        assert central.states["Garage 1"].online


@pytest.mark.parametrize(
    "auth",
    [
        None,
        aiohttp.BasicAuth("CP1", "wrong").encode(),
        aiohttp.BasicAuth("CP2", PASSWORD).encode(),
        "Basic %%%",
    ],
)
async def test_wrong_password_is_401(
    central: CentralSystem, caplog: pytest.LogCaptureFixture, auth: str | None
) -> None:
    """Missing, wrong, another id's or garbled credentials: 401 with a Basic challenge."""
    status, headers, _ = await http_get(central, "/CP1", upgrade_headers(auth=auth))
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="ev_v2g"'
    if auth is None:  # a charger's first try, before the challenge: nothing to report
        assert "CP1" not in caplog.text
    else:
        assert "CP1 connecting from 127.0.0.1: wrong password" in caplog.text
    assert not central.connected("CP1")


async def test_wrong_password_log_is_rate_limited(
    central: CentralSystem, caplog: pytest.LogCaptureFixture
) -> None:
    """One warning per charge point and minute; the next one counts those held back."""
    clock = [1000.0]
    central._log.limiter.clock = lambda: clock[0]
    central.login_throttle = LoginThrottle(base_delay_s=0.0)  # no wait: only the log is tested
    bad = upgrade_headers(auth=aiohttp.BasicAuth("CP1", "wrong").encode())
    for _ in range(5):
        assert (await http_get(central, "/CP1", bad))[0] == 401
    bad_cp2 = upgrade_headers(auth=aiohttp.BasicAuth("CP2", "wrong").encode())
    assert (await http_get(central, "/CP2", bad_cp2))[0] == 401
    lines = [r.getMessage() for r in caplog.records if "wrong password" in r.getMessage()]
    assert len(lines) == 2  # CP1 once, CP2 once
    clock[0] += 61
    assert (await http_get(central, "/CP1", bad))[0] == 401
    assert "(4 similar messages suppressed)" in caplog.records[-1].getMessage()


async def test_unknown_id(central: CentralSystem, recorder: Recorder) -> None:
    """An unknown id gets 401 and is reported to the listener, at most once a minute."""
    clock = [1000.0]
    central._unknown.clock = lambda: clock[0]
    headers = upgrade_headers(auth=aiohttp.BasicAuth("NEW", "x").encode())
    for _ in range(3):
        status, response_headers, _ = await http_get(central, "/NEW", headers)
        assert status == 401
        assert "WWW-Authenticate" in response_headers
    assert recorder.unknown == ["NEW"]
    clock[0] += 61
    await http_get(central, "/NEW", headers)
    assert recorder.unknown == ["NEW", "NEW"]
    assert "NEW" not in central.states


async def test_unknown_id_listener_failure_is_logged(
    central: CentralSystem, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener that raises does not turn the 401 into a 500."""

    class Broken(Recorder):
        def unknown_charge_point(self, charge_point_id: str) -> None:
            raise RuntimeError("boom")

    central.listener = Broken()
    status, _, _ = await http_get(central, "/NEW", upgrade_headers())
    assert status == 401
    assert "Listener failed on unknown charge point NEW" in caplog.text


async def test_unknown_id_without_listener(central: CentralSystem) -> None:
    """No listener (the site reloading): still a plain 401."""
    central.listener = None
    assert (await http_get(central, "/NEW", upgrade_headers()))[0] == 401


async def test_online_offline(
    central: CentralSystem, recorder: Recorder, connect: ConnectFactory
) -> None:
    """Connecting sets online and the version; closing clears online; both are told."""
    client = await connect("CP1")
    state = central.states["CP1"]
    assert state.online
    assert state.version is OcppVersion.V16
    assert central.connected("CP1")
    assert recorder.changes == [("CP1", None)]
    await client.close()
    await eventually(lambda: not state.online)
    assert recorder.changes == [("CP1", None), ("CP1", None)]
    assert not central.connected("CP1")
    with pytest.raises(NotConnectedError):
        central.charge_point("CP1")


async def test_second_connection_replaces_first(
    central: CentralSystem, recorder: Recorder, connect: ConnectFactory
) -> None:
    """The same id again: the old socket is closed, the state object kept, the new one serves."""
    first = await connect("CP1")
    await first.result("BootNotification", BOOT_16)
    state = central.states["CP1"]
    second = await connect("CP1", protocols=("ocpp2.0.1",))
    await eventually(lambda: first.ws.closed)
    assert first.ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION
    assert central.states["CP1"] is state
    assert state.online
    assert state.version is OcppVersion.V201
    assert state.info.vendor == "Acme"
    result = await second.result("Heartbeat", {})
    assert "currentTime" in result
    await asyncio.sleep(0.05)
    assert state.online  # the old connection's end did not take the new one offline


async def test_silent_connection_goes_offline(
    central: CentralSystem,
    recorder: Recorder,
    connect: ConnectFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing received for offline_after: closed, offline, told; any frame counts as life."""
    central.offline_after = 0.3
    client = await connect("CP1")
    state = central.states["CP1"]
    for _ in range(4):  # frames keep it alive past offline_after
        await asyncio.sleep(0.15)
        await client.ws.ping()
    assert state.online
    await eventually(lambda: not state.online, within=2)
    assert recorder.changes[-1] == ("CP1", None)
    assert "CP1 sent nothing for 0.3 s: closing its connection" in caplog.text
    await eventually(lambda: client.ws.closed)


async def test_stop_closes_connections(central: CentralSystem, connect: ConnectFactory) -> None:
    """Stopping says going away to every charge point and frees the port."""
    client = await connect("CP1")
    port = central.port
    await central.stop()
    await eventually(lambda: client.ws.closed)
    assert client.ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
    assert not central.states["CP1"].online
    again = CentralSystem(port=port, host="127.0.0.1")
    await again.start()
    assert again.port == port
    await again.stop()


async def test_port_in_use(central: CentralSystem) -> None:
    """A taken port raises OSError EADDRINUSE from start."""
    other = CentralSystem(port=central.port, host="127.0.0.1")
    with pytest.raises(OSError) as err:  # noqa: PT011
        await other.start()
    assert err.value.errno == errno.EADDRINUSE
    assert other.port == central.port


async def test_without_listener_state_is_kept(
    central: CentralSystem, connect: ConnectFactory
) -> None:
    """With no listener the charge point is served normally and its state kept."""
    central.listener = None
    client = await connect("CP1")
    await client.result("BootNotification", BOOT_16)
    assert central.states["CP1"].booted


async def test_prefilled_state_is_used(central: CentralSystem, connect: ConnectFactory) -> None:
    """The site may fill ``states`` before the charge point connects."""
    state = ChargePointState(id="CP1")
    central.states["CP1"] = state
    await connect("CP1")
    assert central.states["CP1"] is state
    assert state.online


async def test_listener_failure_does_not_break_connection(
    central: CentralSystem, connect: ConnectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener raising is logged; the charge point still gets its answer."""

    class Broken(Recorder):
        def charge_point_changed(self, state: ChargePointState, connector: int | None) -> None:
            raise RuntimeError("boom")

    central.listener = Broken()
    client = await connect("CP1")
    assert (await client.result("BootNotification", BOOT_16))["status"] == "Accepted"
    assert "Listener failed on a change of CP1" in caplog.text


# TLS (security profile 2) -------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path, bytes]:
    """A certificate for 127.0.0.1 and its key, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ev_v2g test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_file = directory / "cert.pem"
    key_file = directory / "key.pem"
    cert_file.write_bytes(pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file, pem


@pytest.fixture
async def tls_central(
    loopback: None, tmp_path: Path
) -> AsyncIterator[tuple[CentralSystem, ssl.SSLContext]]:
    """A central system over TLS, and a client context that trusts its certificate."""
    cert_file, key_file, pem = self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    system = CentralSystem(port=0, host="127.0.0.1", ssl_context=server_context, call_timeout=1.0)
    system.password_hashes = {"CP1": hash_password(PASSWORD)}
    await system.start()
    client_context = ssl.create_default_context(cadata=pem.decode())
    yield system, client_context
    await system.stop()


async def test_tls_profile_2(tls_central: tuple[CentralSystem, ssl.SSLContext]) -> None:
    """wss:// with Basic authentication; the password is checked as over plain ws://."""
    central, client_context = tls_central
    client = await OcppClient.connect(central, "CP1", ssl=client_context, scheme="wss")
    try:
        assert (await client.result("BootNotification", BOOT_16))["status"] == "Accepted"
    finally:
        await client.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as err:
        await OcppClient.connect(central, "CP1", password="wrong", ssl=client_context, scheme="wss")
    assert err.value.status == 401


async def test_plain_client_cannot_talk_to_tls(
    tls_central: tuple[CentralSystem, ssl.SSLContext], caplog: pytest.LogCaptureFixture
) -> None:
    """A ws:// client gets no OCPP from a TLS central system."""
    central, _ = tls_central
    caplog.set_level(logging.CRITICAL)
    with pytest.raises(aiohttp.ClientError):
        await OcppClient.connect(central, "CP1")
