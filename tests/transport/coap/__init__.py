"""Tests of the CoAP transport: client, observations, payloads."""
