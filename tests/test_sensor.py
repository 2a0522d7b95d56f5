"""The sensor platform: every entity of a site with one idle station and a resident, as a snapshot.

A changed name, unit, device class, category, option or attribute shows in review as a diff of
tests/snapshots/test_sensor.ambr (update it with: scripts/test --snapshot-update tests/test_sensor.py).
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from tests.common import snapshot_entities

PLATFORM = Platform.SENSOR


async def test_entities(
    hass: HomeAssistant, platform_site: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Each entity's registry entry and state are what the snapshot holds."""
    await snapshot_entities(hass, snapshot, platform_site.entry_id)
