"""The real boards' HAL: ESP32 and Raspberry Pi Pico W under MicroPython.

Everything that touches `machine`, `network` or `ntptime` lives here and nowhere else; the
rest of the firmware only sees the methods that `hal_sim.SimulatedHal` has too.
"""

import asyncio
import os
import socket
import sys
import time

import machine
import network

# Default pins per board: the CT on an ADC1 pin for the ESP32 (ADC2 is taken by Wi-Fi),
# ADC0 (GP26) on the Pico W.
DEFAULT_PINS = {
    "esp32": {"ct_pin": 34, "relay_pin": 26},
    "rp2": {"ct_pin": 26, "relay_pin": 15},
}
# MicroPython boards count from 2000 on some versions; the contract speaks unix seconds.
EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0
VALID_AFTER = 1704067200  # 2024-01-01: a clock before this was never set
NTP_EVERY_MS = 3600 * 1000


class BoardHal:
    """Pins, ADC, clock, flash and Wi-Fi of the board the firmware runs on."""

    def __init__(self):
        """Files and clock work at once; call setup() before anything touches a pin."""
        self.settings = None
        self._relay = None
        self._relay_on = 1
        self._direction = None
        self._plug = None
        self._adc = None
        self._wdt = None
        self._wlan = None
        self._synced = False
        self._window_us = 200000

    def setup(self, settings):
        """Claim the pins (relay open first) and start the hardware watchdog."""
        self.settings = settings
        pins = DEFAULT_PINS.get(sys.platform, DEFAULT_PINS["rp2"])
        relay_pin = (
            settings["relay_pin"] if settings["relay_pin"] is not None else pins["relay_pin"]
        )
        ct_pin = settings["ct_pin"] if settings["ct_pin"] is not None else pins["ct_pin"]
        self._relay_on = 1 if settings["relay_active_high"] else 0
        self._relay = machine.Pin(relay_pin, machine.Pin.OUT, value=1 - self._relay_on)
        if sys.platform == "esp32":
            # 11 dB attenuation reads up to about 2.5-3.1 V; the calibration absorbs the gain.
            self._adc = machine.ADC(machine.Pin(ct_pin), atten=machine.ADC.ATTN_11DB)
        else:
            self._adc = machine.ADC(ct_pin)
        if settings["plug_pin"] is not None:
            self._plug = machine.Pin(settings["plug_pin"], machine.Pin.IN, machine.Pin.PULL_UP)
        if settings["direction_pin"] is not None:
            self._direction = machine.Pin(settings["direction_pin"], machine.Pin.OUT, value=0)
        self._window_us = int(settings["sample_cycles"] * 1000000 / settings["mains_hz"])
        if settings["hardware_watchdog_ms"]:
            self._wdt = machine.WDT(timeout=int(min(settings["hardware_watchdog_ms"], 8000)))

    def ticks_ms(self):
        """Milliseconds since boot, wrapping."""
        return time.ticks_ms()

    def ticks_diff(self, end, start):
        """Signed difference across a wrap."""
        return time.ticks_diff(end, start)

    def ticks_add(self, ticks, delta):
        """A tick value `delta` ms later."""
        return time.ticks_add(ticks, delta)

    def unix_time(self):
        """Whole unix seconds, or None until NTP has set the clock."""
        now = time.time() + EPOCH_OFFSET
        return now if self._synced and now >= VALID_AFTER else None

    def sample_ct(self):
        """(count, sum, sum of squares) of 12-bit samples over whole mains cycles, as fast as we can."""
        read = self._adc.read_u16
        ticks_us = time.ticks_us
        diff = time.ticks_diff
        window = self._window_us
        count = total = squares = 0
        start = ticks_us()
        while diff(ticks_us(), start) < window:
            value = read() >> 4  # both ports scale their 12-bit ADC up to 16 bits
            count += 1
            total += value
            squares += value * value
        return count, total, squares

    def set_relay(self, closed):
        """Drive the relay (or the contactor's coil relay)."""
        if self._relay is not None:
            self._relay.value(self._relay_on if closed else 1 - self._relay_on)

    def set_direction(self, discharge):
        """Tell a bidirectional charger to feed back, if one is wired."""
        if self._direction is not None:
            self._direction.value(1 if discharge else 0)

    def plug_detected(self):
        """The plug contact (closed to ground = plugged), or None when none is wired."""
        return None if self._plug is None else self._plug.value() == 0

    def read_file(self, name):
        """A file's text from flash, or None."""
        try:
            with open(name) as handle:
                return handle.read()
        except OSError:
            return None

    def write_file(self, name, text):
        """Write to flash through a temporary file, so a power cut keeps the old copy."""
        with open(name + ".tmp", "w") as handle:
            handle.write(text)
        os.rename(name + ".tmp", name)

    def udp_socket(self, host, port):
        """A non-blocking UDP socket bound to host:port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(socket.getaddrinfo(host, port)[0][-1])
        sock.setblocking(False)
        return sock

    async def connect(self):
        """Join the Wi-Fi in config.json (feeding the watchdog meanwhile) and set the clock."""
        self._wlan = network.WLAN(network.STA_IF)
        self._wlan.active(True)
        if not self._wlan.isconnected():
            self._wlan.connect(self.settings["wifi_ssid"], self.settings["wifi_password"])
        for _ in range(300):
            if self._wlan.isconnected():
                break
            self.feed_watchdog()
            await asyncio.sleep(0.1)
        self.log("network: %s" % (self._wlan.ifconfig()[0],))
        self._sync_clock()

    async def maintain(self):
        """Rejoin Wi-Fi when it drops and set the clock again every hour."""
        last_sync = time.ticks_ms()
        while True:
            await asyncio.sleep(5)
            if not self._wlan.isconnected():
                self._wlan.connect(self.settings["wifi_ssid"], self.settings["wifi_password"])
            elif not self._synced or time.ticks_diff(time.ticks_ms(), last_sync) > NTP_EVERY_MS:
                self._sync_clock()
                last_sync = time.ticks_ms()

    def _sync_clock(self):
        host = self.settings["ntp_host"]
        if not host:
            return
        try:
            import ntptime  # noqa: PLC0415  # only on the boards, and only when NTP is wanted

            ntptime.host = host
            ntptime.settime()
            self._synced = True
        except (OSError, OverflowError) as err:
            self.log("ntp: %s unreachable (%s)" % (host, err))

    def feed_watchdog(self):
        """Keep the hardware watchdog from rebooting the board."""
        if self._wdt is not None:
            self._wdt.feed()

    def log(self, text):
        """Print to the USB serial console."""
        print("%d %s" % (time.ticks_ms(), text))
