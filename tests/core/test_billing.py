"""Statements: resident lines, unassigned, shared costs to the cent, JSON, CSV and periods."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta, timezone
import io
import itertools
import json
from zoneinfo import ZoneInfo

import pytest

from custom_components.ev_v2g.core.billing import ResidentLine, Statement, build_statement
from custom_components.ev_v2g.core.period import (
    PeriodError,
    PeriodReason,
    month_bounds,
    parse_period,
)
from custom_components.ev_v2g.core.records import Usage
from custom_components.ev_v2g.core.shared_costs import CostSplit, SharedCosts, to_cents
from custom_components.ev_v2g.core.statement_csv import CSV_COLUMNS, statement_csv

ROME = ZoneInfo("Europe/Rome")
START, END = datetime(2026, 11, 1, tzinfo=ROME), datetime(2026, 12, 1, tzinfo=ROME)
RESIDENTS = {"r1": "Anna", "r2": "Bruno", "r3": "Carla"}


def usage(
    resident: str | None,
    import_wh: float = 0.0,
    export_wh: float = 0.0,
    *,
    cost: float = 0.0,
    credit: float = 0.0,
    sessions: int = 1,
    station: str = "s1",
    name: str | None = None,
) -> Usage:
    """One resident's usage at one station."""
    return Usage(
        resident=resident,
        resident_name=name,
        station=station,
        import_wh=import_wh,
        export_wh=export_wh,
        cost=cost,
        credit=credit,
        sessions=sessions,
    )


def statement(
    usages: list[Usage],
    residents: dict[str, str] | None = None,
    shared: SharedCosts | None = None,
) -> Statement:
    """November's statement in euros."""
    return build_statement(
        START,
        END,
        usages,
        RESIDENTS if residents is None else residents,
        shared or SharedCosts(),
        "EUR",
    )


def line_of(result: Statement, key: str) -> ResidentLine:
    """The line of the resident with this key."""
    return next(line for line in result.residents if line.resident == key)


def test_each_resident_sums_their_usage() -> None:
    """A resident's stations and sessions add up on one line."""
    result = statement(
        [
            usage("r1", 10_000, cost=3.0, station="s1"),
            usage("r1", 2_500, 1_000, cost=0.75, credit=0.12, sessions=2, station="s2"),
            usage("r2", 4_000, cost=1.2),
        ]
    )
    anna = line_of(result, "r1")
    assert (anna.import_kwh, anna.export_kwh) == (12.5, 1.0)
    assert (anna.cost, anna.credit, anna.shared, anna.net, anna.sessions) == (
        3.75,
        0.12,
        0.0,
        3.63,
        3,
    )
    assert line_of(result, "r2").net == 1.2
    assert result.balanced
    assert result.currency == "EUR"
    assert (result.start, result.end) == (START, END)


def test_every_configured_resident_has_a_line() -> None:
    """A resident who did not charge still appears, at zero, sorted by name."""
    result = statement([usage("r2", 1_000, cost=0.3)])
    assert [line.name for line in result.residents] == ["Anna", "Bruno", "Carla"]
    carla = line_of(result, "r3")
    assert (carla.import_kwh, carla.cost, carla.net, carla.sessions) == (0.0, 0.0, 0.0, 0)


def test_names_sort_case_blind_and_ties_by_key() -> None:
    """Lower-case names sort among the others; equal names keep a fixed order."""
    result = statement([], residents={"b": "bea", "a": "Bea", "c": "Abe", "d": "Bea"})
    assert [(line.name, line.resident) for line in result.residents] == [
        ("Abe", "c"),
        ("Bea", "a"),
        ("Bea", "d"),
        ("bea", "b"),
    ]


