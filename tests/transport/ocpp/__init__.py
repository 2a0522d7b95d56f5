"""Tests of the OCPP central system (transport/ocpp)."""
