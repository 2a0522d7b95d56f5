"""A resident's settings on their device: V2G consent (switch), reserve (number), tags.

The resident subentry stays the one place they are kept: a change here is written to it, and
the site takes it in place (no reload), as a change made in the resident's form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.components.number import NumberEntity, NumberEntityDescription, NumberMode
from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_RESERVE_SOC, CONF_V2G_OPT_IN
from .core.resident import Resident
from .entity import EvV2gResidentEntity, signal_residents_added
from .runtime import EvV2gConfigEntry

V2G_CONSENT = SwitchEntityDescription(
    key="v2g_consent", translation_key="v2g_consent", entity_category=EntityCategory.CONFIG
)
RESERVE = NumberEntityDescription(
    key="reserve",
    translation_key="reserve",
    entity_category=EntityCategory.CONFIG,
    native_min_value=0,
    native_max_value=100,
    native_step=5,
    native_unit_of_measurement=PERCENTAGE,
    mode=NumberMode.SLIDER,
)
TAGS = SensorEntityDescription(
    key="tags", translation_key="tags", entity_category=EntityCategory.DIAGNOSTIC
)


class ResidentSetting(EvV2gResidentEntity):
    """An entity showing one of a resident's settings, kept in their subentry."""

    def __init__(
        self, entry: EvV2gConfigEntry, resident_key: str, description: EntityDescription
    ) -> None:
        """Bind the entity to its resident and site."""
        super().__init__(entry.runtime_data.hub, entry.entry_id, resident_key, description)
        self.entry = entry

    @property
    def resident(self) -> Resident | None:
        """The resident as the site has them now."""
        return self.hub.residents.get(self.resident_key)

    @property
    def available(self) -> bool:
        """Available while the resident is on the site."""
        return self.resident is not None

    def _subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        return self.hub.add_resident_listener(listener)

    def _store(self, **changes: Any) -> None:
        """Write the change to the resident's subentry; the site applies it in place."""
        subentry = self.entry.subentries[self.resident_key]
        self.hass.config_entries.async_update_subentry(
            self.entry, subentry, data={**subentry.data, **changes}
        )


class V2gConsentSwitch(ResidentSetting, SwitchEntity):
    """Whether the resident's car may give energy back when demand response asks."""

    @property
    def is_on(self) -> bool | None:
        """The resident's consent."""
        return None if self.resident is None else self.resident.v2g_opt_in

    def snapshot(self) -> bool | None:
        """What this switch shows."""
        return self.is_on

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Give consent."""
        self._store(**{CONF_V2G_OPT_IN: True})

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Withdraw consent: the car stops discharging at once."""
        self._store(**{CONF_V2G_OPT_IN: False})


class ReserveNumber(ResidentSetting, NumberEntity):
    """The state of charge the resident's car keeps when it discharges."""

    @property
    def native_value(self) -> float | None:
        """The reserve, in percent."""
        return None if self.resident is None else self.resident.reserve_soc

    def snapshot(self) -> float | None:
        """What this number shows."""
        return self.native_value

    async def async_set_native_value(self, value: float) -> None:
        """Keep this much in the car."""
        self._store(**{CONF_RESERVE_SOC: float(value)})


class TagsSensor(ResidentSetting, SensorEntity):
    """How many cards or tags the resident has; the tags themselves as an attribute."""

    @property
    def native_value(self) -> int | None:
        """The number of tags."""
        return None if self.resident is None else len(self.resident.id_tags)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The tags, for the person looking after the site."""
        return {"tags": [] if self.resident is None else list(self.resident.id_tags)}

    def snapshot(self) -> Any:
        """What this sensor shows."""
        return self.native_value, tuple(self.extra_state_attributes["tags"])


def add_resident_entities(
    hass: HomeAssistant,
    entry: EvV2gConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[EvV2gConfigEntry, str], Iterable[EvV2gResidentEntity]],
) -> None:
    """Add a resident's entities to every resident, and to residents added later."""

    @callback
    def add(keys: Iterable[str]) -> None:
        for key in keys:
            async_add_entities(factory(entry, key), config_subentry_id=key)

    add(entry.runtime_data.hub.residents)
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_residents_added(entry.entry_id), add)
    )
