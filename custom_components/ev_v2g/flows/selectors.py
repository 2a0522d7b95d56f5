"""Form selectors shared by the site, station and resident flows."""

from __future__ import annotations

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from ..const import CONF_CONNECTED_PHASE, CONF_PHASES

PHASES = SelectSelector(
    SelectSelectorConfig(
        options=["1", "3"], mode=SelectSelectorMode.LIST, translation_key=CONF_PHASES
    )
)
CONNECTED_PHASE = SelectSelector(
    SelectSelectorConfig(
        options=["1", "2", "3"],
        mode=SelectSelectorMode.DROPDOWN,
        translation_key=CONF_CONNECTED_PHASE,
    )
)


def amperes(low: float, high: float) -> NumberSelector:
    """A current in whole amperes."""
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=1, unit_of_measurement="A", mode=NumberSelectorMode.BOX
        )
    )


def whole(low: float, high: float, unit: str | None = None) -> NumberSelector:
    """A whole number in a box."""
    config = NumberSelectorConfig(min=low, max=high, step=1, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)
