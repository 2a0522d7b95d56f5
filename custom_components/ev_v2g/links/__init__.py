"""Glue between one station's transport and its Station model: CoAP, OCPP, leases, settling."""
