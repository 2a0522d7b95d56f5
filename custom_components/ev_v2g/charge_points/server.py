"""The OCPP central system of a site: started with the site entry, kept through its reloads.

A site reloads when one of its stations or residents changes (accepting a new charge point is
one). Closing the listener then would drop every charge point's connection for one charger's
settings change, so a reload keeps the central system running for a short grace period and the
site takes it back, with its connections and their state, when it is set up again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import errno
import ssl

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, OCPP_CALL_TIMEOUT, OCPP_HEARTBEAT_INTERVAL, OCPP_RELOAD_GRACE
from ..transport.ocpp.central import CentralSystem


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """Where a site's central system listens."""

    port: int
    host: str | None = None  # None: every address of this machine
    certfile: str | None = None
    keyfile: str | None = None


@dataclass(kw_only=True)
class _Held:
    central: CentralSystem
    endpoint: Endpoint
    closing: asyncio.TimerHandle | None = None


_HELD: HassKey[dict[str, _Held]] = HassKey(f"{DOMAIN}_ocpp_central")


def port_issue_id(entry_id: str) -> str:
    """The repair issue raised when a site's OCPP port is taken."""
    return f"ocpp_port_in_use_{entry_id}"


async def async_acquire(
    hass: HomeAssistant, entry_id: str, site: str, endpoint: Endpoint
) -> CentralSystem:
    """The site's running central system: the one kept through a reload, or a new one.

    Raises ConfigEntryNotReady (translated) when the port is taken or the certificate is bad;
    a taken port also raises a repair issue, removed once the port could be bound.
    """
    held = hass.data.setdefault(_HELD, {})
    if (kept := held.get(entry_id)) is not None:
        if kept.closing is not None:
            kept.closing.cancel()
            kept.closing = None
        if kept.endpoint == endpoint:
            return kept.central
        del held[entry_id]
        await kept.central.stop()
    context = None
    if endpoint.certfile and endpoint.keyfile:
        context = await hass.async_add_executor_job(
            _server_context, endpoint.certfile, endpoint.keyfile
        )
    central = CentralSystem(
        port=endpoint.port,
        host=endpoint.host,
        ssl_context=context,
        heartbeat_interval=OCPP_HEARTBEAT_INTERVAL,
        call_timeout=OCPP_CALL_TIMEOUT,
    )
    try:
        await central.start()
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            raise _not_ready("ocpp_unavailable", error=str(err)) from err
        ir.async_create_issue(
            hass,
            DOMAIN,
            port_issue_id(entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="ocpp_port_in_use",
            translation_placeholders={"site": site, "port": str(endpoint.port)},
        )
        raise _not_ready("ocpp_port_in_use", port=str(endpoint.port)) from err
    ir.async_delete_issue(hass, DOMAIN, port_issue_id(entry_id))
    held[entry_id] = _Held(central=central, endpoint=endpoint)
    return central


async def async_release(hass: HomeAssistant, entry_id: str, *, reloading: bool) -> None:
    """Stop the site's central system now, or, at a reload, unless the site takes it back soon."""
    held = hass.data.get(_HELD, {})
    if (kept := held.get(entry_id)) is None:
        return
    kept.central.listener = None
    if not reloading:
        del held[entry_id]
        await kept.central.stop()
        return

    def _close() -> None:
        if held.get(entry_id) is kept:
            del held[entry_id]
            hass.async_create_background_task(kept.central.stop(), "ev_v2g OCPP stop")

    kept.closing = hass.loop.call_later(OCPP_RELOAD_GRACE, _close)


def _server_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """Security profile 2: TLS with the configured certificate (blocking: file reads)."""
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as err:
        raise _not_ready("ocpp_certificate", error=str(err)) from err
    return context


def _not_ready(key: str, **placeholders: str) -> ConfigEntryNotReady:
    return ConfigEntryNotReady(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