def test_unassigned_energy_is_its_own_line() -> None:
    """Sessions nobody claimed are billed to nobody but still counted."""
    result = statement(
        [usage(None, 3_000, 500, cost=0.9, credit=0.05, sessions=2), usage("r1", 1_000, cost=0.3)],
        shared=SharedCosts(30.0),
    )
    assert result.unassigned.resident is None
    assert result.unassigned.name == "unassigned"
    assert (result.unassigned.import_kwh, result.unassigned.export_kwh) == (3.0, 0.5)
    assert (result.unassigned.cost, result.unassigned.credit) == (0.9, 0.05)
    assert result.unassigned.shared == 0.0
    assert result.unassigned.net == 0.85
    assert (result.metered_import_kwh, result.metered_export_kwh) == (4.0, 0.5)
    assert result.balanced


def test_removed_resident_is_still_billed() -> None:
    """Energy of a resident no longer configured is never dropped."""
    result = statement(
        [
            usage("gone", 2_000, cost=0.6, name="Zeno"),
            usage("gone", 1_000, cost=0.3, name="Dario"),
            usage("anon", 500, cost=0.15),
        ]
    )
    gone, anon = line_of(result, "gone"), line_of(result, "anon")
    assert (gone.name, gone.import_kwh, gone.cost, gone.sessions) == ("Dario", 3.0, 0.9, 2)
    assert anon.name == "anon"
    assert result.metered_import_kwh == 3.5
    assert result.balanced


def test_configured_name_wins_over_the_recorded_one() -> None:
    """A renamed resident is shown under today's name."""
    result = statement([usage("r1", 1_000, name="Anna (old)")])
    assert line_of(result, "r1").name == "Anna"


def test_shared_costs_split_equally_to_the_cent() -> None:
    """100.00 over three residents: the leftover cent goes to the first key."""
    result = statement([], shared=SharedCosts(100.0, CostSplit.EQUAL))
    assert [line_of(result, key).shared for key in ("r1", "r2", "r3")] == [33.34, 33.33, 33.33]
    assert result.shared_total == 100.0
    assert [line_of(result, key).net for key in ("r1", "r2", "r3")] == [33.34, 33.33, 33.33]


def test_equal_split_leaves_out_removed_residents() -> None:
    """Someone who has left shares the energy they used but not the building's costs."""
    result = statement([usage("gone", 1_000, cost=0.3)], shared=SharedCosts(30.0))
    assert line_of(result, "gone").shared == 0.0
    assert [line_of(result, key).shared for key in ("r1", "r2", "r3")] == [10.0, 10.0, 10.0]


def test_equal_split_without_configured_residents_uses_the_usage() -> None:
    """With no resident configured, those found in usage share equally."""
    result = statement([usage("x", 1_000), usage("y", 0)], residents={}, shared=SharedCosts(0.05))
    assert [line_of(result, key).shared for key in ("x", "y")] == [0.03, 0.02]


def test_nobody_to_share_with() -> None:
    """A site with no resident line bills no shared costs; unassigned never shares them."""
    result = statement([usage(None, 1_000)], residents={}, shared=SharedCosts(50.0))
    assert result.residents == ()
    assert result.unassigned.shared == 0.0
    assert result.shared_total == 0.0
    assert result.balanced


def test_shared_costs_split_by_energy() -> None:
    """Each importer pays in proportion to the energy they imported."""
    result = statement(
        [usage("r1", 3_000), usage("r2", 1_000), usage("gone", 1_000), usage(None, 5_000)],
        shared=SharedCosts(10.0, CostSplit.ENERGY),
    )
    assert [line_of(result, key).shared for key in ("r1", "r2", "r3", "gone")] == [
        6.0,
        2.0,
        0.0,
        2.0,
    ]
    assert result.unassigned.shared == 0.0
    assert result.shared_total == 10.0


