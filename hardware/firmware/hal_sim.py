"""Simulated hardware for running the firmware on CPython: CT samples, relay, plug, clock, files.

A test sets `load_a` (what the car would draw) and reads `relay`; the CT sees the load only while
the relay is closed. Ticks wrap like MicroPython's, and can start close to the wrap.
"""

import math
import os
import random
import socket
import time

from . import config

TICKS_PERIOD = 1 << 30
SAMPLES_PER_CYCLE = 40
BIAS_COUNTS = config.ADC_FULL_SCALE // 2


class SimulatedHal:
    """The HAL the firmware talks to, with a car, a CT and a clock you can steer."""

    def __init__(self, settings, directory, ticks_start=0, noise_counts=1.0, seed=7):
        """Keep files in `directory`; ticks start at `ticks_start` (e.g. just before the wrap)."""
        self.settings = settings
        self.directory = directory
        self.load_a = 0.0
        """Amperes the plugged car draws (or feeds, for discharge) while the relay is closed."""
        self.plug_input = None
        """None: no plug input wired (the firmware infers plugging); True/False: the input."""
        self.relay = False
        self.discharging = False
        self.relay_switches = 0
        self.clock_synced = True
        self.clock_offset_s = 0
        self.sensor_slope = config.THEORETICAL_SLOPE
        """The real CT's amperes per count; a test may make it differ from the calibration."""
        self.noise_counts = noise_counts
        self.logs = []
        self.feeds = 0
        self._random = random.Random(seed)
        self._origin = time.monotonic()
        self._ticks_start = ticks_start
        self._skew_ms = 0

    def advance(self, seconds):
        """Jump the clocks forward, as if `seconds` had passed (tests of timeouts)."""
        self._skew_ms += int(seconds * 1000)
        self.clock_offset_s += int(seconds)

    def ticks_ms(self):
        """Milliseconds, wrapping at 2**30 as on the boards."""
        elapsed = int((time.monotonic() - self._origin) * 1000) + self._skew_ms
        return (self._ticks_start + elapsed) % TICKS_PERIOD

    def ticks_diff(self, end, start):
        """Signed difference of two tick values across a wrap."""
        half = TICKS_PERIOD // 2
        return (end - start + half) % TICKS_PERIOD - half

    def ticks_add(self, ticks, delta):
        """A tick value `delta` milliseconds later."""
        return (ticks + delta) % TICKS_PERIOD

    def unix_time(self):
        """Whole unix seconds, or None while the clock is not set."""
        if not self.clock_synced:
            return None
        return int(time.time()) + self.clock_offset_s

    def sample_ct(self):
        """(count, sum, sum of squares) of 12-bit ADC samples over whole mains cycles."""
        primary = abs(self.load_a) if self.relay else 0.0
        peak = primary / self.sensor_slope * math.sqrt(2)
        count = SAMPLES_PER_CYCLE * int(self.settings["sample_cycles"])
        total = squares = 0
        for index in range(count):
            angle = 2 * math.pi * index / SAMPLES_PER_CYCLE
            noise = self._random.uniform(-self.noise_counts, self.noise_counts)
            value = round(BIAS_COUNTS + peak * math.sin(angle) + noise)
            value = min(config.ADC_FULL_SCALE - 1, max(0, value))
            total += value
            squares += value * value
        return count, total, squares

    def set_relay(self, closed):
        """Drive the relay."""
        if closed != self.relay:
            self.relay_switches += 1
        self.relay = closed

    def set_direction(self, discharge):
        """Tell a bidirectional charger which way to run."""
        self.discharging = discharge

    def plug_detected(self):
        """The plug input, or None when none is wired."""
        return self.plug_input

    def read_file(self, name):
        """A file's text, or None when it does not exist."""
        try:
            with open(os.path.join(self.directory, name)) as handle:
                return handle.read()
        except OSError:
            return None

    def write_file(self, name, text):
        """Write a file atomically (a power cut leaves the old or the new one)."""
        path = os.path.join(self.directory, name)
        with open(path + ".tmp", "w") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)

    def udp_socket(self, host, port):
        """A non-blocking UDP socket bound to host:port."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((host, port))
        sock.setblocking(False)
        return sock

    async def connect(self):
        """No network to join in simulation."""

    async def maintain(self):
        """Nothing to keep up in simulation."""

    def feed_watchdog(self):
        """Count feeds of the hardware watchdog."""
        self.feeds += 1

    def log(self, text):
        """Keep log lines for tests to read."""
        self.logs.append(text)
