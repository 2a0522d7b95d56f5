"""The endpoint's UDP socket and the addresses it sends to.

One dual-stack IPv6 socket reaches IPv4 stations at their IPv4-mapped address; where IPv6 is
off (or the socket is bound to an IPv4 address) a plain IPv4 socket is used. An address literal
is taken as it is; only a name is looked up (in the loop's resolver thread).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

type Remote = tuple[Any, ...]
"""A socket address as the endpoint's socket takes it."""


def client_socket(host: str | None) -> socket.socket:
    """A non-blocking UDP socket on an ephemeral port: dual-stack IPv6 where it can be."""
    wanted = None if host is None else family_of(host)
    for family in (socket.AF_INET6, socket.AF_INET):
        if wanted not in {None, family}:
            continue
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError:
            continue  # no IPv6 on this host
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((host or "", 0))
            sock.setblocking(False)
        except OSError:
            sock.close()
            if family == socket.AF_INET6 and wanted is None:
                continue
            raise
        return sock
    raise OSError("no UDP socket could be opened")


async def resolve(loop: asyncio.AbstractEventLoop, family: int, host: str, port: int) -> Remote:
    """The address of host:port for a socket of `family` (OSError when there is none)."""
    literal = host.strip("[]")
    try:
        address = ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        lookup = socket.AF_UNSPEC if family == socket.AF_INET6 else socket.AF_INET
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM, family=lookup)
        if not infos:
            raise OSError(f"{host} has no address") from None
        found, _, _, _, sockaddr = infos[0]
        if found == socket.AF_INET:
            return _ipv4(family, str(sockaddr[0]), port)
        return tuple(sockaddr)
    if address.version == 4:
        return _ipv4(family, str(address), port)
    if family != socket.AF_INET6:
        raise OSError(f"{host}: IPv6 is not available on this host")
    if "%" in literal:  # a link-local address with its zone
        infos = await loop.getaddrinfo(literal, port, type=socket.SOCK_DGRAM)
        return tuple(infos[0][4])
    return (str(address), port, 0, 0)


def _ipv4(family: int, host: str, port: int) -> Remote:
    if family == socket.AF_INET6:
        return (f"::ffff:{host}", port, 0, 0)
    return (host, port)


def same_remote(remote: Remote | None, addr: Remote) -> bool:
    """Whether a datagram came from where a message was sent (host and port)."""
    if remote is None or remote[1] != addr[1]:
        return False
    if remote[0] == addr[0]:
        return True
    try:
        return ipaddress.ip_address(remote[0]) == ipaddress.ip_address(addr[0])
    except ValueError:
        return False


def family_of(host: str) -> int | None:
    """AF_INET or AF_INET6 for an address literal; None for a name."""
    try:
        version = ipaddress.ip_address(host).version
    except ValueError:
        return None
    return socket.AF_INET if version == 4 else socket.AF_INET6
