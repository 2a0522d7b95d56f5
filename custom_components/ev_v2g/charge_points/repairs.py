"""Repair issues of the OCPP port: a charger that refuses limits, an address locked out."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from ..links.ocpp import OcppStationLink

_LOGGER = logging.getLogger(__name__)


@callback
def async_charger_limited(
    hass: HomeAssistant, entry_id: str, link: OcppStationLink, limitable: bool
) -> None:
    """A charger that refuses our limits gets an issue naming it, gone once it takes one."""
    issue_id = f"charger_not_limited_{entry_id}_{link.station.key}"
    if limitable:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    _LOGGER.warning(
        "%s (charge point %s) refuses our limits: it is counted at its maximum",
        link.station.name,
        link.charge_point_id,
    )
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="charger_not_limited",
        translation_placeholders={
            "station": link.station.name,
            "charge_point": link.charge_point_id,
            "max": f"{link.station.capabilities.max_current_a:g}",
        },
    )


def locked_out_issue_id(entry_id: str, address: str) -> str:
    """The repair issue of an address locked out of a site's OCPP port."""
    return f"ocpp_locked_out_{entry_id}_{address}"


@callback
def async_login_locked_out(
    hass: HomeAssistant, entry_id: str, site: str, charge_point_id: str, address: str
) -> None:
    """An address sent too many wrong passwords: say so, and offer to let it try again."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        locked_out_issue_id(entry_id, address),
        is_fixable=True,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="ocpp_locked_out",
        translation_placeholders={
            "site": site,
            "address": address,
            "charge_point": charge_point_id,
        },
        data={"entry_id": entry_id, "address": address},
    )
