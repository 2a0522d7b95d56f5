"""The ledger's records on SQLite and PostgreSQL: sessions, readings, usage, assignments, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
import json

import pytest
import sqlalchemy as sa

from custom_components.ev_v2g.core.billing import build_statement
from custom_components.ev_v2g.core.ledger import (
    Ledger,
    LedgerError,
    LedgerUnavailableError,
    UnknownSessionError,
    WriteResult,
)
from custom_components.ev_v2g.core.ledger_details import ClosedPeriod, PeriodClosedError
from custom_components.ev_v2g.core.ledger_schema import readings
from custom_components.ev_v2g.core.records import (
    Assignment,
    AuditEntry,
    EndReason,
    Residency,
    SessionClosed,
    Usage,
)
from custom_components.ev_v2g.core.shared_costs import SharedCosts

from .build import reading, session


def by_resident(usages: list[Usage]) -> dict[tuple[str | None, str], tuple[float, float]]:
    """(resident, station) -> (import Wh, export Wh)."""
    return {(u.resident, u.station): (u.import_wh, u.export_wh) for u in usages}


def test_sessions_round_trip(ledger: Ledger) -> None:
    """A session reads back as written, is open until closed, and is written once."""
    started = session("s1")
    other = session("s2", station="st2", resident=None, started_at=1500.0)
    assert ledger.write([started, other, started]) == WriteResult(accepted=0, stale=0)

    assert ledger.session("s1") == started
    assert ledger.session("nope") is None
    assert [s.id for s in ledger.open_sessions()] == ["s1", "s2"]

    closed = SessionClosed(
        session="s1",
        ended_at=2000.0,
        reason=EndReason.UNPLUGGED,
        import_stop_wh=5000.0,
        export_stop_wh=10.0,
    )
    ledger.write([closed, closed])
    ended = ledger.session("s1")
    assert ended is not None
    assert (ended.ended_at, ended.end_reason, ended.import_stop_wh, ended.export_stop_wh) == (
        2000.0,
        EndReason.UNPLUGGED,
        5000.0,
        10.0,
    )
    assert [s.id for s in ledger.open_sessions()] == ["s2"]

    actions = [(entry.action, entry.session) for entry in ledger.audit()]
    assert actions == [
        ("session_started", "s1"),
        ("session_started", "s2"),
        ("session_ended", "s1"),
    ]
    started_entry = ledger.audit("s1")[0]
    assert (started_entry.user_id, started_entry.context_id) == ("user-1", "ctx-1")
    assert json.loads(started_entry.detail) == {
        "kind": "user",
        "by": "Ann",
        "user_id": "user-1",
        "context_id": "ctx-1",
        "id_tag": None,
        "resident": "ann",
    }
    assert json.loads(ledger.audit("s1")[1].detail)["reason"] == "unplugged"


def test_sessions_between(ledger: Ledger) -> None:
    """Sessions overlapping [start, end): running ones, and ended ones ending after start."""
    ledger.write(
        [
            session("early", started_at=0.0),
            SessionClosed(
                session="early",
                ended_at=100.0,
                reason=EndReason.FULL,
                import_stop_wh=None,
                export_stop_wh=None,
            ),
            session("running", station="st2", started_at=50.0),
            session("late", station="st3", started_at=300.0),
        ]
    )
    assert [s.id for s in ledger.sessions_between(100.0, 300.0)] == ["running"]
    assert [s.id for s in ledger.sessions_between(99.0, 301.0)] == ["early", "running", "late"]


def test_readings_become_deltas(ledger: Ledger) -> None:
    """The first reading is a baseline; later ones add their deltas, cost and credit."""
    result = ledger.write(
        [
            session("s1"),
            reading(1000.0, 10_000.0, 500.0),
            reading(1060.0, 12_000.0, 500.0, price=0.5),
            reading(1120.0, 12_000.0, 1_500.0, credit_rate=0.2),
        ]
    )
    assert result == WriteResult(accepted=3, stale=0)
    [usage] = ledger.usage(0.0, 10_000.0)
    assert usage == Usage(
        resident="ann",
        resident_name="Ann",
        station="st1",
        import_wh=2000.0,
        export_wh=1000.0,
        cost=pytest.approx(1.0),
        credit=pytest.approx(0.2),
        sessions=1,
    )


def test_stale_readings_are_skipped(ledger: Ledger) -> None:
    """Replayed, out-of-order and backwards readings are counted as stale, never twice."""
    ledger.write([session("s1"), reading(1000.0, 0.0), reading(1060.0, 1000.0)])
    result = ledger.write(
        [
            reading(1060.0, 1000.0),  # replayed
            reading(1030.0, 500.0),  # out of order
            reading(1090.0, 900.0),  # import stepped back
            reading(1090.0, 1100.0, -1.0),  # export stepped back
            reading(1120.0, 1500.0),
            reading(1120.0, 1600.0),  # same time again
        ]
    )
    assert result == WriteResult(accepted=1, stale=5)
    assert by_resident(ledger.usage(0.0, 10_000.0)) == {("ann", "st1"): (1500.0, 0.0)}
    assert ledger.last_readings()["st1"].at == 1120.0


def test_usage_groups_residents_and_unassigned(ledger: Ledger) -> None:
    """Per resident and station; no session, or a session without resident, is unassigned."""
    ledger.write(
        [
            session("s1", station="st1", resident="ann"),
            session("s2", station="st2", resident=None),
            session("s3", station="st3", resident="bob"),
            reading(1000.0, 0.0, station="st1", session_id="s1"),
            reading(1060.0, 100.0, station="st1", session_id="s1"),
            reading(1000.0, 0.0, station="st2", session_id="s2"),
            reading(1060.0, 200.0, station="st2", session_id="s2"),
            reading(1120.0, 250.0, station="st2", session_id=None),
            reading(1000.0, 0.0, station="st3", session_id="s3"),
            reading(1060.0, 400.0, 30.0, station="st3", session_id="s3"),
            reading(1120.0, 420.0, 30.0, station="st3", session_id=None),
        ]
    )
    usages = ledger.usage(0.0, 10_000.0)
    assert by_resident(usages) == {
        ("ann", "st1"): (100.0, 0.0),
        ("bob", "st3"): (400.0, 30.0),
        (None, "st2"): (250.0, 0.0),
        (None, "st3"): (20.0, 0.0),
    }
    sessions = {(u.resident, u.station): u.sessions for u in usages}
    assert sessions == {("ann", "st1"): 1, ("bob", "st3"): 1, (None, "st2"): 1, (None, "st3"): 0}
    assert ledger.usage(5000.0, 6000.0) == []


def test_usage_period_bounds(ledger: Ledger) -> None:
    """A reading at the period's start counts; one at its end belongs to the next period."""
    ledger.write(
        [
            session("s1"),
            reading(1000.0, 0.0),
            reading(2000.0, 100.0),
            reading(3000.0, 300.0),
            reading(4000.0, 700.0),
        ]
    )
    assert by_resident(ledger.usage(2000.0, 4000.0)) == {("ann", "st1"): (300.0, 0.0)}
    assert by_resident(ledger.usage(4000.0, 5000.0)) == {("ann", "st1"): (400.0, 0.0)}
    assert by_resident(ledger.usage(1000.0, 2000.0)) == {("ann", "st1"): (0.0, 0.0)}


