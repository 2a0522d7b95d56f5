"""Unit tests of the CoAP transport (no Home Assistant)."""
