"""Tests of the site's OCPP charge points: connection, configuration, faults, listening."""