def test_assignment_moves_energy(ledger: Ledger) -> None:
    """Assigning a session moves its energy to the new resident, and is audited."""
    ledger.write(
        [session("s1", resident=None), reading(1000.0, 0.0), reading(1060.0, 800.0, price=1.0)]
    )
    assert by_resident(ledger.usage(0.0, 5000.0)) == {(None, "st1"): (800.0, 0.0)}

    move = Assignment(
        session="s1",
        resident="bob",
        resident_name="Bob",
        at=3000.0,
        user_id="admin",
        context_id="ctx-9",
    )
    ledger.write([move])
    [usage] = ledger.usage(0.0, 5000.0)
    assert (usage.resident, usage.resident_name, usage.import_wh) == ("bob", "Bob", 800.0)
    assert usage.cost == pytest.approx(0.8)
    moved = ledger.session("s1")
    assert moved is not None
    assert (moved.resident, moved.resident_name) == ("bob", "Bob")

    entry = ledger.audit("s1")[-1]
    assert (entry.action, entry.at, entry.user_id, entry.context_id) == (
        "session_assigned",
        3000.0,
        "admin",
        "ctx-9",
    )
    assert json.loads(entry.detail) == {"from": None, "to": "bob"}

    ledger.write([Assignment(session="s1", resident=None, resident_name=None, at=3100.0)])
    assert by_resident(ledger.usage(0.0, 5000.0)) == {(None, "st1"): (800.0, 0.0)}
    assert json.loads(ledger.audit("s1")[-1].detail) == {"from": "bob", "to": None}


