"""Tests of the site, station, resident and options flows."""
