"""Benchmarks of the ev_v2g integration (not shipped with it)."""
