"""The parts of a statement below a resident's line: sessions, tariff bands and adjustments.

Each names its resident (None: unassigned), so that the ledger's rows can be handed to
`build_statement` in any order. Energy is in Wh as metered, money as summed from the readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .shared_costs import to_cents


def kwh(wh: float) -> float:
    """Energy as a statement shows it: kWh to the Wh (and never -0.0)."""
    return round(wh / 1000, 3) + 0.0


def cents(amount: float) -> float:
    """Money as a statement shows it, to the cent."""
    return round(amount, 2) + 0.0


@dataclass(frozen=True, kw_only=True)
class SessionLine:
    """What one session took and gave in the period (only the part inside it)."""

    session: str
    resident: str | None
    station: str
    """The station's name as the user knows it (its key when it is no longer configured)."""
    started_at: float
    ended_at: float | None
    """None: still running when the statement was built."""
    import_wh: float
    export_wh: float
    cost: float
    credit: float

    def as_dict(self, zone: Any) -> dict[str, Any]:
        """JSON-ready, times in the statement's time zone."""
        return {
            "session_id": self.session,
            "station": self.station,
            "start": datetime.fromtimestamp(self.started_at, zone).isoformat(),
            "end": None
            if self.ended_at is None
            else datetime.fromtimestamp(self.ended_at, zone).isoformat(),
            "import_kwh": kwh(self.import_wh),
            "export_kwh": kwh(self.export_wh),
            "cost": cents(self.cost),
            "credit": cents(self.credit),
        }


@dataclass(frozen=True, kw_only=True)
class Band:
    """A resident's energy imported at one price (one band of a time-of-use tariff)."""

    resident: str | None
    price: float
    import_wh: float
    cost: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"price": self.price, "import_kwh": kwh(self.import_wh), "cost": cents(self.cost)}


@dataclass(frozen=True, kw_only=True)
class Adjustment:
    """A correction of a closed period's line, billed in the next period still open.

    The difference between the period as it reads now (a session re-assigned, readings written
    late) and what its statement and earlier adjustments already billed.
    """

    period_start: datetime
    period_end: datetime
    resident: str | None
    name: str
    import_wh: float = 0.0
    export_wh: float = 0.0
    cost: float = 0.0
    credit: float = 0.0
    shared: float = 0.0

    @property
    def amount(self) -> float:
        """What it adds to the resident's bill: cost + shared - credit, in cents."""
        return (to_cents(self.cost) + to_cents(self.shared) - to_cents(self.credit)) / 100

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "resident": self.resident,
            "name": self.name,
            "import_kwh": kwh(self.import_wh),
            "export_kwh": kwh(self.export_wh),
            "cost": cents(self.cost),
            "credit": cents(self.credit),
            "shared": cents(self.shared),
            "amount": self.amount,
        }
