"""Tests of the calibration fit and its command line."""
