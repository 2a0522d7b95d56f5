"""The OCPP central system: a WebSocket server charge points connect to.

One aiohttp server on its own port; every charge point connects to ``/<its id>`` with
subprotocol ``ocpp1.6`` or ``ocpp2.0.1`` and HTTP Basic authentication (security profile 1, over
TLS when a certificate is given: profile 2). Each connection is its own task and handles its
frames in order. What the charge points report is kept in ``states`` across reconnects and
the site's reloads; the listener hears of every change, once per connector and message.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import time

from aiohttp import WSCloseCode, web

from ..ratelimit import RateLimitedLog, RateLimiter
from .admission import admit
from .commands import ChargePointCommands
from .commands_v16 import V16Commands
from .commands_v201 import V201Commands
from .connection import OcppConnection
from .errors import NotConnectedError
from .frames import MAX_FRAME_BYTES
from .guard import HANDSHAKE_TIMEOUT, GuardedServer
from .lib import load_validators
from .login_throttle import LoginThrottle
from .model import ChargePointState, OcppVersion
from .record import CentralSystemListener, ChargePointRecord
from .v16 import V16Connection
from .v201 import V201Connection

_LOGGER = logging.getLogger(__name__)

ID_EPOCH = 1_735_689_600
"""2025-01-01 UTC: transaction ids count seconds from here, so they grow across restarts."""

_CONNECTIONS: dict[OcppVersion, type[OcppConnection]] = {
    OcppVersion.V16: V16Connection,
    OcppVersion.V201: V201Connection,
}
_COMMANDS: dict[OcppVersion, type[ChargePointCommands]] = {
    OcppVersion.V16: V16Commands,
    OcppVersion.V201: V201Commands,
}


def new_site_tag() -> str:
    """A secret id tag for one site: 19 characters (OCPP id tags hold 20)."""
    return "EVV2G" + secrets.token_hex(7).upper()


class CentralSystem:
    """The OCPP 1.6J / 2.0.1 central system of a site.

    Attributes:
        listener: hears of changes; may be None for a while (the site reloading): the
            central system keeps serving and keeping state.
        password_hashes: charge point id -> its password's hash (``passwords.hash_password``);
            an id not in here is unknown and refused.
        accepted_tags: the id tags answered Accepted, casefolded (OCPP id tags are case-insensitive); any other is Invalid.
        states: charge point id -> what we know of it, kept across reconnects; the site may
            fill it (restored transactions) before ``start``.
        last_transaction_id: the last 1.6 transaction id issued; the site persists it.
    """

    def __init__(
        self,
        *,
        port: int = 9000,
        host: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        heartbeat_interval: int = 60,
        call_timeout: float = 10.0,
        offline_after: float | None = None,
        login_throttle: LoginThrottle | None = None,
    ) -> None:
        """Configure the server; ``start`` binds it.

        Args:
            port: TCP port (0: any free one, see ``port``).
            host: address to bind, None for all.
            ssl_context: server TLS context (security profile 2), None for plain ws://.
            heartbeat_interval: the interval given in the BootNotification answer, seconds.
            call_timeout: how long a command waits for the charge point's answer, seconds.
            offline_after: silence after which a connection is closed and the charge point
                offline; 2 x heartbeat_interval by default.
            login_throttle: what wrong passwords cost (``LoginThrottle()`` by default).
        """
        self.listener: CentralSystemListener | None = None
        self.password_hashes: dict[str, str] = {}
        self.accepted_tags: frozenset[str] = frozenset()
        self.connector_counts: dict[str, int] = {}
        """Charge point id -> its configured connectors; others it reports are not kept."""
        self.site_tag = new_site_tag()
        """The id tag of remote starts for nobody's tag (an administrator's, an automation's):
        this site's own secret, never one tag that every site accepts."""
        self.states: dict[str, ChargePointState] = {}
        self.last_transaction_id = 0
        self.heartbeat_interval = heartbeat_interval
        self.call_timeout = call_timeout
        self.offline_after = offline_after or 2.0 * heartbeat_interval
        self._port = port
        self._host = host
        self._ssl_context = ssl_context
        self._last_remote_start_id = 0
        self._records: dict[str, ChargePointRecord] = {}
        self._connections: dict[str, OcppConnection] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.login_throttle = login_throttle or LoginThrottle()
        self.server = GuardedServer(self._handle, access_log=None)
        """The HTTP server: what it holds pending, refused and timed out."""
        self._runner: web.ServerRunner | None = None
        self._listening: asyncio.Server | None = None
        self._log = RateLimitedLog(_LOGGER)
        self._unknown = RateLimiter()

    @property
    def port(self) -> int:
        """The TCP port the server is bound to (the configured one before ``start``)."""
        if self._listening is not None and self._listening.sockets:
            return int(self._listening.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Bind and serve.

        Raises:
            OSError: the port cannot be bound (errno EADDRINUSE when it is taken).
        """
        # Read the OCPP schemas now, off the event loop: frames are then checked inline.
        await asyncio.get_running_loop().run_in_executor(None, load_validators)
        runner = web.ServerRunner(
            self.server, handle_signals=False, shutdown_timeout=self.call_timeout
        )
        await runner.setup()
        try:
            self._listening = await asyncio.get_running_loop().create_server(
                self.server,
                self._host,
                self._port,
                ssl=self._ssl_context,
                ssl_handshake_timeout=HANDSHAKE_TIMEOUT if self._ssl_context else None,
                reuse_address=True,
            )
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        """Close every connection (going away) and the listening socket."""
        await asyncio.gather(
            *(
                connection.close(WSCloseCode.GOING_AWAY, b"central system stopping")
                for connection in list(self._connections.values())
            ),
            *self._closing,
            return_exceptions=True,
        )
        if self._listening is not None:
            self._listening.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._listening is not None:
            await self._listening.wait_closed()
            self._listening = None

    def connected(self, charge_point_id: str) -> bool:
        """Whether a charge point has an open connection."""
        connection = self._connections.get(charge_point_id)
        return connection is not None and not connection.closed

    async def disconnect(self, charge_point_id: str, reason: str) -> None:
        """Close a charge point's connection (it is no longer enrolled, or its password changed)."""
        if (connection := self._connections.get(charge_point_id)) is not None:
            await connection.close(WSCloseCode.POLICY_VIOLATION, reason.encode())

    def charge_point(self, charge_point_id: str) -> ChargePointCommands:
        """Commands to a connected charge point, in its version.

        Raises:
            NotConnectedError: it has no open connection.
        """
        connection = self._connections.get(charge_point_id)
        if connection is None or connection.closed:
            raise NotConnectedError(f"{charge_point_id} is not connected")
        return _COMMANDS[connection.version](connection)

    def issue_transaction_id(self) -> int:
        """A new 1.6 transaction id: above the last one and the seconds since ID_EPOCH."""
        self.last_transaction_id = max(self.last_transaction_id + 1, int(time.time()) - ID_EPOCH)
        return self.last_transaction_id

    def issue_remote_start_id(self) -> int:
        """A new remoteStartId, by the same rule as transaction ids."""
        self._last_remote_start_id = max(
            self._last_remote_start_id + 1, int(time.time()) - ID_EPOCH
        )
        return self._last_remote_start_id

    # The upgrade request ----------------------------------------------------------------------

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Check an upgrade request, then serve the WebSocket until it closes."""
        self.server.request_arrived(request)
        admitted = await admit(self, request, self._log, self._unknown)
        if isinstance(admitted, web.Response):
            admitted.force_close()  # a stranger does not keep the connection for another try
            return admitted
        self.server.authenticated(request)
        identity, version = admitted
        ws = web.WebSocketResponse(
            protocols=(version.value,),
            timeout=min(self.call_timeout, 5.0),
            max_msg_size=MAX_FRAME_BYTES,
        )
        await ws.prepare(request)
        await self._serve(identity, version, ws)
        return ws

    def unlock(self, address: str) -> None:
        """Let an address locked out for wrong passwords try again now."""
        self.login_throttle.unlock(address)

    async def _serve(self, identity: str, version: OcppVersion, ws: web.WebSocketResponse) -> None:
        """Serve a charge point's new connection, replacing an older one."""
        state = self.states.get(identity)
        if state is None:
            state = self.states[identity] = ChargePointState(id=identity)
        record = self._records.get(identity)
        if record is None:
            record = self._records[identity] = ChargePointRecord(self, state, self._log)
        record.state = state
        connection = _CONNECTIONS[version](
            record,
            ws,
            call_timeout=self.call_timeout,
            offline_after=self.offline_after,
            heartbeat_interval=self.heartbeat_interval,
            log=self._log,
        )
        previous = self._connections.get(identity)
        self._connections[identity] = connection
        if previous is not None:
            _LOGGER.info("Charge point %s connected again: closing its older connection", identity)
            task = asyncio.create_task(
                previous.close(WSCloseCode.POLICY_VIOLATION, b"replaced by a new connection")
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        state.version = version
        state.online = True
        state.heard.clear()  # what the connectors did while away is told anew
        record.mark(None)
        record.flush()
        try:
            await connection.serve()
        finally:
            if self._connections.get(identity) is connection:
                del self._connections[identity]
                state.online = False
                record.mark(None)
                record.flush()
