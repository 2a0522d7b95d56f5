"""Observers of the station's resources (RFC 7641) and their confirmable notifications.

Every notification is confirmable: the client's ACK proves Home Assistant still listens (it feeds
the watchdog), and an observer that stops acknowledging or answers RST is forgotten.
"""

from . import coap

ACK_TIMEOUT_MS = 2000
MAX_RETRANSMIT = 4
MAX_OBSERVERS = 16
SEQUENCE_MASK = 0xFFFFFF


class Observation:
    """One client observing one resource, and its notification in flight, if any."""

    def __init__(self, address, token, path):
        """Remember who asked for what."""
        self.address = address
        self.token = token
        self.path = path
        self.in_flight = None
        """(message id, datagram) of the unacknowledged notification."""
        self.earlier_mids = []
        self.attempts = 0
        self.timeout_ms = 0
        self.due = 0


class Observers:
    """All observations of a station."""

    def __init__(self, hal, send, next_mid, ack_timeout_ms=ACK_TIMEOUT_MS):
        """`send(datagram, address)` sends; `next_mid()` hands out message ids."""
        self.hal = hal
        self._send = send
        self._next_mid = next_mid
        self.ack_timeout_ms = ack_timeout_ms
        self.observations = []
        self.sequence = 0

    def next_sequence(self):
        """The Observe value of the next notification (24 bits, increasing)."""
        self.sequence = (self.sequence + 1) & SEQUENCE_MASK
        return self.sequence

    def register(self, address, token, path):
        """Add (or renew) an observation; return False when the table is full."""
        self.cancel(address, token)
        if len(self.observations) >= MAX_OBSERVERS:
            return False
        self.observations.append(Observation(address, token, path))
        return True

    def cancel(self, address, token):
        """Forget the observation with this client and token, if any."""
        self.observations = [
            o for o in self.observations if not (o.address == address and o.token == token)
        ]

    def watching(self, path):
        """The observations of one resource."""
        return [o for o in self.observations if o.path == path]

    def answered(self, address, mid, reset):
        """An ACK or RST for a notification: clear it, or drop the observation on RST.

        Returns:
            Whether it matched one of our notifications.
        """
        for observation in self.observations:
            if observation.address != address or observation.in_flight is None:
                continue
            if mid == observation.in_flight[0] or mid in observation.earlier_mids:
                if reset:
                    self.observations.remove(observation)
                else:
                    observation.in_flight = None
                    observation.earlier_mids = []
                return True
        return False

    def notify(self, path, response):
        """Send `response` (code, payload, content format, max age) to every observer of `path`."""
        mcode, payload, content_format, max_age = response
        for observation in self.watching(path):
            message = coap.Message(coap.CON, mcode, self._next_mid(), observation.token)
            message.add_uint(coap.OBSERVE, self.next_sequence())
            if content_format is not None:
                message.add_uint(coap.CONTENT_FORMAT, content_format)
            if max_age is not None:
                message.add_uint(coap.MAX_AGE, max_age)
            message.payload = payload
            datagram = coap.build(message)
            now = self.hal.ticks_ms()
            if observation.in_flight is not None:
                # One confirmable notification per observer at a time: the newest state
                # replaces the one in flight and inherits its retransmission schedule.
                observation.earlier_mids.append(observation.in_flight[0])
                observation.in_flight = (message.mid, datagram)
                continue
            observation.in_flight = (message.mid, datagram)
            observation.attempts = 0
            observation.timeout_ms = self.ack_timeout_ms
            observation.due = self.hal.ticks_add(now, observation.timeout_ms)
            self._send(datagram, observation.address)

    def retransmit(self):
        """Resend notifications whose ACK is overdue; forget observers that never answer."""
        now = self.hal.ticks_ms()
        for observation in list(self.observations):
            if observation.in_flight is None or self.hal.ticks_diff(now, observation.due) < 0:
                continue
            if observation.attempts >= MAX_RETRANSMIT:
                self.observations.remove(observation)
                self.hal.log("observe: %s gave no ACK, observation dropped" % observation.path)
                continue
            observation.attempts += 1
            observation.timeout_ms *= 2
            observation.due = self.hal.ticks_add(now, observation.timeout_ms)
            self._send(observation.in_flight[1], observation.address)
