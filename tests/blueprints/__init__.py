"""Tests of the automation blueprints shipped in blueprints/automation/ev_v2g."""
