"""Transports that talk to charging stations (no Home Assistant here)."""
