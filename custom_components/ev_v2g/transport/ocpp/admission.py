"""Who may open an OCPP WebSocket: the checks of an upgrade request, in order.

Method, path (one charge point id), Upgrade header, subprotocol, then the password, which
wrong guesses make expensive (``LoginThrottle``). Each refusal is the HTTP answer to send.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Protocol

from aiohttp import hdrs, web

from ..ratelimit import RateLimitedLog, RateLimiter
from .auth import basic_auth_matches, charge_point_id, choose_subprotocol
from .login_throttle import LoginThrottle
from .model import OcppVersion
from .record import CentralSystemListener

_LOGGER = logging.getLogger(__name__)

_UNAUTHORIZED_HEADERS = {hdrs.WWW_AUTHENTICATE: 'Basic realm="ev_v2g"'}


class Door(Protocol):
    """What admission needs of the central system."""

    password_hashes: dict[str, str]
    login_throttle: LoginThrottle
    listener: CentralSystemListener | None


async def admit(
    central: Door, request: web.BaseRequest, log: RateLimitedLog, unknown: RateLimiter
) -> tuple[str, OcppVersion] | web.Response:
    """The charge point and version of a request that may be served, else its refusal."""
    if request.method != hdrs.METH_GET:
        return web.Response(status=405, text="Only GET upgrades to OCPP.\n")
    identity = charge_point_id(request.rel_url.raw_path)
    if identity is None:
        return web.Response(status=404, text="The path must be /<charge point id>.\n")
    if request.headers.get(hdrs.UPGRADE, "").lower() != "websocket":
        return web.Response(
            status=426,
            text="This is an OCPP central system: connect with a WebSocket.\n",
            headers={hdrs.UPGRADE: "websocket", hdrs.CONNECTION: "Upgrade"},
        )
    version = choose_subprotocol(request.headers.get(hdrs.SEC_WEBSOCKET_PROTOCOL))
    if version is None:
        return web.Response(
            status=400, text="Offer the WebSocket subprotocol ocpp2.0.1 or ocpp1.6.\n"
        )
    refusal = await _authenticate(central, request, identity, log, unknown)
    return (identity, version) if refusal is None else refusal


async def _authenticate(
    central: Door,
    request: web.BaseRequest,
    identity: str,
    log: RateLimitedLog,
    unknown: RateLimiter,
) -> web.Response | None:
    """None when the request carries the charge point's password, else the answer.

    Wrong passwords cost time (``LoginThrottle``): an address waits before its next try
    is checked (429), is locked out after too many (403), and each wrong answer for an
    id guessed at again is held back.
    """
    address = request.remote or "unknown"
    throttle = central.login_throttle
    if throttle.locked_out(address):
        log.warning(
            (address, "locked"),
            "%s is locked out of the OCPP port for wrong passwords (it tried %s)",
            address,
            identity,
        )
        return web.Response(status=403, text="Locked out: too many wrong passwords.\n")
    if (wait_s := throttle.wait_s(address)) > 0:
        return web.Response(
            status=429,
            text="Too many wrong passwords: wait.\n",
            headers={hdrs.RETRY_AFTER: str(math.ceil(wait_s))},
        )
    password_hash = central.password_hashes.get(identity)
    if password_hash is None:
        if unknown.allow(identity) is not None:
            log.log(
                logging.INFO,
                (address, "unknown"),
                "Unknown charge point %.64s tried to connect from %s",
                identity,
                address,
            )
            if central.listener is not None:
                try:
                    central.listener.unknown_charge_point(identity)
                except Exception:
                    _LOGGER.exception("Listener failed on unknown charge point %s", identity)
    elif basic_auth_matches(request.headers.get(hdrs.AUTHORIZATION), identity, password_hash):
        throttle.succeeded(address, identity)
        return None
    elif request.headers.get(hdrs.AUTHORIZATION) is None:
        pass  # a charger's first try without credentials (it retries with them on 401)
    else:
        log.warning(
            (identity, "auth"),
            "Charge point %s connecting from %s: wrong password",
            identity,
            address,
        )
        hold_s = throttle.failed(address, identity)
        if throttle.locked_out(address) and central.listener is not None:
            try:
                central.listener.login_locked_out(identity, address)
            except Exception:
                _LOGGER.exception("Listener failed on the lockout of %s", address)
        await asyncio.sleep(hold_s)
    return web.Response(status=401, text="Unauthorized.\n", headers=_UNAUTHORIZED_HEADERS)
