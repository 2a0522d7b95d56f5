"""Energy, cost and credit added up: per session, per resident and month."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.records import Reading, Session, Usage


@dataclass(kw_only=True)
class Totals:
    """Energy, cost and credit added up over readings."""

    import_wh: float = 0.0
    export_wh: float = 0.0
    cost: float = 0.0
    credit: float = 0.0

    def add(self, usage: Usage) -> None:
        """Add one usage row."""
        self.import_wh += usage.import_wh
        self.export_wh += usage.export_wh
        self.cost += usage.cost
        self.credit += usage.credit


def usage_between(reading: Reading, last: Reading, session: Session | None) -> Usage:
    """What a station took and gave between two readings, for `session` (None: no one)."""
    imported = reading.import_wh - last.import_wh
    exported = reading.export_wh - last.export_wh
    return Usage(
        resident=None if session is None else session.resident,
        resident_name=None,
        station=reading.station,
        import_wh=imported,
        export_wh=exported,
        cost=imported / 1000 * reading.price,
        credit=exported / 1000 * reading.credit_rate,
        sessions=0,
    )


def totals_of(usage: Usage | None) -> Totals:
    """Totals of one usage row (zero for None)."""
    totals = Totals()
    if usage is not None:
        totals.add(usage)
    return totals
