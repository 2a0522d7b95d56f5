"""Station switch `charging`: authorizes a session and closes the station's relay."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .core.resident import Resident
from .core.station import StationState
from .entity import EvV2gStationEntity, add_station_entities
from .errors import station_command
from .runtime import EvV2gConfigEntry

PARALLEL_UPDATES = 0

CHARGING = SwitchEntityDescription(key="charging", translation_key="charging")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the charging switch of every station."""
    add_station_entities(entry, async_add_entities, ChargingSwitch, (CHARGING,))


class ChargingSwitch(EvV2gStationEntity, SwitchEntity):
    """On while a session is authorized (enabled or charging)."""

    @property
    def is_on(self) -> bool:
        """Whether a session is authorized on the station."""
        return self.station.state in (StationState.ENABLED, StationState.CHARGING)

    def snapshot(self) -> bool:
        """What this switch shows."""
        return self.is_on

    async def _authorizer(self) -> tuple[str, Resident | None]:
        """Who authorizes the session, and for which resident.

        A user linked to a resident charges as that resident; the owner, an administrator or an
        automation charges for the station's owner resident (unassigned if it has none).
        """
        owner = self.hub.owners.get(self.station.key)
        user_id = self._context.user_id if self._context else None
        if user_id is None:
            return "automation", owner
        user = await self.hass.auth.async_get_user(user_id)
        if user is not None:
            name = user.name or user.id
            if (resident := self.hub.resident_of_user(user.id)) is not None:
                return name, resident
            if user.is_owner or user.is_admin:
                return name, owner
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="not_authorized",
            translation_placeholders={"station": self.station.name},
        )

    @station_command
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Authorize a session and close the relay."""
        authorized_by, resident = await self._authorizer()
        await self.hub.set_charging(self.station.key, True, authorized_by, resident)

    @station_command
    async def async_turn_off(self, **kwargs: Any) -> None:
        """End the session and open the relay."""
        await self.hub.set_charging(self.station.key, False, "")
