"""A small CoAP server over one UDP socket, polled from asyncio (the same code on both Pythons).

Answers confirmable requests with piggybacked ACKs, answers duplicates from a short cache,
registers observers, and tells the station whenever its controller is heard from.
"""

import asyncio
import random

from . import coap
from .observe import Observers

EXCHANGE_LIFETIME_MS = 247000
RECENT_ANSWERS = 24
POLL_S = 0.005
MAX_DATAGRAM = 1152
WRITES = (coap.PUT, coap.POST)


def host_of(address):
    """The sender's IP as text; IPv4-mapped IPv6 addresses become plain IPv4."""
    host = address[0]
    if isinstance(host, str) and host.startswith("::ffff:"):
        return host[7:]
    return host


class CoapServer:
    """Serves a Site; feeds the station's watchdog with every message heard."""

    def __init__(self, hal, site, ack_timeout_ms=None):
        """Serve `site` once `open()` has bound a socket."""
        self.hal = hal
        self.site = site
        self.station = site.station
        self.sock = None
        self._mid = random.getrandbits(16)
        self._recent = []
        self.running = False
        if ack_timeout_ms is None:
            self.observers = Observers(hal, self.send, self.next_mid)
        else:
            self.observers = Observers(hal, self.send, self.next_mid, ack_timeout_ms)

    def open(self, host, port):
        """Bind the UDP socket."""
        self.sock = self.hal.udp_socket(host, port)

    def close(self):
        """Release the socket; observers are forgotten, as after a reboot."""
        self.running = False
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.observers.observations = []

    def next_mid(self):
        """A fresh message id."""
        self._mid = (self._mid + 1) & 0xFFFF
        return self._mid

    def send(self, datagram, address):
        """Send one datagram; a failing send is logged, never raised into the loop."""
        try:
            self.sock.sendto(datagram, address)
        except OSError as err:
            self.hal.log("coap: send to %s failed: %s" % (host_of(address), err))

    async def serve(self):
        """Receive and answer until close(); retransmit notifications in between."""
        self.running = True
        while self.running and self.sock is not None:
            try:
                data, address = self.sock.recvfrom(MAX_DATAGRAM)
            except OSError:  # nothing waiting (EAGAIN), or an ICMP error for an earlier send
                self.observers.retransmit()
                await asyncio.sleep(POLL_S)
                continue
            try:
                self.handle(data, address)
            except Exception as err:  # one bad datagram must not stop the server
                self.hal.log("coap: %r while handling a datagram" % (err,))
            await asyncio.sleep(0)

    def handle(self, data, address):
        """Process one datagram from `address`."""
        try:
            message = coap.parse(data)
        except coap.FormatError:
            # RFC 7252 4.2: a malformed confirmable message is rejected with RST.
            if len(data) >= 4 and (data[0] >> 4) & 0x03 == coap.CON:
                reset = coap.Message(coap.RST, coap.EMPTY, (data[2] << 8) | data[3])
                self.send(coap.build(reset), address)
            return
        if message.mtype != coap.RST:
            # Requests, pings and ACKs of our notifications show the controller is there; an RST
            # says it has forgotten us, so it does not keep the relay closed.
            self.station.heard_from(host_of(address))
        if message.mtype in (coap.ACK, coap.RST):
            self.observers.answered(address, message.mid, message.mtype == coap.RST)
            return
        if message.code == coap.EMPTY:
            if message.mtype == coap.CON:  # a CoAP ping
                self.send(coap.build(coap.Message(coap.RST, coap.EMPTY, message.mid)), address)
            return
        if not message.is_request():
            return
        if self._repeat(message, address):
            return
        datagram = coap.build(self._answer(message, address))
        self._remember(message, address, datagram)
        self.send(datagram, address)
        self.site.publish(self.observers)

    def _repeat(self, message, address):
        """Answer a retransmitted request from the cache; True when it was one."""
        now = self.hal.ticks_ms()
        self._recent = [
            r for r in self._recent if self.hal.ticks_diff(now, r[3]) < EXCHANGE_LIFETIME_MS
        ]
        for recent_address, mid, datagram, _ in self._recent:
            if recent_address == address and mid == message.mid:
                if message.mtype == coap.CON:
                    self.send(datagram, address)
                return True
        return False

    def _remember(self, message, address, datagram):
        self._recent.append((address, message.mid, datagram, self.hal.ticks_ms()))
        if len(self._recent) > RECENT_ANSWERS:
            self._recent.pop(0)

    def _answer(self, request, address):
        """The response Message to a request (piggybacked on the ACK when confirmable)."""
        if request.mtype == coap.CON:
            response = coap.Message(coap.ACK, coap.EMPTY, request.mid, request.token)
        else:
            response = coap.Message(coap.NON, coap.EMPTY, self.next_mid(), request.token)
        mcode, payload, content_format, max_age = self._render(request, address, response)
        response.code = mcode
        if content_format is not None:
            response.add_uint(coap.CONTENT_FORMAT, content_format)
        if max_age is not None:
            response.add_uint(coap.MAX_AGE, max_age)
        response.payload = payload
        return response

    def _render(self, request, address, response):
        bad = coap.unknown_critical_option(request)
        if bad is not None:
            return coap.BAD_OPTION, ("option %d not supported" % bad).encode(), 0, None
        path = request.path()
        if path == ".well-known/core":
            if request.code != coap.GET:
                return coap.METHOD_NOT_ALLOWED, b"", None, None
            return self.site.discovery(request.queries())
        resource = self.site.find(path)
        if resource is None:
            return coap.NOT_FOUND, b"", None, None
        if request.code == coap.GET:
            return self._get(resource, request, address, response)
        if request.code in WRITES:
            controllers = self.station.settings["controllers"]
            if controllers and host_of(address) not in controllers:
                return coap.FORBIDDEN, b"only a configured controller may write", 0, None
            content_format = request.uint_option(coap.CONTENT_FORMAT)
            return resource.put(request.payload, content_format)
        return coap.METHOD_NOT_ALLOWED, b"", None, None

    def _get(self, resource, request, address, response):
        observe = request.uint_option(coap.OBSERVE)
        if observe == 0 and resource.observable:
            if self.observers.register(address, request.token, resource.name):
                response.add_uint(coap.OBSERVE, self.observers.next_sequence())
        else:
            # Observe=1, or a plain GET with the same token, ends an observation (RFC 7641 3.6).
            self.observers.cancel(address, request.token)
        return resource.get()
