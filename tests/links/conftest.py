"""Power sharing is tested without Home Assistant: keep these tests free of the `hass` fixture."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture, which would start Home Assistant for every test."""
