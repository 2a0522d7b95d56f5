"""Unit tests of the pure domain model (no Home Assistant)."""