@pytest.mark.parametrize(
    "bad",
    [
        Assignment(session="ghost", resident="bob", resident_name="Bob", at=2000.0),
        SessionClosed(
            session="ghost",
            ended_at=2000.0,
            reason=EndReason.STOPPED,
            import_stop_wh=None,
            export_stop_wh=None,
        ),
    ],
)
def test_unknown_session_rolls_back_the_batch(
    ledger: Ledger, bad: Assignment | SessionClosed
) -> None:
    """A record naming an unknown session writes nothing of its batch, and moves no meter."""
    ledger.write(
        [session("s0", station="st0"), reading(900.0, 50.0, station="st0", session_id="s0")]
    )
    batch = [session("s1"), reading(1000.0, 0.0), reading(1060.0, 500.0)]
    with pytest.raises(UnknownSessionError, match="ghost"):
        ledger.write([*batch, bad])
    assert isinstance(UnknownSessionError("x"), LedgerError)
    assert not isinstance(UnknownSessionError("x"), LedgerUnavailableError)
    assert ledger.session("s1") is None
    assert [entry.session for entry in ledger.audit()] == ["s0"]
    assert set(ledger.last_readings()) == {"st0"}

    # The same readings, without the bad record, are new: nothing was cached.
    assert ledger.write(batch) == WriteResult(accepted=2, stale=0)
    assert by_resident(ledger.usage(0.0, 5000.0))[("ann", "st1")] == (500.0, 0.0)


def test_reading_of_unknown_session_is_refused(ledger: Ledger) -> None:
    """The database's foreign key refuses a reading of a session it does not hold."""
    with pytest.raises(LedgerError, match="refused") as caught:
        ledger.write([reading(1000.0, 0.0, session_id="ghost")])
    assert not isinstance(caught.value, LedgerUnavailableError)
    assert ledger.last_readings() == {}


def test_audit_entries_and_order(ledger: Ledger) -> None:
    """Audit entries are stored as given and read back in time order."""
    later = AuditEntry(at=50.0, action="settings_changed", user_id="u", detail='{"a": 1}')
    earlier = AuditEntry(at=10.0, action="site_started")
    ledger.write([later, earlier])
    assert ledger.audit() == [earlier, later]
    assert ledger.audit("s1") == []


def test_a_retried_batch_audits_once(ledger: Ledger) -> None:
    """A batch written again (its commit was in doubt) adds no second audit row."""
    entry = AuditEntry(at=10.0, action="site_started")
    move = Assignment(session="s1", resident="bob", resident_name="Bob", at=3000.0)
    batch = [session("s1", resident=None), entry, move]
    ledger.write(batch)
    ledger.write(batch)
    actions = [(row.action, row.at) for row in ledger.audit()]
    assert actions == [
        ("site_started", 10.0),
        ("session_started", 1000.0),
        ("session_assigned", 3000.0),
    ]
    assert json.loads(ledger.audit("s1")[-1].detail) == {"from": None, "to": "bob"}


