"""Tests of the site's dashboard."""