def test_energy_split_remainders_go_to_the_largest() -> None:
    """Cents left after flooring go to the largest fractional parts, then by key."""
    result = statement(
        [usage("r1", 1_000), usage("r2", 1_000), usage("r3", 1_000)],
        shared=SharedCosts(0.02, CostSplit.ENERGY),
    )
    assert [line_of(result, key).shared for key in ("r1", "r2", "r3")] == [0.01, 0.01, 0.0]
    uneven = statement(
        [usage("r1", 1_000), usage("r2", 2_000), usage("r3", 4_000)],
        shared=SharedCosts(1.0, CostSplit.ENERGY),
    )
    # Quotas 14.29, 28.57 and 57.14 cents: the one cent left goes to r2 (.57).
    assert [line_of(uneven, key).shared for key in ("r1", "r2", "r3")] == [0.14, 0.29, 0.57]


def test_energy_split_falls_back_to_equal_when_nobody_imported() -> None:
    """With no imported energy there is no share to weigh by."""
    result = statement([usage("r1", 0, 2_000)], shared=SharedCosts(9.0, CostSplit.ENERGY))
    assert [line_of(result, key).shared for key in ("r1", "r2", "r3")] == [3.0, 3.0, 3.0]


def test_zero_shared_costs() -> None:
    """No shared costs, nothing shared."""
    result = statement([usage("r1", 1_000)], shared=SharedCosts(0.0, CostSplit.ENERGY))
    assert all(line.shared == 0.0 for line in result.residents)
    assert result.shared_total == 0.0


def test_negative_shared_costs_are_a_refund() -> None:
    """A refund to the building is split like a cost, with the same exact cents."""
    result = statement([], shared=SharedCosts(-100.0))
    assert [line_of(result, key).shared for key in ("r1", "r2", "r3")] == [-33.34, -33.33, -33.33]
    assert result.shared_total == -100.0


def test_negative_prices_make_negative_costs() -> None:
    """Charging while the price is below zero earns money."""
    result = statement([usage("r1", 2_000, cost=-0.1)], shared=SharedCosts(3.0))
    anna = line_of(result, "r1")
    assert (anna.cost, anna.shared, anna.net) == (-0.1, 1.0, 0.9)


def test_money_is_rounded_to_the_cent() -> None:
    """Costs are summed, then rounded half away from zero; energy is shown to the Wh."""
    result = statement([usage("r1", 1_234.5678, cost=0.125), usage("r2", 1.0, cost=-0.125)])
    assert line_of(result, "r1").cost == 0.13
    assert line_of(result, "r2").cost == -0.13
    assert line_of(result, "r1").import_kwh == 1.235


def test_to_cents() -> None:
    """Halves round away from zero as printed, not as stored in binary."""
    assert to_cents(1.005) == 101
    assert to_cents(-1.005) == -101
    assert to_cents(2.675) == 268
    assert to_cents(0.0) == 0


def test_totals() -> None:
    """The total line is the metered energy and the sum of the lines' money."""
    result = statement(
        [usage("r1", 1_000, 200, cost=0.3, credit=0.04), usage(None, 500, cost=0.15)],
        shared=SharedCosts(3.0),
    )
    total = result.total
    assert (total.resident, total.name) == (None, "total")
    assert (total.import_kwh, total.export_kwh) == (1.5, 0.2)
    assert (total.cost, total.credit, total.shared, total.net, total.sessions) == (
        0.45,
        0.04,
        3.0,
        3.41,
        2,
    )


def test_unbalanced_statement_is_detected() -> None:
    """A statement whose lines miss energy does not balance."""
    line = ResidentLine(resident="r1", name="Anna", import_wh=1_000.0, export_wh=0.0)
    unassigned = ResidentLine(resident=None, name="unassigned")
    missing_import = Statement(
        start=START,
        end=END,
        currency="EUR",
        residents=(line,),
        unassigned=unassigned,
        metered_import_wh=1_001.0,
        metered_export_wh=0.0,
    )
    missing_export = Statement(
        start=START,
        end=END,
        currency="EUR",
        residents=(line,),
        unassigned=unassigned,
        metered_import_wh=1_000.0,
        metered_export_wh=1.0,
    )
    assert not missing_import.balanced
    assert not missing_export.balanced
    assert missing_import.as_dict()["balanced"] is False