def test_last_readings_survive_a_restart(ledger_url: str) -> None:
    """Reopened, the ledger resumes each station's meter and still drops replays."""
    first = Ledger(ledger_url)
    first.open()
    first.write(
        [
            session("s1"),
            reading(1000.0, 0.0),
            reading(1060.0, 700.0),
            reading(1000.0, 0.0, station="st2", session_id=None),
            reading(1030.0, 40.0, 5.0, station="st2", session_id=None),
        ]
    )
    before = first.last_readings()
    first.close()
    first.close()  # closing twice is harmless

    second = Ledger(ledger_url)
    second.open()
    second.open()  # opening twice is harmless
    try:
        assert second.last_readings() == before
        assert before["st1"] == reading(1060.0, 700.0)
        result = second.write([reading(1060.0, 700.0), reading(1120.0, 900.0)])
        assert result == WriteResult(accepted=1, stale=1)
        assert by_resident(second.usage(0.0, 5000.0))[("ann", "st1")] == (900.0, 0.0)
    finally:
        second.close()


def test_closed_ledger_refuses_work(ledger_url: str) -> None:
    """Nothing can be read or written before open or after close."""
    ledger = Ledger(ledger_url)
    with pytest.raises(LedgerError, match="not open"):
        _ = ledger.schema_version
    ledger.open()
    ledger.close()
    with pytest.raises(LedgerError, match="not open"):
        ledger.write([])
    with pytest.raises(LedgerError, match="not open"):
        ledger.usage(0.0, 1.0)
    with pytest.raises(LedgerError, match="not open"):
        ledger.last_readings()


def test_session_usage(ledger: Ledger) -> None:
    """A session's own totals so far: zeros before its first delta, None if unknown."""
    ledger.write([session("s1"), session("s2", station="st2", resident=None)])
    assert ledger.session_usage("ghost") is None
    assert ledger.session_usage("s2") == Usage(
        resident=None,
        resident_name=None,
        station="st2",
        import_wh=0.0,
        export_wh=0.0,
        cost=0.0,
        credit=0.0,
        sessions=1,
    )
    ledger.write(
        [
            reading(1000.0, 0.0),
            reading(1060.0, 1000.0, 0.0, price=0.3),
            reading(1120.0, 1000.0, 500.0, credit_rate=0.2),
            reading(1180.0, 1200.0, 500.0, session_id=None),
        ]
    )
    usage = ledger.session_usage("s1")
    assert usage is not None
    assert (usage.resident, usage.station, usage.import_wh, usage.export_wh) == (
        "ann",
        "st1",
        1000.0,
        500.0,
    )
    assert (usage.cost, usage.credit) == (pytest.approx(0.3), pytest.approx(0.1))


def test_a_session_counts_in_the_period_it_started(ledger: Ledger) -> None:
    """A session charging across a period's end is one session, in the period it began."""
    ledger.write(
        [
            session("s1", started_at=1000.0),
            reading(1000.0, 0.0),
            reading(1900.0, 100.0),
            reading(2100.0, 300.0),
        ]
    )
    (first,) = ledger.usage(0.0, 2000.0)
    (second,) = ledger.usage(2000.0, 3000.0)
    assert (first.import_wh, first.sessions) == (100.0, 1)
    assert (second.import_wh, second.sessions) == (200.0, 0)


def test_register_change_is_the_stations_own(ledger: Ledger) -> None:
    """The registers' change between a period's bounds, from the lifetime totals alone."""
    ledger.write(
        [
            session("s1"),
            reading(1000.0, 50.0),
            reading(1500.0, 80.0),
            reading(2500.0, 200.0),
            reading(1200.0, 10.0, station="st2", session_id=None),  # first read in the period
            reading(1800.0, 40.0, 5.0, station="st2", session_id=None),
        ]
    )
    assert ledger.register_change(1100.0, 2000.0) == (30.0 + 30.0, 5.0)
    assert ledger.register_change(0.0, 3000.0) == (150.0 + 30.0, 5.0)
    assert ledger.register_change(3000.0, 4000.0) == (0.0, 0.0)


