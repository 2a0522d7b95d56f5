"""Tests of the simulated hardware (station_sim)."""
