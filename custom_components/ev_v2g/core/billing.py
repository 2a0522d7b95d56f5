"""Statements: each resident's energy, cost, V2G credit and share of the building's costs.

Built from the ledger's `Usage` for a period; the residents' lines plus `unassigned` add up to what
the stations metered (DESIGN.md section 8). Each line lists the resident's sessions and tariff
bands, and the adjustments of closed periods billed with it. Exported as JSON-ready data here,
as CSV by `statement_csv`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
import math
from typing import Any

from .records import Usage
from .shared_costs import SharedCosts, shared_cents, to_cents
from .statement_parts import Adjustment, Band, SessionLine, kwh

UNASSIGNED = "unassigned"
TOTAL = "total"


@dataclass(frozen=True, kw_only=True)
class ResidentLine:
    """One resident's figures for the period (resident None: the unassigned sessions)."""

    resident: str | None
    name: str
    import_wh: float = 0.0
    export_wh: float = 0.0
    cost: float = 0.0
    """Σ imported kWh * price in force."""
    credit: float = 0.0
    """Σ exported kWh * credit rate in force (V2G)."""
    shared: float = 0.0
    sessions: int = 0
    adjustment: float = 0.0
    """What the adjustments of closed periods add to this bill (money)."""
    session_list: tuple[SessionLine, ...] = ()
    """The sessions' part in the period, in start order."""
    bands: tuple[Band, ...] = ()
    """Energy imported at each price, cheapest first."""

    @property
    def import_kwh(self) -> float:
        """Imported energy as shown, to the Wh."""
        return kwh(self.import_wh)

    @property
    def export_kwh(self) -> float:
        """Exported energy as shown, to the Wh."""
        return kwh(self.export_wh)

    @property
    def net(self) -> float:
        """What the resident owes: cost + shared - credit + adjustment, summed in cents."""
        parts = (self.cost, self.shared, -self.credit, self.adjustment)
        return sum(to_cents(part) for part in parts) / 100

    def figures(self) -> dict[str, float | int]:
        """The line's numbers as shown."""
        return {
            "import_kwh": self.import_kwh,
            "export_kwh": self.export_kwh,
            "cost": self.cost,
            "credit": self.credit,
            "shared": self.shared,
            "adjustment": self.adjustment,
            "net": self.net,
            "sessions": self.sessions,
        }

    def as_dict(self, zone: Any = None) -> dict[str, Any]:
        """JSON-ready: the resident's key and name, the figures, the sessions and the bands."""
        return {
            "resident": self.resident,
            "name": self.name,
            **self.figures(),
            "session_list": [line.as_dict(zone) for line in self.session_list],
            "bands": [band.as_dict() for band in self.bands],
        }


