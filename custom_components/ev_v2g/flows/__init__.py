"""Subentry and options flows: stations (CoAP, OCPP, discovery), residents, the site's options."""
