"""Who knocks on a site's OCPP port without being one of its charge points.

An unknown id is offered to the user as a discovered charger (a few at a time); an address
locked out for wrong passwords is a repair issue until its lockout ends or the user lets it in.
"""

from __future__ import annotations

from collections.abc import Callable
import logging

from homeassistant.config_entries import SOURCE_INTEGRATION_DISCOVERY
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant
from homeassistant.helpers import discovery_flow, issue_registry as ir
from homeassistant.helpers.event import async_call_later

from ..const import DOMAIN
from ..transport.ocpp.central import CentralSystem
from .discovery_budget import OfferBudget
from .repairs import async_login_locked_out, locked_out_issue_id

_LOGGER = logging.getLogger(__name__)


class Strangers:
    """What a site does about unknown charge points and addresses sending wrong passwords."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry_id: str,
        site_name: Callable[[], str],
        central: CentralSystem,
    ) -> None:
        """Answer for the site ``entry_id`` (named by ``site_name()``) served by ``central``."""
        self.hass = hass
        self.entry_id = entry_id
        self.site_name = site_name
        self.central = central
        self.offers = OfferBudget()
        self._lockouts: dict[str, CALLBACK_TYPE] = {}

    def unknown_charge_point(self, charge_point_id: str) -> None:
        """An unknown id tried to connect: ask the user whether it may (a few at a time)."""
        if not self.offers.take():
            if self.offers.refused == 1:
                _LOGGER.warning(
                    "%s: more than %d unknown charge points knocked within %d minutes; "
                    "%s and later ones are not offered until the window passes",
                    self.site_name(),
                    self.offers.most,
                    round(self.offers.window_s / 60),
                    charge_point_id,
                )
            return
        discovery_flow.async_create_flow(
            self.hass,
            DOMAIN,
            {"source": SOURCE_INTEGRATION_DISCOVERY},
            {"entry_id": self.entry_id, "charge_point_id": charge_point_id},
        )

    def login_locked_out(self, charge_point_id: str, address: str) -> None:
        """An address is locked out for wrong passwords: a repair issue until the lockout ends."""
        lockout_s = self.central.login_throttle.lockout_s
        _LOGGER.warning(
            "%s: %s is locked out of the OCPP port for %d minutes after wrong passwords for %s",
            self.site_name(),
            address,
            round(lockout_s / 60),
            charge_point_id,
        )
        async_login_locked_out(self.hass, self.entry_id, self.site_name(), charge_point_id, address)
        issue_id = locked_out_issue_id(self.entry_id, address)

        def ended(_now: object) -> None:
            self._lockouts.pop(address, None)
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)

        if (earlier := self._lockouts.pop(address, None)) is not None:
            earlier()
        # The central system (and its lockouts) outlive a reload of the site, so does this timer;
        # Home Assistant's stop ends both (the issue is not persistent).
        self._lockouts[address] = async_call_later(
            self.hass, lockout_s, HassJob(ended, cancel_on_shutdown=True)
        )
