"""What a site keeps of its charge points across a restart: transactions and the newest sample.

A charge point keeps charging while Home Assistant restarts. Knowing its transaction at once
lets the session on record resume, and knowing the timestamp of the newest sample applied lets
a charge point's re-sent meter values be ignored rather than counted again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.helpers.storage import Store

from ..transport.ocpp.central import new_site_tag
from ..transport.ocpp.model import ChargePointState, Transaction

if TYPE_CHECKING:
    from ..transport.ocpp.central import CentralSystem

MAX_ID_TAG_LENGTH = 20
"""OCPP 1.6 idTag: CiString20."""

type Saved = dict[str, Any]


def saved_states(central: CentralSystem, charge_points: set[str]) -> Saved:
    """The part of the central system's state of `charge_points` worth keeping."""
    kept: dict[str, Any] = {}
    for charge_point_id in sorted(charge_points):
        state = central.states.get(charge_point_id)
        if state is None:
            continue
        kept[charge_point_id] = {
            str(number): {
                "transaction": None
                if connector.transaction is None
                else asdict(connector.transaction),
                "sample_at": connector.sample_at,
                "energy_import_wh": connector.energy_import_wh,
                "energy_export_wh": connector.energy_export_wh,
            }
            for number, connector in state.connectors.items()
        }
    return {"last_transaction_id": central.last_transaction_id, "charge_points": kept}


def restore_states(
    central: CentralSystem, saved: Mapping[str, Any], charge_points: set[str]
) -> None:
    """Put back what was kept, for charge points the central system does not know yet."""
    central.last_transaction_id = max(
        central.last_transaction_id, int(saved.get("last_transaction_id") or 0)
    )
    for charge_point_id, connectors in (saved.get("charge_points") or {}).items():
        if charge_point_id not in charge_points or charge_point_id in central.states:
            continue
        state = ChargePointState(id=charge_point_id)
        for number, kept in connectors.items():
            connector = state.connector(int(number))
            if (transaction := kept.get("transaction")) is not None:
                connector.transaction = Transaction(**transaction)
            connector.sample_at = kept.get("sample_at")
            connector.energy_import_wh = kept.get("energy_import_wh")
            connector.energy_export_wh = kept.get("energy_export_wh")
        central.states[charge_point_id] = state


async def async_site_tag(store: Store[dict[str, Any]]) -> str:
    """The site's secret remote-start tag: the one kept, or a new one, kept from now on."""
    saved = await store.async_load() or {}
    tag = saved.get("tag")
    if isinstance(tag, str) and 0 < len(tag) <= MAX_ID_TAG_LENGTH:
        return tag
    tag = new_site_tag()
    await store.async_save({"tag": tag})
    return tag
