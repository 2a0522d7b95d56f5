"""Repair flows: the fixes a user can make from a repair issue."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


class UnlockAddressFlow(ConfirmRepairFlow):
    """Let an address locked out of a site's OCPP port for wrong passwords try again."""

    def __init__(self, entry_id: str, address: str) -> None:
        """Unlock ``address`` on the site ``entry_id``."""
        super().__init__()
        self.entry_id = entry_id
        self.address = address

    async def async_step_confirm(self, user_input: dict[str, str] | None = None) -> FlowResult:
        """On confirmation, the address may log in again (the issue goes away)."""
        if user_input is not None:
            entry = self.hass.config_entries.async_get_entry(self.entry_id)
            runtime = getattr(entry, "runtime_data", None) if entry is not None else None
            if runtime is not None and runtime.charge_points is not None:
                runtime.charge_points.central.unlock(self.address)
        return await super().async_step_confirm(user_input)


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow that fixes a fixable issue of ours."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    if data is None and issue is not None:
        data = issue.data
    if data is None or "address" not in data:
        raise ValueError(f"no fix for repair issue {issue_id}")
    return UnlockAddressFlow(str(data["entry_id"]), str(data["address"]))
