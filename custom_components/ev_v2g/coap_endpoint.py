"""The CoAP endpoint of Home Assistant's sites: one, kept until Home Assistant closes.

A site that unloads (a reload, a changed station) cancels its observations, but the stations
still notify the port they were made from. While the endpoint lives, those notifications get a
reset (RFC 7641, section 3.6) and the station forgets the stale observation at once. A socket
closed with the site would leave that port closed instead: the station then reads an ICMP
"port unreachable", and some stations blame it on whatever they send next (the new
observations of the site set up again) and drop those.
"""

from __future__ import annotations

import asyncio

from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN
from .transport.coap.client import create_endpoint
from .transport.coap.endpoint import CoapEndpoint

_ENDPOINT: HassKey[asyncio.Future[CoapEndpoint]] = HassKey(f"{DOMAIN}_coap_endpoint")


async def async_coap_endpoint(hass: HomeAssistant) -> CoapEndpoint:
    """The shared endpoint, opened at first use; raises OSError when it cannot bind."""
    if (made := hass.data.get(_ENDPOINT)) is not None:
        return await asyncio.shield(made)
    made = hass.data[_ENDPOINT] = hass.loop.create_future()
    try:
        endpoint = await create_endpoint()
    except BaseException as err:
        del hass.data[_ENDPOINT]
        made.set_exception(err)
        made.exception()  # read: nobody else may be waiting
        raise

    async def close(_: Event) -> None:
        if hass.data.get(_ENDPOINT) is made:
            del hass.data[_ENDPOINT]
            await endpoint.shutdown()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, close)
    made.set_result(endpoint)
    return endpoint