def test_a_statement_that_does_not_add_up_is_not_balanced(ledger: Ledger) -> None:
    """`balanced` compares with the registers: a wrong delta in the ledger makes it false."""
    ledger.write([session("s1"), reading(1000.0, 0.0), reading(1060.0, 400.0)])

    def balanced() -> bool:
        start = datetime.fromtimestamp(0.0, UTC)
        end = datetime.fromtimestamp(5000.0, UTC)
        usages = ledger.usage(start.timestamp(), end.timestamp())
        metered = ledger.register_change(start.timestamp(), end.timestamp())
        return build_statement(start, end, usages, {}, SharedCosts(), "EUR", metered).balanced

    assert balanced()
    engine = ledger._require_engine()  # a fault put in under the ledger
    with engine.begin() as connection:
        connection.execute(
            sa.update(readings).values(import_delta_wh=readings.c.import_delta_wh * 2)
        )
    assert not balanced()


def test_residency_is_kept_and_gives_each_residents_presence(ledger: Ledger) -> None:
    """Moves in and out, written twice (a retried batch): the time each lived here, once."""
    moves = [
        Residency(resident="ann", name="Ann", at=0.0),
        Residency(resident="bob", name="Bob", at=1500.0),
        Residency(resident="ann", name="Ann", at=1800.0, moved_out=True),
    ]
    ledger.write(moves)
    ledger.write(moves)
    assert ledger.presence(1000.0, 2000.0) == {"ann": (800.0, "Ann"), "bob": (500.0, "Bob")}
    assert ledger.presence(2000.0, 3000.0) == {"bob": (1000.0, "Bob")}
    assert ledger.residents_on_record() == {"ann": False, "bob": True}
    ledger.write([Residency(resident="ann", name="Ann", at=2500.0)])  # back again
    assert ledger.presence(2000.0, 3000.0) == {"bob": (1000.0, "Bob"), "ann": (500.0, "Ann")}


def test_a_period_closes_once_with_its_statement(ledger_url: str) -> None:
    """A closed period keeps its statement text, survives a reopen, and cannot close again."""
    ledger = Ledger(ledger_url)
    ledger.open()
    period = ClosedPeriod(start=0.0, end=100.0, closed_at=200.0, user_id="u", statement='{"é": 1}')
    ledger.close_period(period)
    with pytest.raises(PeriodClosedError):
        ledger.close_period(replace(period, closed_at=300.0, statement="{}"))
    ledger.close()
    ledger.open()
    try:
        assert ledger.closed_periods() == [period]
        assert [(entry.action, entry.user_id) for entry in ledger.audit()] == [
            ("period_closed", "u")
        ]
    finally:
        ledger.close()


def test_session_lines_and_bands(ledger: Ledger) -> None:
    """Each session's part inside the period, and the energy at each price, per resident."""
    ledger.write(
        [
            session("s1"),
            reading(1000.0, 0.0),
            reading(1060.0, 400.0, price=0.2),
            reading(1120.0, 1000.0, price=0.5),
            reading(5000.0, 1300.0, price=0.5),  # after the period
            reading(1030.0, 0.0, station="st2", session_id=None),
            reading(1090.0, 100.0, station="st2", session_id=None, price=0.2),
        ]
    )
    [line] = ledger.session_lines(0.0, 2000.0)
    assert (line.session, line.resident, line.station, line.import_wh) == (
        "s1",
        "ann",
        "st1",
        1000.0,
    )
    assert line.cost == pytest.approx(0.4 * 0.2 + 0.6 * 0.5)
    bands = {(band.resident, band.price): band.import_wh for band in ledger.bands(0.0, 2000.0)}
    assert bands == {("ann", 0.2): 400.0, ("ann", 0.5): 600.0, (None, 0.2): 100.0}
