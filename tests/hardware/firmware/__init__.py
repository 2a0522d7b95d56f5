"""Tests of the MicroPython station firmware, run on CPython with the simulated HAL."""
