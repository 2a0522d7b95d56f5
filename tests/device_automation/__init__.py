"""Tests of the device triggers, conditions and actions."""
