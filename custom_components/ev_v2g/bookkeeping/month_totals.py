"""Every resident's totals for the current month, and who listens to them (the resident sensors)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from homeassistant.util import dt as dt_util

from ..core.period import month_bounds
from ..core.records import Usage
from .totals import Totals


def this_month() -> tuple[datetime, datetime]:
    """The current calendar month in Home Assistant's time zone."""
    now = dt_util.now()
    return month_bounds(now.year, now.month, dt_util.get_default_time_zone())


class MonthTotals:
    """The month's totals by resident (None: energy nobody's session took)."""

    def __init__(self) -> None:
        """This month, nothing counted yet."""
        self.month: tuple[datetime, datetime] = this_month()
        self._totals: dict[str | None, Totals] = {}
        self._listeners: dict[str | None, list[Callable[[], None]]] = {}

    def add_listener(
        self, resident: str | None, listener: Callable[[], None]
    ) -> Callable[[], None]:
        """Call listener when this resident's totals change; returns its remover."""
        listeners = self._listeners.setdefault(resident, [])
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    def of(self, resident: str | None) -> Totals:
        """A resident's totals for the month."""
        return self._totals.get(resident) or Totals()

    def replace(self, month: tuple[datetime, datetime], usages: Iterable[Usage]) -> None:
        """The month's totals from the ledger's rows; everybody listening hears it."""
        totals: dict[str | None, Totals] = {}
        for usage in usages:
            totals.setdefault(usage.resident, Totals()).add(usage)
        self.month, self._totals = month, totals
        for listeners in self._listeners.values():
            for listener in list(listeners):
                listener()

    def add(self, at: datetime, resident: str | None, usage: Usage) -> None:
        """A reading at `at` adds `usage` to a resident; one of a later month starts that month."""
        if at >= self.month[1]:
            self.month, self._totals = this_month(), {}
        self._totals.setdefault(resident, Totals()).add(usage)
        for listener in list(self._listeners.get(resident, ())):
            listener()
