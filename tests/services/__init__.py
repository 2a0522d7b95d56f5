"""Tests of the site's services."""
