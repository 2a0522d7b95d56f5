"""The CoAP client context of Home Assistant's sites: one, kept until Home Assistant closes.

A site that unloads (a reload, a changed station) cancels its observations, but the stations
still notify the port they were made from. While the context lives, those notifications get a
reset (RFC 7641, section 3.6) and the station forgets the stale observation at once. A context
closed with the site would leave that port closed instead: the station then reads an ICMP
"port unreachable", and an aiocoap station blames it on whatever it sends next (the new
observations of the site set up again) and drops those.
"""

from __future__ import annotations

import asyncio

import aiocoap
from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .transport.coap.client import create_context

_CONTEXT: HassKey[asyncio.Future[aiocoap.Context]] = HassKey(f"{DOMAIN}_coap_context")


async def async_coap_context(hass: HomeAssistant) -> aiocoap.Context:
    """The shared client context, created at first use; raises OSError when it cannot bind."""
    if (made := hass.data.get(_CONTEXT)) is not None:
        return await asyncio.shield(made)
    made = hass.data[_CONTEXT] = hass.loop.create_future()
    try:
        context = await create_context()
    except BaseException as err:
        del hass.data[_CONTEXT]
        made.set_exception(err)
        made.exception()  # read: nobody else may be waiting
        raise

    async def close(_: Event) -> None:
        if hass.data.get(_CONTEXT) is made:
            del hass.data[_CONTEXT]
            await context.shutdown()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, close)
    made.set_result(context)
    return context