def test_as_dict_is_json_ready() -> None:
    """Service response data: ISO dates and plain numbers."""
    result = statement(
        [usage("r1", 1_000, 100, cost=0.3, credit=0.02), usage(None, 250, cost=0.08)],
        shared=SharedCosts(10.0),
    )
    data = json.loads(json.dumps(result.as_dict()))
    assert data["start"] == "2026-11-01T00:00:00+01:00"
    assert data["end"] == "2026-12-01T00:00:00+01:00"
    assert data["currency"] == "EUR"
    assert data["balanced"] is True
    assert [row["name"] for row in data["residents"]] == ["Anna", "Bruno", "Carla"]
    assert data["residents"][0] == {
        "resident": "r1",
        "name": "Anna",
        "import_kwh": 1.0,
        "export_kwh": 0.1,
        "cost": 0.3,
        "credit": 0.02,
        "shared": 3.34,
        "adjustment": 0.0,
        "net": 3.62,
        "sessions": 1,
        "session_list": [],
        "bands": [],
    }
    assert (data["closed"], data["closed_at"], data["adjustments"]) == (False, None, [])
    assert data["unassigned"]["resident"] is None
    assert data["unassigned"]["import_kwh"] == 0.25
    assert data["totals"] == {
        "import_kwh": 1.25,
        "export_kwh": 0.1,
        "cost": 0.38,
        "credit": 0.02,
        "shared": 10.0,
        "adjustment": 0.0,
        "net": 10.36,
        "sessions": 2,
    }


def test_csv_reads_back() -> None:
    """A header, one row per resident, unassigned and total; names with commas are quoted.

    Each row names the site, the period and the currency.
    """
    result = statement(
        [usage("r1", 1_000, 100, cost=0.3, credit=0.02), usage(None, 250, cost=0.08)],
        residents={"r1": "Rossi, Anna", "r2": 'Bruno "B"'},
        shared=SharedCosts(1.0),
    )
    text = statement_csv(result, "Via Roma 3")
    assert '"Rossi, Anna"' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_COLUMNS)
    head = ["Via Roma 3", START.isoformat(), END.isoformat(), "EUR", ""]
    assert rows[1:] == [
        [*head, "r2", 'Bruno "B"', "0.000", "0.000", "0.00", "0.00", "0.50", "0.00", "0.50", "0"],
        [*head, "r1", "Rossi, Anna", "1.000", "0.100", "0.30", "0.02", "0.50", "0.00", "0.78", "1"],
        [*head, "", "unassigned", "0.250", "0.000", "0.08", "0.00", "0.00", "0.00", "0.08", "1"],
        [*head, "", "total", "1.250", "0.100", "0.38", "0.02", "1.00", "0.00", "1.36", "2"],
    ]


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\tTab"]
)
def test_csv_cells_never_run_as_formulas(name: str) -> None:
    """A name a spreadsheet would run as a formula is written as text (a quote first)."""
    result = statement([usage("r1", 1_000)], residents={"r1": name}, shared=SharedCosts())
    rows = list(csv.reader(io.StringIO(statement_csv(result, "=site"))))
    assert rows[1][0] == "'=site"
    assert rows[1][6] == f"'{name}"
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_period_bounds_must_be_aware_and_ordered() -> None:
    """A statement needs a real period."""
    with pytest.raises(ValueError, match="aware"):
        build_statement(START.replace(tzinfo=None), END, [], {}, SharedCosts(), "EUR")
    with pytest.raises(ValueError, match="aware"):
        build_statement(START, END.replace(tzinfo=None), [], {}, SharedCosts(), "EUR")
    with pytest.raises(ValueError, match="after"):
        build_statement(END, START, [], {}, SharedCosts(), "EUR")
    with pytest.raises(ValueError, match="after"):
        build_statement(START, START, [], {}, SharedCosts(), "EUR")


def test_usages_may_be_any_iterable() -> None:
    """A generator is read once."""
    result = build_statement(
        START, END, (usage("r1", 1_000) for _ in range(3)), RESIDENTS, SharedCosts(), "EUR"
    )
    assert line_of(result, "r1").import_kwh == 3.0
    assert result.metered_import_kwh == 3.0


