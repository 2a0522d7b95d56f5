"""Statements: each resident's energy, cost, V2G credit and share of the building's costs.

Built from the ledger's `Usage` for a period; the residents' lines plus `unassigned` add up to what
the stations metered (DESIGN.md section 8). Exported as JSON-ready data and as CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import csv
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
import io
import math
from typing import Any

from .records import Usage

UNASSIGNED = "unassigned"
TOTAL = "total"
CSV_COLUMNS = (
    "site",
    "period_start",
    "period_end",
    "currency",
    "resident_id",
    "resident",
    "import_kwh",
    "export_kwh",
    "cost",
    "credit",
    "shared",
    "net",
    "sessions",
)


def to_cents(amount: float) -> int:
    """Money in whole cents, halves away from zero as on a bill (repr avoids binary artefacts)."""
    return int(Decimal(repr(amount)).scaleb(2).to_integral_value(ROUND_HALF_UP))


class CostSplit(StrEnum):
    """How the building's shared costs are divided among residents."""

    EQUAL = "equal"
    ENERGY = "energy"
    """In proportion to each resident's imported energy (equally if nobody imported)."""


@dataclass(frozen=True)
class SharedCosts:
    """The building's costs for the period: the chargers' maintenance, the connection's power fee."""

    amount: float = 0.0
    split: CostSplit = CostSplit.EQUAL


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

    @property
    def import_kwh(self) -> float:
        """Imported energy as shown, to the Wh."""
        return round(self.import_wh / 1000, 3) + 0.0

    @property
    def export_kwh(self) -> float:
        """Exported energy as shown, to the Wh."""
        return round(self.export_wh / 1000, 3) + 0.0

    @property
    def net(self) -> float:
        """What the resident owes: cost + shared - credit, summed in cents so it adds up."""
        return (to_cents(self.cost) + to_cents(self.shared) - to_cents(self.credit)) / 100

    def figures(self) -> dict[str, float | int]:
        """The line's numbers as shown."""
        return {
            "import_kwh": self.import_kwh,
            "export_kwh": self.export_kwh,
            "cost": self.cost,
            "credit": self.credit,
            "shared": self.shared,
            "net": self.net,
            "sessions": self.sessions,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the resident's key and name, then the figures."""
        return {"resident": self.resident, "name": self.name, **self.figures()}

    def csv_row(self) -> list[str]:
        """The line's own CSV cells: the resident's id and name, then the figures."""
        money = (self.cost, self.credit, self.shared, self.net)
        return [
            safe_cell(self.resident or ""),
            safe_cell(self.name),
            f"{self.import_kwh:.3f}",
            f"{self.export_kwh:.3f}",
            *(f"{value:.2f}" for value in money),
            str(self.sessions),
        ]


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

    @property
    def metered_import_kwh(self) -> float:
        """Every kWh the stations imported in the period, as shown."""
        return round(self.metered_import_wh / 1000, 3) + 0.0

    @property
    def metered_export_kwh(self) -> float:
        """Every kWh the stations exported in the period, as shown."""
        return round(self.metered_export_wh / 1000, 3) + 0.0

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
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "currency": self.currency,
            "residents": [line.as_dict() for line in self.residents],
            "unassigned": self.unassigned.as_dict(),
            "totals": self.total.figures(),
            "balanced": self.balanced,
        }

    def to_csv(self, site: str = "") -> str:
        """A header, a row per resident, then `unassigned` and `total`.

        Every row names the site, the period and the currency, so rows pasted together from
        several statements still say what they are. Text cells that a spreadsheet would run as
        a formula are neutralised. Write it as UTF-8 with a BOM (`CSV_ENCODING`).
        """
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        head = [safe_cell(site), self.start.isoformat(), self.end.isoformat(), self.currency]
        for line in (*self.residents, self.unassigned, self.total):
            writer.writerow([*head, *line.csv_row()])
        return out.getvalue()


CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: how spreadsheet programs know the names are not Latin-1."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a quote first."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _same_energy(lines_wh: float, metered_wh: float) -> bool:
    """Equal but for float summation error (a mWh, far below the Wh shown)."""
    return math.isclose(lines_wh, metered_wh, rel_tol=1e-9, abs_tol=1e-3)


def build_statement(  # noqa: PLR0917 - the period, the usage and the site, in reading order
    start: datetime,
    end: datetime,
    usages: Iterable[Usage],
    residents: Mapping[str, str],
    shared: SharedCosts,
    currency: str,
    metered: tuple[float, float] | None = None,
    presence: Mapping[str, float] | None = None,
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
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a statement's period needs time-zone-aware bounds")
    if end <= start:
        raise ValueError("a statement's period must end after it starts")
    by_resident: dict[str | None, list[Usage]] = {}
    for usage in usages:
        by_resident.setdefault(usage.resident, []).append(usage)
    every = [usage for group in by_resident.values() for usage in group]
    present = {key: seconds for key, seconds in (presence or {}).items() if seconds > 0}
    keys = sorted(set(residents) | set(present) | {key for key in by_resident if key is not None})
    imported = {key: math.fsum(u.import_wh for u in by_resident.get(key, ())) for key in keys}
    if present:
        equal = {key: Fraction(seconds) for key, seconds in present.items()}
    else:
        equal = dict.fromkeys(sorted(residents) or keys, Fraction(1))
    shares = _shared_cents(shared, equal, imported)
    lines = [
        _line(
            key,
            _name(key, residents, by_resident.get(key, [])),
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
        unassigned=_line(None, UNASSIGNED, by_resident.get(None, []), 0),
        metered_import_wh=math.fsum(usage.import_wh for usage in every)
        if metered is None
        else metered[0],
        metered_export_wh=math.fsum(usage.export_wh for usage in every)
        if metered is None
        else metered[1],
    )


def _name(key: str, residents: Mapping[str, str], usages: list[Usage]) -> str:
    """The configured name, else the first recorded name in alphabetical order, else the key."""
    if key in residents:
        return residents[key]
    return min((u.resident_name for u in usages if u.resident_name), default=key)


def _line(key: str | None, name: str, usages: list[Usage], shared_cents: int) -> ResidentLine:
    """A resident's usage summed; fsum keeps the sums independent of the usage order."""
    return ResidentLine(
        resident=key,
        name=name,
        import_wh=math.fsum(u.import_wh for u in usages),
        export_wh=math.fsum(u.export_wh for u in usages),
        cost=to_cents(math.fsum(u.cost for u in usages)) / 100,
        credit=to_cents(math.fsum(u.credit for u in usages)) / 100,
        shared=shared_cents / 100,
        sessions=sum(u.sessions for u in usages),
    )


def _shared_cents(
    shared: SharedCosts, equal: Mapping[str, Fraction], imported: Mapping[str, float]
) -> dict[str, int]:
    """Each resident's share of the shared costs, in cents adding up to the amount exactly.

    `equal` weighs the residents for an equal split (by the time each lived here).
    """
    cents = to_cents(shared.amount)
    if shared.split is CostSplit.ENERGY:
        weights = {key: Fraction(wh) for key, wh in imported.items() if wh > 0}
        if weights:
            return _largest_remainder(cents, weights)
    return _largest_remainder(cents, equal)


def _largest_remainder(cents: int, weights: Mapping[str, Fraction]) -> dict[str, int]:
    """Whole cents in proportion to the weights; the cents left go to the largest remainders."""
    if not weights:
        return {}
    total = sum(weights.values(), Fraction(0))
    quotas = {key: abs(cents) * weight / total for key, weight in weights.items()}
    shares = {key: math.floor(quota) for key, quota in quotas.items()}
    left = abs(cents) - sum(shares.values())
    # Ties go to the smaller key, so the same inputs always give the same cents.
    for key in sorted(quotas, key=lambda key: (shares[key] - quotas[key], key))[:left]:
        shares[key] += 1
    sign = -1 if cents < 0 else 1
    return {key: sign * share for key, share in shares.items()}
