"""What a site leaves behind when the user deletes it: nothing but its billing history.

Its stores (OCPP transactions, the site's secret tag, sharing settings) and repair issues go.
The ledger database is the residents' billing history and stays; so does a ledger queue that
still holds records the database never took (a warning names it).
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store

from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)

REMOVED_STORES = ("ocpp_{}", "ocpp_site_tag_{}", "sharing_{}")
LEDGER_QUEUE = "ledger_queue_{}"


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove a deleted site's stores and issues."""
    for key in REMOVED_STORES:
        await Store[dict[str, Any]](
            hass, 1, f"{DOMAIN}.{key.format(entry.entry_id)}"
        ).async_remove()
    queue = Store[dict[str, Any]](hass, 1, f"{DOMAIN}.{LEDGER_QUEUE.format(entry.entry_id)}")
    if await queue.async_load() is not None:
        _LOGGER.warning(
            "%s was deleted with ledger records not yet written: they are kept in %s",
            entry.title,
            queue.path,
        )
    registry = ir.async_get(hass)
    # Every issue of a site names its entry: <kind>_<entry id>[_<what>].
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and (
            issue_id.endswith(f"_{entry.entry_id}") or f"_{entry.entry_id}_" in issue_id
        ):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
