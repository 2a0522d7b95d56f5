"""Put the station together and run it: settings, meters, CoAP server and the tick loop.

`Firmware(hal)` loads config.json and calibration.json through the HAL; `run()` serves until
stopped. A broken configuration leaves the relay open and says why.
"""

import asyncio

from . import config
from .server import CoapServer
from .site import Site
from .station import Station

ENERGY_FILE = "energy.json"


def load_settings(hal):
    """(settings, (slope, intercept)) from the HAL's files; defaults where a file is absent.

    Raises:
        config.ConfigError: a file that is present but wrong.
    """
    text = hal.read_file(config.CONFIG_FILE)
    settings = config.load_config(text if text is not None else "{}")
    text = hal.read_file(config.CALIBRATION_FILE)
    if text is None:
        hal.log("calibration.json absent: using the theoretical CT line")
        calibration = (config.THEORETICAL_SLOPE, 0.0)
    else:
        calibration = config.load_calibration(text)
    return settings, calibration


class Firmware:
    """One station: its state, its resources, its server, and the loop that ticks them."""

    def __init__(self, hal, settings=None, calibration=None, ack_timeout_ms=None):
        """Load the settings from the HAL's files unless given; restore the energy counters."""
        if settings is None:
            settings, calibration = load_settings(hal)
        self.hal = hal
        self.settings = settings
        self.station = Station(settings, calibration or (config.THEORETICAL_SLOPE, 0.0), hal)
        saved = hal.read_file(ENERGY_FILE)
        if saved is not None and not self.station.energy.restore(saved):
            hal.log("energy.json unreadable: counting on from what is known")
        self.site = Site(self.station)
        self.server = CoapServer(hal, self.site, ack_timeout_ms)
        self._tasks = []
        self._saved_at = hal.ticks_ms()
        self._saved_relay = False

    async def start(self):
        """Join the network, bind the port, and begin serving and ticking in the background."""
        await self.hal.connect()
        self.server.open(self.settings["bind"], self.settings["port"])
        self._tasks = [
            asyncio.create_task(self.server.serve()),
            asyncio.create_task(self._tick_forever()),
            asyncio.create_task(self.hal.maintain()),
        ]

    async def stop(self):
        """Open the relay, save the counters, stop serving."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self.server.close()
        self.station.set_switch(False)
        self.save_energy()

    async def run(self):
        """Serve forever (the board's entry point)."""
        await self.start()
        await asyncio.Event().wait()

    def save_energy(self):
        """Write the counters to flash."""
        self.hal.write_file(ENERGY_FILE, self.station.energy.to_json())
        self._saved_at = self.hal.ticks_ms()

    def step(self):
        """One tick: measure and enforce, notify observers, save when due, feed the watchdog."""
        hal = self.hal
        self.station.tick()
        self.site.publish(self.server.observers)
        now = hal.ticks_ms()
        relay = self.station.relay_closed
        # Save when a session ends (relay opens) and every persist_s, to spare the flash.
        persist_ms = int(self.settings["persist_s"] * 1000)
        if (self._saved_relay and not relay) or hal.ticks_diff(now, self._saved_at) >= persist_ms:
            self.save_energy()
        self._saved_relay = relay
        hal.feed_watchdog()

    async def _tick_forever(self):
        period = self.settings["sample_period_s"]
        while True:
            try:
                self.step()
            except Exception as err:
                # Keep answering CoAP; the hardware watchdog, no longer fed, reboots the board.
                self.hal.log("tick failed: %r" % (err,))
            await asyncio.sleep(period)
