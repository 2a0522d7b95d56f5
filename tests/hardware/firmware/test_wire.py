"""The firmware's CoAP layer byte by byte: pings, resets, duplicates, options, observer upkeep.

A bare UDP socket sends hand-made datagrams, so nothing a client library smooths over is hidden.
"""

from __future__ import annotations

import asyncio
import socket

from hardware.firmware.app import Firmware
from hardware.firmware.hal_sim import SimulatedHal
from tests.common import eventually


class RawPeer:
    """A bare UDP socket speaking hand-made datagrams to the firmware (blocking, in a thread)."""

    def __init__(self, port: int) -> None:
        """Open a socket for talking to `port` on loopback."""
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(1.0)

    def _exchange(self, datagram: bytes) -> bytes:
        if datagram:
            self.sock.sendto(datagram, ("127.0.0.1", self.port))
        return self.sock.recvfrom(2048)[0]

    async def exchange(self, datagram: bytes) -> bytes:
        """Send a datagram (unless empty) and return the next datagram that comes back."""
        return await asyncio.to_thread(self._exchange, datagram)

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


async def _raw_async(datagram: bytes, port: int) -> bytes:
    peer = RawPeer(port)
    try:
        return await peer.exchange(datagram)
    finally:
        peer.close()


async def test_ping_and_malformed_messages_get_reset(firmware: Firmware) -> None:
    """An empty CON is a ping (RST back); a broken CON is rejected with RST, same message id."""
    port = firmware.settings["port"]
    reply = await _raw_async(bytes([0x40, 0x00, 0x12, 0x34]), port)
    assert reply == bytes([0x70, 0x00, 0x12, 0x34])
    broken = bytes([0x40, 0x01, 0x00, 0x07, 0xFF])  # payload marker with no payload
    assert await _raw_async(broken, port) == bytes([0x70, 0x00, 0x00, 0x07])


async def test_duplicate_request_gets_the_same_answer_once_executed(
    firmware: Firmware, hal: SimulatedHal
) -> None:
    """A retransmitted CON PUT is answered from the cache, not executed twice."""
    port = firmware.settings["port"]
    # CON PUT /switch, mid 0x0101, token 0xAB, Uri-Path "switch", payload "on"
    request = bytes([0x41, 0x03, 0x01, 0x01, 0xAB, 0xB6]) + b"switch" + b"\xffon"
    peer = RawPeer(port)
    try:
        first = await peer.exchange(request)
        firmware.station.set_switch(False)
        second = await peer.exchange(request)
    finally:
        peer.close()
    assert first == second
    assert first[:2] == bytes([0x61, 0x44])  # ACK, 2.04 Changed
    assert not firmware.station.switch_on


async def test_unknown_critical_option_is_bad_option(firmware: Firmware) -> None:
    """A critical option the server does not know (here 2049) answers 4.02."""
    port = firmware.settings["port"]
    request = bytes([0x40, 0x01, 0x00, 0x09, 0xB6]) + b"switch" + bytes([0xE0, 0x06, 0xE9])
    reply = await _raw_async(request, port)
    assert reply[1] == 0x82


OBSERVE_CURRENT = bytes([0x42, 0x01, 0x02, 0x02, 0xC0, 0xDE, 0x60, 0x57]) + b"current"
"""CON GET /current with token C0DE and Observe: 0 (option 6, then Uri-Path as delta 5)."""


async def test_silent_observer_is_dropped_after_retransmissions(firmware: Firmware) -> None:
    """A client that never ACKs a notification loses its observation (RFC 7641 4.5)."""
    firmware.server.observers.ack_timeout_ms = 10
    peer = RawPeer(firmware.settings["port"])
    try:
        registered = await peer.exchange(OBSERVE_CURRENT)
        assert registered[:2] == bytes([0x62, 0x45])  # ACK, 2.05, token length 2
        first = await peer.exchange(b"")  # the next datagram: a CON notification
        assert first[0] >> 4 & 0x03 == 0  # confirmable
        assert len(firmware.server.observers.observations) == 1
        await eventually(lambda: not firmware.server.observers.observations, within=3)
        assert any("gave no ACK" in line for line in firmware.hal.logs)
    finally:
        peer.close()


async def test_reset_ends_an_observation(firmware: Firmware) -> None:
    """An RST to a notification forgets the observer at once."""
    peer = RawPeer(firmware.settings["port"])
    try:
        await peer.exchange(OBSERVE_CURRENT)
        notification = await peer.exchange(b"")
        reset = bytes([0x70, 0x00]) + notification[2:4]
        await asyncio.to_thread(peer.sock.sendto, reset, ("127.0.0.1", peer.port))
        await eventually(lambda: not firmware.server.observers.observations, within=1)
    finally:
        peer.close()
