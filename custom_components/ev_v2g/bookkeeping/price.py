"""The price in force when a meter reading is taken: fixed, a time-of-use schedule, or a sensor.

A price sensor that has no usable value falls back to the fixed price, logged once.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
import math
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..const import (
    CONF_CREDIT_RATE,
    CONF_PRICE,
    CONF_PRICE_SENSOR,
    CONF_TARIFF,
    CONF_TOU_SCHEDULE,
    TARIFF_FIXED,
    TARIFF_SENSOR,
    TARIFF_TIME_OF_USE,
)
from ..core.tariff import Tariff, TimeOfUse

_LOGGER = logging.getLogger(__name__)


def tariff_from_options(options: Mapping[str, Any]) -> Tariff:
    """The site's tariff; a sensor tariff's fallback is the fixed price."""
    if options.get(CONF_TARIFF) == TARIFF_TIME_OF_USE:
        return Tariff.time_of_use(TimeOfUse.parse(options.get(CONF_TOU_SCHEDULE) or ""))
    return Tariff.fixed(float(options.get(CONF_PRICE) or 0.0))


class PriceSource:
    """Prices per kWh for the readings of one site."""

    def __init__(self, hass: HomeAssistant, options: Mapping[str, Any]) -> None:
        """Read the tariff from the site's options."""
        self.hass = hass
        self.set_options(options)

    def set_options(self, options: Mapping[str, Any]) -> None:
        """Apply changed billing options (live, no reload)."""
        self.tariff = tariff_from_options(options)
        self.sensor: str | None = (
            options.get(CONF_PRICE_SENSOR) if options.get(CONF_TARIFF) == TARIFF_SENSOR else None
        )
        self.credit_rate = float(options.get(CONF_CREDIT_RATE) or 0.0)
        self.kind = options.get(CONF_TARIFF, TARIFF_FIXED)
        self._warned = False

    def price_now(self) -> float:
        """The price per kWh imported now."""
        if self.sensor is not None:
            state = self.hass.states.get(self.sensor)
            try:
                price = float(state.state) if state is not None else math.nan
            except ValueError:
                price = math.nan
            if math.isfinite(price):
                self._warned = False
                return price
            if not self._warned:
                self._warned = True
                _LOGGER.warning(
                    "Price sensor %s has no usable value; the fixed price applies", self.sensor
                )
        return self.tariff.price_at(dt_util.now())
