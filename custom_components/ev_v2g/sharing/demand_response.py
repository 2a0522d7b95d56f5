"""Demand response as power sharing carries it out: the request in force, until when, from whom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
import time

from ..core.allocation import DemandResponse, DemandResponseMode
from .inputs import DemandResponseState


class DemandResponseRequests:
    """The demand-response part of power sharing: requests set, changed and cleared."""

    demand_response: DemandResponseState
    demand_response_power_w: float
    """Power used when the demand-response mode is picked by hand (limit or discharge)."""
    on_demand_response: Callable[[DemandResponseState], None] | None

    def _changed(self) -> None:
        raise NotImplementedError

    def set_demand_response(
        self,
        mode: DemandResponseMode,
        power_w: float = 0.0,
        duration_s: float | None = None,
        source: str | None = None,
    ) -> None:
        """Carry out a demand-response request, until cleared or for `duration_s` seconds."""
        until = time.time() + duration_s if duration_s else None
        self.demand_response = DemandResponseState(
            request=DemandResponse(mode=mode, power_w=power_w), until=until, source=source
        )
        if self.on_demand_response is not None:
            self.on_demand_response(self.demand_response)
        self._changed()

    def set_demand_response_power(self, power_w: float) -> None:
        """Change the power of hand-picked requests, and of the request in force."""
        self.demand_response_power_w = power_w
        state = self.demand_response
        if state.request.mode in (DemandResponseMode.LIMIT, DemandResponseMode.DISCHARGE):
            self.demand_response = replace(
                state, request=DemandResponse(mode=state.request.mode, power_w=power_w)
            )
            if self.on_demand_response is not None:
                self.on_demand_response(self.demand_response)
        self._changed()

    def clear_demand_response(self, source: str | None = None) -> None:
        """Back to normal."""
        if self.demand_response.active or self.demand_response.until is not None:
            self.set_demand_response(DemandResponseMode.NORMAL, source=source)
