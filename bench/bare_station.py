"""Bare CoAP stations for the fan-out benchmark: each answers PUT /regulator and nothing else.

A real site's stations are separate devices that answer in parallel; the simulator serves all
of them from one Python process, where aiocoap spends about half a millisecond per answer, so
50 answers queue behind each other and the fan-out's wall time is mostly the simulator's. These
stations answer from a template (the datagram parsed by hand, the setpoint echoed), so that
what remains is the client's own time. Not a station: no observation, no other resource.

Run as a child: ``python -m bench.bare_station N`` prints ``ports ...`` and serves until stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys

HOST = "127.0.0.1"
LIFETIME_S = 900.0
REGULATOR = {"min_ma": 6000, "max_ma": 32000, "max_discharge_ma": 16000, "fallback_ma": 0}


class BareStation(asyncio.DatagramProtocol):
    """Answers a confirmable PUT with a piggybacked 2.04 and the regulator's state."""

    def __init__(self) -> None:
        """Nothing set yet."""
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        if isinstance(transport, asyncio.DatagramTransport):
            self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Echo the setpoint in an ACK (version 1, token as sent, Content-Format 50)."""
        if len(data) < 4 or data[0] >> 4 != 0x4 or self.transport is None:
            return  # not a CON of version 1
        token = data[4 : 4 + (data[0] & 0x0F)]
        marker = data.find(b"\xff", 4 + len(token))
        try:
            body = json.loads(data[marker + 1 :]) if marker > 0 else {}
        except ValueError:
            body = {}
        answer = json.dumps({**REGULATOR, **body}).encode()
        header = bytes((0x60 | len(token), 0x44, data[2], data[3]))  # ACK, 2.04, same id
        self.transport.sendto(header + token + b"\xc1\x32\xff" + answer, addr)


async def serve(count: int) -> None:
    """Serve `count` bare stations on free loopback ports; print `ports ...` when ready."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    transports = []
    ports = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, 0))
        transport, _ = await loop.create_datagram_endpoint(BareStation, sock=sock)
        transports.append(transport)
        ports.append(sock.getsockname()[1])
    sys.stdout.write("ports " + " ".join(map(str, ports)) + "\n")
    sys.stdout.flush()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), LIFETIME_S)
    for transport in transports:
        transport.close()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
