"""Tests of the site's power sharing, without Home Assistant."""
