"""The small parts, without sockets: measurands, timestamps, rate limits, remote starts, session."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from custom_components.ev_v2g.transport import ratelimit
from custom_components.ev_v2g.transport.ocpp import measurands
from custom_components.ev_v2g.transport.ocpp.auth import charge_point_id, choose_subprotocol
from custom_components.ev_v2g.transport.ocpp.library_log import LibraryLog
from custom_components.ev_v2g.transport.ocpp.measurands import (
    CURRENT_IMPORT,
    ENERGY_IMPORT,
    POWER_IMPORT,
    SOC,
    VOLTAGE,
    MeterSample,
    parse_meter_values,
)
from custom_components.ev_v2g.transport.ocpp.model import ChargePointState, OcppVersion, StopReason
from custom_components.ev_v2g.transport.ocpp.record import ChargePointRecord
from custom_components.ev_v2g.transport.ocpp.remote_starts import RemoteStarts
from custom_components.ev_v2g.transport.ocpp.timefmt import iso_utc, parse_timestamp
from custom_components.ev_v2g.transport.ratelimit import RateLimitedLog, RateLimiter

T = "2026-03-01T10:00:00Z"


def parse(*sampled: dict[str, Any], timestamp: str = T) -> tuple[dict[str, float], list[str]]:
    """The values of one sample, and the problems found."""
    problems: list[str] = []
    samples = parse_meter_values(
        [{"timestamp": timestamp, "sampled_value": list(sampled)}], problems
    )
    return (samples[0].values if samples else {}), problems


# Measurands ----------------------------------------------------------------------------------


def test_energy_default_measurand_and_unit() -> None:
    """A sampled value without measurand or unit is the import register in Wh."""
    assert parse({"value": "42"}) == ({ENERGY_IMPORT: 42.0}, [])


def test_phases_are_combined() -> None:
    """Energy and power phases add up, voltage phases average, a total wins over phases."""
    values, _ = parse(
        {"value": "1", "measurand": POWER_IMPORT, "unit": "kW", "phase": "L1"},
        {"value": "2", "measurand": POWER_IMPORT, "unit": "kW", "phase": "L2"},
        {"value": "230", "measurand": VOLTAGE, "phase": "L1-N"},
        {"value": "234", "measurand": VOLTAGE, "phase": "L2-N"},
        {"value": "400", "measurand": VOLTAGE, "phase": "L1-L2"},
        {"value": "5", "measurand": CURRENT_IMPORT, "phase": "N"},
        {"value": "100", "phase": "L1"},
        {"value": "250"},
    )
    assert values == {POWER_IMPORT: 3000.0, VOLTAGE: 232.0, ENERGY_IMPORT: 250.0}


def test_inlet_only_when_nothing_else() -> None:
    """An Inlet reading is used only when the outlet reports none; Body and Cable are ignored."""
    assert parse({"value": "10", "location": "Inlet"})[0] == {ENERGY_IMPORT: 10.0}
    assert parse({"value": "10", "location": "Inlet"}, {"value": "20", "location": "Outlet"})[
        0
    ] == {ENERGY_IMPORT: 20.0}
    assert parse({"value": "9", "measurand": CURRENT_IMPORT, "location": "Inlet"})[0] == {
        CURRENT_IMPORT: 9.0
    }
    assert parse({"value": "30", "measurand": VOLTAGE, "location": "Body"})[0] == {}


@pytest.mark.parametrize(
    ("sampled", "problem"),
    [
        ({"value": "1", "unit": "varh"}, "unsupported unit 'varh'"),
        ({"value": "x"}, "is not a finite number"),
        ({"value": "1e400"}, "is not a finite number"),
        ({"value": True}, "is not a finite number"),
        ({"value": None}, "is not a finite number"),
        ({"value": 1, "unit_of_measure": {"unit": "Wh", "multiplier": 99}}, "not a finite"),
        ({"value": "-5"}, "out of range"),
        ({"value": "101", "measurand": SOC}, "out of range"),
    ],
)
def test_bad_values(sampled: dict[str, Any], problem: str) -> None:
    """Values we cannot use are left out with a reason."""
    values, problems = parse(sampled)
    assert values == {}
    assert len(problems) == 1
    assert problem in problems[0]


def test_ignored_values() -> None:
    """Signed data and measurands we do not keep are left out silently."""
    assert parse(
        {"value": "abc", "format": "SignedData"},
        {"value": "30", "measurand": "Temperature"},
        {"value": "5", "measurand": CURRENT_IMPORT, "phase": "L4"},
    ) == ({}, [])


def test_samples_sorted_and_merged() -> None:
    """Samples come oldest first; elements with the same timestamp become one sample."""
    problems: list[str] = []
    samples = parse_meter_values(
        [
            {"timestamp": "2026-03-01T10:00:10Z", "sampled_value": [{"value": "2"}]},
            {"timestamp": T, "sampled_value": [{"value": "1"}]},
            {"timestamp": T, "sampled_value": [{"value": "7", "measurand": SOC}]},
        ],
        problems,
    )
    assert [sample.values for sample in samples] == [
        {ENERGY_IMPORT: 1.0, SOC: 7.0},
        {ENERGY_IMPORT: 2.0},
    ]


# Timestamps ----------------------------------------------------------------------------------


def test_timestamps() -> None:
    """ISO 8601 with Z, an offset or no zone (UTC); anything else is None."""
    assert parse_timestamp("1970-01-01T00:01:00Z") == 60.0
    assert parse_timestamp("1970-01-01T01:01:00+01:00") == 60.0
    assert parse_timestamp("1970-01-01T00:01:00") == 60.0
    assert parse_timestamp("soon") is None
    assert parse_timestamp(60) is None
    assert iso_utc(60.5) == "1970-01-01T00:01:00Z"


# Rate limits and logging -----------------------------------------------------------------------


def test_rate_limiter() -> None:
    """One per key and interval, counting what was held back."""
    clock = [0.0]
    limiter = RateLimiter(60, clock=lambda: clock[0])
    assert limiter.allow("a") == 0
    assert limiter.allow("a") is None
    assert limiter.allow("a") is None
    assert limiter.allow("b") == 0
    clock[0] = 60.0
    assert limiter.allow("a") == 2


def test_rate_limiter_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many keys (an id scanner): old ones are forgotten, and all of them if need be."""
    monkeypatch.setattr(ratelimit, "_MAX_KEYS", 3)
    clock = [0.0]
    limiter = RateLimiter(60, clock=lambda: clock[0])
    for key in "abc":
        limiter.allow(key)
    clock[0] = 100.0
    limiter.allow("d")  # a, b, c are older than the interval: dropped
    assert limiter.allow("a") == 0
    limiter.allow("e")
    limiter.allow("f")  # all four recent: the table is emptied
    assert limiter.allow("d") == 0


