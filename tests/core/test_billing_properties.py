"""Properties of statements over random usage (hypothesis): balanced, exact cents, any order."""

from __future__ import annotations

from datetime import datetime
import random
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from custom_components.ev_v2g.core.billing import Statement, build_statement
from custom_components.ev_v2g.core.records import Usage
from custom_components.ev_v2g.core.shared_costs import CostSplit, SharedCosts, to_cents
from custom_components.ev_v2g.core.statement_csv import statement_csv

ROME = ZoneInfo("Europe/Rome")
START, END = datetime(2026, 3, 1, tzinfo=ROME), datetime(2026, 4, 1, tzinfo=ROME)
KEYS = [None, "r1", "r2", "r3", "r4", "gone1", "gone2"]


def random_usages(rng: random.Random, count: int) -> list[Usage]:
    """`count` usages of random residents (None included) at random stations.

    Drawn from a seeded generator: hypothesis picks the seed and the count, and shrinks the count.
    """
    result = []
    for _ in range(count):
        resident = rng.choice(KEYS)
        import_wh = rng.choice([0.0, rng.uniform(0, 80_000), rng.uniform(0, 1e9)])
        export_wh = rng.choice([0.0, rng.uniform(0, 20_000)])
        result.append(
            Usage(
                resident=resident,
                resident_name=rng.choice([None, "Zoe", "Abe", f"name of {resident}"]),
                station=f"s{rng.randint(0, 9)}",
                import_wh=import_wh,
                export_wh=export_wh,
                cost=import_wh / 1000 * rng.uniform(-0.1, 0.6),
                credit=export_wh / 1000 * rng.uniform(0, 0.3),
                sessions=rng.randint(0, 5),
            )
        )
    return result


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[Usage], dict[str, str], SharedCosts]:
    """Random usage, configured residents and shared costs."""
    usages = random_usages(random.Random(draw(st.integers(0, 2**32))), draw(st.integers(0, 60)))
    configured = draw(st.lists(st.sampled_from(["r1", "r2", "r3", "r4"]), unique=True))
    names = {
        key: draw(st.sampled_from(["Anna", "Bruno", "anna", "Rossi, C"])) for key in configured
    }
    cents = draw(st.integers(-100_000, 10_000_000))
    split = draw(st.sampled_from(CostSplit))
    return usages, names, SharedCosts(cents / 100, split)


def build(usages: list[Usage], residents: dict[str, str], shared: SharedCosts) -> Statement:
    """March's statement in euros."""
    return build_statement(START, END, usages, residents, shared, "EUR")


@given(cases())
def test_statement_balances(case: tuple[list[Usage], dict[str, str], SharedCosts]) -> None:
    """The residents plus unassigned add up to what the stations metered."""
    usages, residents, shared = case
    assert build(usages, residents, shared).balanced


@given(cases())
def test_every_resident_and_station_is_counted(
    case: tuple[list[Usage], dict[str, str], SharedCosts],
) -> None:
    """Every configured resident and every resident in the usage has exactly one line."""
    usages, residents, shared = case
    statement = build(usages, residents, shared)
    keys = [line.resident for line in statement.residents]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(residents) | {u.resident for u in usages if u.resident is not None}
    assert statement.total.sessions == sum(u.sessions for u in usages)


@given(cases())
def test_shared_costs_add_up_to_the_cent(
    case: tuple[list[Usage], dict[str, str], SharedCosts],
) -> None:
    """Σ shared equals the amount exactly, whenever there is someone to share it with."""
    usages, residents, shared = case
    statement = build(usages, residents, shared)
    total_cents = sum(to_cents(line.shared) for line in statement.residents)
    assert total_cents == (to_cents(shared.amount) if statement.residents else 0)
    assert to_cents(statement.unassigned.shared) == 0
    shares = sorted(to_cents(line.shared) for line in statement.residents if line.shared)
    if shared.split is CostSplit.EQUAL and shares:
        # Equal shares differ by one cent at most.
        assert shares[-1] - shares[0] <= 1


@given(cases())
def test_net_is_cost_plus_shared_minus_credit(
    case: tuple[list[Usage], dict[str, str], SharedCosts],
) -> None:
    """On every line, totals included, net = cost + shared - credit to the cent."""
    usages, residents, shared = case
    statement = build(usages, residents, shared)
    for line in (*statement.residents, statement.unassigned, statement.total):
        assert to_cents(line.net) == (
            to_cents(line.cost) + to_cents(line.shared) - to_cents(line.credit)
        )


@given(cases(), st.randoms(use_true_random=False))
def test_order_of_usage_does_not_matter(
    case: tuple[list[Usage], dict[str, str], SharedCosts], rng: random.Random
) -> None:
    """The same usage in any order gives the same statement, down to the last bit."""
    usages, residents, shared = case
    shuffled = usages.copy()
    rng.shuffle(shuffled)
    first, second = build(usages, residents, shared), build(shuffled, residents, shared)
    assert first == second
    assert statement_csv(first) == statement_csv(second)
