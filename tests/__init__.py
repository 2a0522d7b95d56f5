"""Tests of the ev_v2g integration, its simulators and tools."""