def test_rate_limited_log_skips_disabled_levels(caplog: pytest.LogCaptureFixture) -> None:
    """A level that is off costs no limiter entry."""
    logger = logging.getLogger("tests.ocpp.quiet")
    logger.setLevel(logging.ERROR)
    log = RateLimitedLog(logger)
    log.log(logging.WARNING, "k", "hidden")
    assert "hidden" not in caplog.text
    assert log.limiter.allow("k") == 0


def test_library_log(caplog: pytest.LogCaptureFixture) -> None:
    """The library's lines: INFO/WARNING to DEBUG, errors rate-limited."""
    caplog.set_level(logging.DEBUG)
    log = LibraryLog("CP9", RateLimitedLog(logging.getLogger("tests.ocpp.lib")))
    log.info("frame %s", 1)
    log.error("bad %s", 1)
    log.error("bad %s", 2)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "frame 1"),
        (logging.ERROR, "bad 1"),
    ]
    other = LibraryLog("CP8", RateLimitedLog(logging.getLogger("tests.ocpp.lib")))
    try:
        raise ValueError("x")  # noqa: TRY301
    except ValueError:
        other.exception("failed %s", 3)
    assert caplog.records[-1].exc_info is not None


# Upgrade request parts -------------------------------------------------------------------------


def test_path_and_subprotocol() -> None:
    """Ids from paths, versions from the subprotocol header."""
    assert charge_point_id("/CP%201") == "CP 1"
    assert charge_point_id("CP1") is None
    assert charge_point_id("/" + "x" * 256) is None
    assert choose_subprotocol("ocpp1.6, ocpp2.0.1") is OcppVersion.V201
    assert choose_subprotocol("ocpp1.6") is OcppVersion.V16
    assert choose_subprotocol("") is None


