"""Board entry point: copied to the board's root as main.py, it starts the station at boot."""

import asyncio

from firmware import app
from firmware.hal_machine import BoardHal

hal = BoardHal()
try:
    settings, calibration = app.load_settings(hal)
except ValueError as err:  # config.ConfigError: the relay pin is never driven
    print("ev_v2g station: bad configuration:", err)
    raise
hal.setup(settings)
asyncio.run(app.Firmware(hal, settings, calibration).run())
