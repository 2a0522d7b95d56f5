"""What the user set for a site's sharing, written the moment it changes and read back at start.

The site's current limit, each station's control mode and the demand-response request in force
(with its power and end) must survive a crash: a restored entity state is written only at a clean
stop or every 15 minutes, so a killed Home Assistant would come back at the full supply.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from ..const import DOMAIN
from ..core.allocation import DemandResponseMode
from .power_sharing import PowerSharing

_LOGGER = logging.getLogger(__name__)

STORE_VERSION = 1


def _settings(sharing: PowerSharing) -> dict[str, Any]:
    """The user's settings of a site, as stored."""
    state = sharing.demand_response
    return {
        "site_limit_a": sharing.site_limit_a,
        "demand_response_power_w": sharing.demand_response_power_w,
        "control_modes": dict(sharing.control_modes),
        "manual_setpoints": sharing.manual_setpoints(),
        "demand_response": {
            "mode": state.request.mode.value,
            "power_w": state.request.power_w,
            "until": state.until,
            "source": state.source,
        },
    }


class SharingSettings:
    """The stored settings of one site's sharing."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Keep the settings of the site `entry_id`."""
        self.store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.sharing_{entry_id}"
        )
        self._written: dict[str, Any] | None = None

    async def async_restore(self, sharing: PowerSharing) -> None:
        """Put the stored settings back in force (before sharing starts)."""
        try:
            data = await self.store.async_load()
        except HomeAssistantError as err:  # a damaged file: the defaults, and say so
            _LOGGER.warning("The site's stored sharing settings could not be read: %s", err)
            data = None
        if not data:
            return
        sharing.settings_restored = True
        sharing.set_site_limit(float(data.get("site_limit_a", sharing.site_limit_a)))
        sharing.demand_response_power_w = float(data.get("demand_response_power_w", 0.0))
        # Before the stations are linked: a mode of a station since removed is never asked for.
        for key, mode in (data.get("control_modes") or {}).items():
            sharing.control_modes[key] = str(mode)
        # The user's own setpoints go out again (break before make) once the stations are in.
        for key, setpoint in (data.get("manual_setpoints") or {}).items():
            sharing.manual.want(key, float(setpoint))
        request = data.get("demand_response") or {}
        mode = DemandResponseMode(request.get("mode", DemandResponseMode.NORMAL))
        until = request.get("until")
        if mode is not DemandResponseMode.NORMAL and (until is None or until > time.time()):
            sharing.set_demand_response(
                mode,
                power_w=float(request.get("power_w", 0.0)),
                duration_s=None if until is None else until - time.time(),
                source=request.get("source"),
            )
        self._written = _settings(sharing)

    def follow(self, hass: HomeAssistant, sharing: PowerSharing) -> Callable[[], None]:
        """Write the settings whenever one of them changes; returns the function that stops it."""

        def changed() -> None:
            settings = _settings(sharing)
            if settings != self._written:
                self._written = settings
                hass.async_create_task(self.store.async_save(settings), "ev_v2g settings")

        return sharing.add_listener(changed)