# Remote starts and the session -----------------------------------------------------------------


def test_remote_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Matched by remoteStartId or by connector and tag, once; they expire."""
    starts = RemoteStarts()
    assert not starts.take(1, "TAG1", None)
    first = starts.expect(1, "TAG1", 5)
    starts.expect(2, "TAG2")
    assert not starts.take(1, "OTHER", None)
    assert starts.take(9, None, 5)
    assert not starts.take(1, "TAG1", None)
    starts.forget(first)  # already used: no-op
    now = ratelimit.time.monotonic()
    monkeypatch.setattr(
        "custom_components.ev_v2g.transport.ocpp.remote_starts.time.monotonic", lambda: now + 181
    )
    assert not starts.take(2, "TAG2", None)


class _Central:
    listener = None
    accepted_tags = frozenset({"tag1"})

    def issue_transaction_id(self) -> int:
        return 1

    def issue_remote_start_id(self) -> int:
        return 1


def test_session_bookkeeping() -> None:
    """Connector lookup, the end of a transaction already ended, authorization."""
    session = ChargePointRecord(
        _Central(), ChargePointState(id="CP9"), RateLimitedLog(logging.getLogger("tests.ocpp"))
    )
    assert session.find_connector("x") == 1
    session.begin(2, "a", id_tag=None, started_at=1.0)
    assert session.find_connector("a") == 2
    assert session.find_connector("b") == 2  # no idle connector: the first one
    session.end(2, "a", ended_at=2.0, meter_stop_wh=None, reason=StopReason.LOCAL)
    session.state.connectors[2].ended = None
    session.end(2, "a", ended_at=3.0, meter_stop_wh=None, reason=StopReason.LOCAL)
    assert session.state.connectors[2].ended is None
    assert session.authorized("TAG1")
    assert session.authorized("tag1")  # OCPP id tags are case-insensitive
    assert not session.authorized(None)
    session.flush()  # no listener: nothing to tell, nothing fails


def test_current_and_power_signs() -> None:
    """Import positive, export negative, zero never negative; no power values, no change."""
    session = ChargePointRecord(
        _Central(), ChargePointState(id="CP9"), RateLimitedLog(logging.getLogger("tests.ocpp"))
    )
    state = session.state.connector(1)
    session.apply_samples(1, [MeterSample(1.0, {measurands.CURRENT_EXPORT: 0.0})])
    assert (state.current_a, str(state.current_a)) == (0.0, "0.0")
    session.apply_samples(
        1, [MeterSample(2.0, {CURRENT_IMPORT: 6.0, measurands.CURRENT_EXPORT: 0.0})]
    )
    assert state.current_a == 6.0
    session.apply_samples(1, [MeterSample(3.0, {measurands.POWER_EXPORT: 0.0})])
    assert str(state.power_w) == "0.0"
    session.apply_samples(1, [MeterSample(4.0, {VOLTAGE: 230.0})])
    assert str(state.power_w) == "0.0"


def test_remote_start_matches_a_running_transaction() -> None:
    """A transaction already running (started on plug-in) that a remote start then names."""
    session = ChargePointRecord(
        _Central(), ChargePointState(id="CP9"), RateLimitedLog(logging.getLogger("tests.ocpp"))
    )
    transaction = session.begin(1, "t", id_tag=None, started_at=1.0)
    session.remote_starts.expect(1, "TAG1", 7)
    assert session.begin(1, "t", id_tag="TAG1", started_at=2.0, remote_start_id=7) is transaction
    assert transaction.remote
    assert (transaction.id_tag, transaction.started_at) == ("TAG1", 1.0)
