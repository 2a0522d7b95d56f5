"""Switches: a station's `charging` (authorizes a session, closes its relay); a resident's V2G consent."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .bookkeeping.authorization import authorize
from .core.station import StationState
from .entity import EvV2gStationEntity, add_station_entities
from .error_translation import station_command
from .resident_controls import V2G_CONSENT, V2gConsentSwitch, add_resident_entities
from .runtime import EvV2gConfigEntry

PARALLEL_UPDATES = 0

CHARGING = SwitchEntityDescription(key="charging", translation_key="charging")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the charging switch of every station and the V2G consent of every resident."""
    add_station_entities(entry, async_add_entities, ChargingSwitch, (CHARGING,))
    add_resident_entities(
        hass, entry, async_add_entities, lambda e, key: [V2gConsentSwitch(e, key, V2G_CONSENT)]
    )


class ChargingSwitch(EvV2gStationEntity, SwitchEntity):
    """On while a session is authorized (enabled or charging)."""

    @property
    def is_on(self) -> bool:
        """Whether a session is authorized on the station."""
        return self.station.state in (StationState.ENABLED, StationState.CHARGING)

    def snapshot(self) -> bool:
        """What this switch shows."""
        return self.is_on

    @station_command
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Authorize a session (for the caller's resident or the owner) and close the relay."""
        authorization, resident = await authorize(
            self.hass, self.hub, self.station.key, self._context
        )
        await self.hub.start_session(self.station.key, authorization, resident)

    @station_command
    async def async_turn_off(self, **kwargs: Any) -> None:
        """End the session and open the relay."""
        await self.hub.stop_session(self.station.key)
