"""Run the firmware on CPython with simulated hardware: `python -m hardware.firmware DIR`.

DIR holds config.json (and optionally calibration.json), as the board's flash would; a car
drawing --load-a amperes is plugged in. Handy for trying Home Assistant without a soldering iron.
"""

import argparse
import asyncio
import contextlib

from .app import Firmware, load_settings
from .hal_sim import SimulatedHal


async def _serve(directory, load_a, port):
    hal = SimulatedHal(None, directory)
    settings, calibration = load_settings(hal)
    if port is not None:
        settings["port"] = port
    hal.settings = settings
    hal.load_a = load_a
    hal.log = print
    firmware = Firmware(hal, settings, calibration)
    await firmware.start()
    print("station %s on udp port %d" % (settings["station_id"], settings["port"]))
    try:
        await asyncio.Event().wait()
    finally:
        await firmware.stop()


def main():
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m hardware.firmware")
    parser.add_argument("directory", help="folder with config.json and calibration.json")
    parser.add_argument("--load-a", type=float, default=16.0, help="what the simulated car draws")
    parser.add_argument("--port", type=int, help="override the port in config.json")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(arguments.directory, arguments.load_a, arguments.port))


if __name__ == "__main__":
    main()
