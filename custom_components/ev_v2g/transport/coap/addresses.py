"""Which CoAP stations are one: a host's addresses, resolved and written one way.

`localhost`, `127.0.0.1`, `::ffff:127.0.0.1` and `[::1]` name stations a user may add twice;
two entries that share an address and a port are the same station.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

RESOLVE_TIMEOUT = 3.0


def normal_host(host: str) -> str:
    """A host as one spelling: brackets and zone dropped, IPv4-mapped IPv6 as IPv4, names lower."""
    host = host.strip().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return host.lower().rstrip(".")
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


async def host_addresses(host: str) -> frozenset[str]:
    """The addresses `host` resolves to, each in its normal spelling.

    A host that does not resolve (in `RESOLVE_TIMEOUT` seconds) stands for itself.
    """
    host = normal_host(host)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return frozenset({host})
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError, TimeoutError):
        return frozenset({host})
    return frozenset(normal_host(str(info[4][0])) for info in infos) or frozenset({host})
