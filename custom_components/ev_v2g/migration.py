"""Config entries written by earlier versions, brought up to the current one.

1.1 -> 1.2: an OCPP station's password was kept in plain text; it is replaced by its salted
hash (the charger keeps the same password, nothing changes for it).
"""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .const import CONF_PASSWORD_HASH
from .transport.ocpp.passwords import hash_password

_LOGGER = logging.getLogger(__name__)

MINOR_VERSION = 2


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Migrate a site's entry; False (the entry stays unloaded) when it is from a newer major."""
    if entry.version > 1:
        _LOGGER.error(
            "%s was written by a newer version of ev_v2g (%s.%s): downgrade is not supported",
            entry.title,
            entry.version,
            entry.minor_version,
        )
        return False
    if entry.minor_version < 2:
        hashed = 0
        for subentry in list(entry.subentries.values()):
            if CONF_PASSWORD not in subentry.data:
                continue
            data = dict(subentry.data)
            data[CONF_PASSWORD_HASH] = hash_password(str(data.pop(CONF_PASSWORD)))
            hass.config_entries.async_update_subentry(entry, subentry, data=data)
            hashed += 1
        hass.config_entries.async_update_entry(entry, minor_version=2)
        if hashed:
            _LOGGER.info("%s: %d charge point password(s) now kept as hashes", entry.title, hashed)
    return True