@dataclass(frozen=True, kw_only=True)
class Statement:
    """A period's bill for the building: one line per resident, plus `unassigned`."""

    start: datetime
    end: datetime
    currency: str
    residents: tuple[ResidentLine, ...]
    """Sorted by name."""
    unassigned: ResidentLine
    metered_import_wh: float
    metered_export_wh: float
    """What the stations' own registers moved by in the period (DESIGN.md section 8)."""
    shared_costs: SharedCosts = field(default_factory=SharedCosts)
    """The shared costs it was built with (a closed period's adjustments keep them)."""
    adjustments: tuple[Adjustment, ...] = ()
    """Corrections of closed periods billed with this one."""
    closed_at: datetime | None = None
    """When the period was closed: the statement is then kept as issued."""

    @property
    def metered_import_kwh(self) -> float:
        """Every kWh the stations imported in the period, as shown."""
        return kwh(self.metered_import_wh)

    @property
    def metered_export_kwh(self) -> float:
        """Every kWh the stations exported in the period, as shown."""
        return kwh(self.metered_export_wh)

    @property
    def shared_total(self) -> float:
        """The shared costs billed to residents."""
        return sum(to_cents(line.shared) for line in self.residents) / 100

    @property
    def total(self) -> ResidentLine:
        """The building's totals: metered energy, and money summed from the lines in cents."""
        lines = (*self.residents, self.unassigned)
        return ResidentLine(
            resident=None,
            name=TOTAL,
            import_wh=self.metered_import_wh,
            export_wh=self.metered_export_wh,
            cost=sum(to_cents(line.cost) for line in lines) / 100,
            credit=sum(to_cents(line.credit) for line in lines) / 100,
            shared=self.shared_total,
            sessions=sum(line.sessions for line in lines),
            adjustment=sum(to_cents(line.adjustment) for line in lines) / 100,
        )

    @property
    def balanced(self) -> bool:
        """Whether the lines add up to what was metered (in Wh, before rounding for display)."""
        lines = (*self.residents, self.unassigned)
        return _same_energy(
            math.fsum(line.import_wh for line in lines), self.metered_import_wh
        ) and _same_energy(math.fsum(line.export_wh for line in lines), self.metered_export_wh)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data for a Home Assistant service response."""
        zone = self.start.tzinfo
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "currency": self.currency,
            "closed": self.closed_at is not None,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "residents": [line.as_dict(zone) for line in self.residents],
            "unassigned": self.unassigned.as_dict(zone),
            "adjustments": [adjustment.as_dict() for adjustment in self.adjustments],
            "totals": self.total.figures(),
            "balanced": self.balanced,
        }


def _same_energy(lines_wh: float, metered_wh: float) -> bool:
    """Equal but for float summation error (a mWh, far below the Wh shown)."""
    return math.isclose(lines_wh, metered_wh, rel_tol=1e-9, abs_tol=1e-3)


@dataclass(frozen=True, kw_only=True)
class Details:
    """What a statement lists below the lines, each part naming its resident."""

    sessions: Iterable[SessionLine] = ()
    bands: Iterable[Band] = ()
    adjustments: Iterable[Adjustment] = ()


def build_statement(  # noqa: PLR0917 - the period, the usage and the site, in reading order
    start: datetime,
    end: datetime,
    usages: Iterable[Usage],
    residents: Mapping[str, str],
    shared: SharedCosts,
    currency: str,
    metered: tuple[float, float] | None = None,
    presence: Mapping[str, float] | None = None,
    details: Details | None = None,
) -> Statement:
    """The statement for [start, end) from the ledger's usage, whatever its order.

    `residents` maps the configured residents' keys to names: each gets a line even without usage.
    A key found in usage but no longer configured keeps its line, named from the usage.
    `metered` is what the stations' registers moved by (import, export Wh): the lines must add
    up to it for the statement to balance; by default the usage's own sum. `presence` is how
    long each resident lived here in the period (seconds, from the ledger's residency): shared
    costs split equally go pro rata over it, among those present, whoever is configured now;
    without any residency on record, equally among the configured residents.
    Shared costs go equally to the configured residents (to every resident line if none is
    configured) or by energy to every resident who imported; with no resident line, to nobody.
    `details` are listed on the line of their resident; an adjustment adds to its bill.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a statement's period needs time-zone-aware bounds")
    if end <= start:
        raise ValueError("a statement's period must end after it starts")
    details = details or Details()
    by_resident: dict[str | None, list[Usage]] = {}
    for usage in usages:
        by_resident.setdefault(usage.resident, []).append(usage)
    every = [usage for group in by_resident.values() for usage in group]
    parts = _Parts(details)
    present = {key: seconds for key, seconds in (presence or {}).items() if seconds > 0}
    keys = sorted(
        set(residents)
        | set(present)
        | {key for key in [*by_resident, *parts.adjustments] if key is not None}
    )
    imported = {key: math.fsum(u.import_wh for u in by_resident.get(key, ())) for key in keys}
    if present:
        equal = {key: Fraction(seconds) for key, seconds in present.items()}
    else:
        equal = dict.fromkeys(sorted(residents) or keys, Fraction(1))
    shares = shared_cents(shared, equal, imported)
    lines = [
        parts.line(
            key,
            _name(key, residents, by_resident.get(key, []), parts.adjustments.get(key, [])),
            by_resident.get(key, []),
            shares.get(key, 0),
        )
        for key in keys
    ]
    lines.sort(key=lambda line: (line.name.casefold(), line.name, line.resident or ""))
    return Statement(
        start=start,
        end=end,
        currency=currency,
        residents=tuple(lines),
        unassigned=parts.line(None, UNASSIGNED, by_resident.get(None, []), 0),
        metered_import_wh=math.fsum(usage.import_wh for usage in every)
        if metered is None
        else metered[0],
        metered_export_wh=math.fsum(usage.export_wh for usage in every)
        if metered is None
        else metered[1],
        shared_costs=shared,
        adjustments=tuple(
            sorted(
                (a for group in parts.adjustments.values() for a in group),
                key=lambda a: (a.period_start, a.name.casefold(), a.resident or ""),
            )
        ),
    )


def _name(
    key: str, residents: Mapping[str, str], usages: list[Usage], adjusted: list[Adjustment]
) -> str:
    """The configured name, else the first recorded name in alphabetical order, else the key."""
    if key in residents:
        return residents[key]
    recorded = [u.resident_name for u in usages if u.resident_name]
    return min([*recorded, *(a.name for a in adjusted)], default=key)


class _Parts:
    """The details grouped by resident, and the lines built with them."""

    def __init__(self, details: Details) -> None:
        self.sessions: dict[str | None, list[SessionLine]] = {}
        self.bands: dict[str | None, list[Band]] = {}
        self.adjustments: dict[str | None, list[Adjustment]] = {}
        for session in details.sessions:
            self.sessions.setdefault(session.resident, []).append(session)
        for band in details.bands:
            self.bands.setdefault(band.resident, []).append(band)
        for adjustment in details.adjustments:
            self.adjustments.setdefault(adjustment.resident, []).append(adjustment)

    def line(
        self, key: str | None, name: str, usages: list[Usage], shared_cents: int
    ) -> ResidentLine:
        """A resident's usage summed; fsum keeps the sums independent of the usage order."""
        adjustments = self.adjustments.get(key, [])
        return ResidentLine(
            resident=key,
            name=name,
            import_wh=math.fsum(u.import_wh for u in usages),
            export_wh=math.fsum(u.export_wh for u in usages),
            cost=to_cents(math.fsum(u.cost for u in usages)) / 100,
            credit=to_cents(math.fsum(u.credit for u in usages)) / 100,
            shared=shared_cents / 100,
            sessions=sum(u.sessions for u in usages),
            adjustment=sum(to_cents(a.amount) for a in adjustments) / 100,
            session_list=tuple(
                sorted(self.sessions.get(key, []), key=lambda s: (s.started_at, s.session))
            ),
            bands=tuple(sorted(self.bands.get(key, []), key=lambda band: band.price)),
        )