def test_month_bounds() -> None:
    """A month runs from its first instant to the next month's."""
    assert month_bounds(2026, 11, ROME) == (START, END)
    start, end = month_bounds(2026, 12, ROME)
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=ROME), datetime(2027, 1, 1, tzinfo=ROME))
    assert month_bounds(2026, 2, UTC) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(("month", "hours"), [(3, 31 * 24 - 1), (10, 31 * 24 + 1), (4, 30 * 24)])
def test_month_bounds_across_dst(month: int, hours: int) -> None:
    """In Rome March loses an hour and October gains one."""
    start, end = month_bounds(2026, month, ROME)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)
    assert (start.hour, end.hour) == (0, 0)


def test_month_bounds_when_midnight_is_skipped() -> None:
    """Where clocks jump at midnight, the month starts at the first instant that exists."""
    asuncion = ZoneInfo("America/Asuncion")
    start, _ = month_bounds(2017, 10, asuncion)
    _, september_end = month_bounds(2017, 9, asuncion)
    assert (start.day, start.hour) == (1, 1)
    assert start.utcoffset() == timedelta(hours=-3)
    assert start.astimezone(UTC) == september_end.astimezone(UTC)
    assert start.astimezone(UTC) == datetime(2017, 10, 1, 4, tzinfo=UTC)


def test_months_tile_the_year() -> None:
    """Each month ends where the next begins: no instant is billed twice or never."""
    bounds = [month_bounds(2026, month, ROME) for month in range(1, 13)]
    for (_, end), (start, _) in itertools.pairwise(bounds):
        assert end == start


def test_parse_period() -> None:
    """A month typed as YYYY-MM, with spaces or a one-digit month."""
    assert parse_period("2026-11", ROME) == (START, END)
    assert parse_period(" 2026-3 ", ROME) == month_bounds(2026, 3, ROME)
    fixed = timezone(timedelta(hours=2))
    assert parse_period("2026-01", fixed)[0] == datetime(2026, 1, 1, tzinfo=fixed)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", PeriodReason.SYNTAX),
        ("November", PeriodReason.SYNTAX),
        ("2026-11-01", PeriodReason.SYNTAX),
        ("26-11", PeriodReason.SYNTAX),
        ("2026/11", PeriodReason.SYNTAX),
        ("\uff12\uff10\uff12\uff16-11", PeriodReason.SYNTAX),  # full-width digits
        ("2026-13", PeriodReason.MONTH),
        ("2026-00", PeriodReason.MONTH),
        ("0000-05", PeriodReason.RANGE),
        ("9999-12", PeriodReason.RANGE),
        ("0001-01", PeriodReason.RANGE),
    ],
)
def test_parse_period_mistakes(text: str, reason: PeriodReason) -> None:
    """Each mistake has a reason HA can translate."""
    with pytest.raises(PeriodError) as caught:
        parse_period(text, ROME)
    assert caught.value.reason is reason
    assert caught.value.text == text
    assert str(caught.value) == f"{reason}: {text!r}"


def test_shared_costs_go_pro_rata_over_the_residents_present() -> None:
    """10.00 shared: Ann lived here all month, Ben a quarter of it, Cleo (gone) half of it.

    Cleo is no longer configured and still pays her part; the weights are 4 : 1 : 2.
    """
    month = (END - START).total_seconds()
    result = build_statement(
        START,
        END,
        [],
        {"ann": "Ann", "ben": "Ben", "cleo": "Cleo"},
        SharedCosts(10.0),
        "EUR",
        None,
        {"ann": month, "ben": month / 4, "cleo": month / 2},
    )
    shares = {line.resident: line.shared for line in result.residents}
    assert shares == {"ann": 5.71, "ben": 1.43, "cleo": 2.86}
    assert sum(shares.values()) == pytest.approx(10.0)
