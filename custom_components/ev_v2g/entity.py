"""Base entities: a station's (per-station push updates) and the site's (sharing updates).

State writes are paced per entity by a token bucket: WRITE_BURST changes in a row are written
at once, then at most WRITE_RATE_HZ a second (a station notifying a thousand times a second),
and the last value always lands when the burst ends. The recorder and the frontend see a
bounded number of states whatever a station sends; ordinary traffic is never delayed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
import math
from typing import Any

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .core.station import Station
from .devices import station_identifier
from .hub import SiteHub
from .runtime import EvV2gConfigEntry

WRITE_BURST = 10
"""State writes an entity may make at once."""
WRITE_RATE_HZ = 2.0
"""State writes a second an entity may make once its burst is spent."""


class EvV2gEntity(Entity):
    """Pushes its state only when what it shows changed, paced by a token bucket."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _written: tuple[bool, Any] | None = None
    _tokens = float(WRITE_BURST)
    _tokens_at = -math.inf
    _pending_write: asyncio.TimerHandle | None = None

    def snapshot(self) -> Any:
        """The values this entity shows; a write happens only when they change."""
        raise NotImplementedError

    def _subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Listen to the updates this entity depends on; returns the unsubscribe function."""
        raise NotImplementedError

    async def async_added_to_hass(self) -> None:
        """Start listening."""
        await super().async_added_to_hass()
        self._written = (self.available, self.snapshot())
        self._tokens_at = self.hass.loop.time()
        self.async_on_remove(self._subscribe(self._source_updated))
        self.async_on_remove(self._cancel_pending_write)

    @callback
    def _source_updated(self) -> None:
        if self._pending_write is not None:
            return  # a write is due: it will show the latest values
        current = (self.available, self.snapshot())
        if current == self._written:
            return
        self._refill()
        if self._tokens >= 1:
            self._write(current)
        else:
            wait_s = (1 - self._tokens) / WRITE_RATE_HZ
            self._pending_write = self.hass.loop.call_later(wait_s, self._write_due)

    @callback
    def _write_due(self) -> None:
        self._pending_write = None
        self._refill()
        current = (self.available, self.snapshot())
        if current != self._written:
            self._write(current)

    def _refill(self) -> None:
        now = self.hass.loop.time()
        self._tokens = min(WRITE_BURST, self._tokens + (now - self._tokens_at) * WRITE_RATE_HZ)
        self._tokens_at = now

    def _write(self, current: tuple[bool, Any]) -> None:
        self._written = current
        self._tokens = max(0.0, self._tokens - 1)
        self.async_write_ha_state()

    @callback
    def _cancel_pending_write(self) -> None:
        if self._pending_write is not None:
            self._pending_write.cancel()
            self._pending_write = None


class EvV2gStationEntity(EvV2gEntity):
    """An entity of one station; it hears only its own station's updates."""

    def __init__(
        self, hub: SiteHub, entry_id: str, station_key: str, description: EntityDescription
    ) -> None:
        """Bind the entity to its station and device."""
        self.entity_description = description
        self.hub = hub
        self.station_key = station_key
        self.station: Station = hub.station(station_key)
        self._attr_unique_id = f"{station_key}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, station_identifier(hub.setups[station_key]))}
        )

    @property
    def available(self) -> bool:
        """Unavailable while contact is lost, unless the description says it stays readable."""
        return getattr(self.entity_description, "always_available", False) or (
            self.station.available
        )

    async def async_added_to_hass(self) -> None:
        """Start listening; known to the site, which removes it when its station goes."""
        await super().async_added_to_hass()
        entities = self.hub.entities.setdefault(self.station_key, set())
        entities.add(self)
        self.async_on_remove(lambda: entities.discard(self))

    def _subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self.station.add_listener(listener)


class EvV2gSiteEntity(EvV2gEntity):
    """An entity of the site device: limits, sharing and demand response."""

    def __init__(
        self, hub: SiteHub, entry: EvV2gConfigEntry, description: EntityDescription
    ) -> None:
        """Bind the entity to the site."""
        self.entity_description = description
        self.hub = hub
        self.entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, entry.entry_id)})

    def _subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self.hub.sharing.add_listener(listener)


def add_station_entities[DescriptionT: EntityDescription](
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity_class: Callable[[SiteHub, str, str, DescriptionT], EvV2gStationEntity],
    descriptions: Iterable[DescriptionT],
) -> None:
    """Add one entity per description to every station, each under its station's subentry.

    A description with an `exists_fn` is added to a station only once it holds for it (the
    energy a station gives back, once it says it can discharge).

    Stations added to the running site later get theirs as they come.
    """
    hub = entry.runtime_data.hub
    descriptions = tuple(descriptions)

    def add(key: str) -> None:
        station = hub.station(key)
        subentry = hub.setups[key].subentry

        def add_now(chosen: Iterable[DescriptionT]) -> None:
            async_add_entities(
                (entity_class(hub, entry.entry_id, key, description) for description in chosen),
                config_subentry_id=subentry,
            )

        now = []
        for description in descriptions:
            exists: Callable[[Station], bool] | None = getattr(description, "exists_fn", None)
            if exists is None or exists(station):
                now.append(description)
            else:
                _add_when(station, exists, partial(add_now, (description,)))
        add_now(now)

    for key in hub.setups:
        add(key)
    entry.async_on_unload(hub.add_station_listener(add, lambda _: None))


def _add_when(station: Station, exists: Callable[[Station], bool], add: Callable[[], None]) -> None:
    """Add the entity once its station first holds `exists`."""

    def check() -> None:
        if exists(station):
            unsubscribe()
            add()

    unsubscribe = station.add_listener(check)


def signal_residents_added(entry_id: str) -> str:
    """The dispatcher signal sent with the keys of residents added to a running site."""
    return f"{DOMAIN}_{entry_id}_residents_added"


class EvV2gResidentEntity(EvV2gEntity):
    """An entity of a resident's device: what they took and gave this month."""

    def __init__(
        self, hub: SiteHub, entry_id: str, resident_key: str, description: EntityDescription
    ) -> None:
        """Bind the entity to its resident and device."""
        self.entity_description = description
        self.hub = hub
        self.resident_key = resident_key
        self._attr_unique_id = f"{resident_key}_{description.key}"
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, resident_key)})

    def _subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self.hub.book.add_listener(self.resident_key, listener)
