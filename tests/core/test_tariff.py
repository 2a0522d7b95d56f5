"""Tariffs: fixed and time-of-use prices, the schedule text users type, and its mistakes."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.ev_v2g.core.tariff import Tariff, TariffError, TariffReason, TimeOfUse

ROME = ZoneInfo("Europe/Rome")


def at(hour: int, minute: int = 0, day: int = 15, month: int = 1) -> datetime:
    """A moment in Rome in 2026."""
    return datetime(2026, month, day, hour, minute, tzinfo=ROME)


def test_parse_reads_windows_in_any_order() -> None:
    """Windows are sorted by their start whatever order they are typed in."""
    schedule = TimeOfUse.parse("23:00=0.15, 7:00=0.30")
    assert schedule.windows == ((time(7), 0.30), (time(23), 0.15))


def test_price_holds_until_the_next_start() -> None:
    """Each window's price is in force from its start up to the next one's."""
    schedule = TimeOfUse.parse("07:00=0.30, 19:30=0.25, 23:00=0.15")
    assert schedule.price_at(at(7)) == 0.30
    assert schedule.price_at(at(19, 29)) == 0.30
    assert schedule.price_at(at(19, 30)) == 0.25
    assert schedule.price_at(at(22, 59)) == 0.25
    assert schedule.price_at(at(23)) == 0.15


def test_last_window_wraps_past_midnight() -> None:
    """Before the first start, the previous evening's window is still running."""
    schedule = TimeOfUse.parse("07:00=0.30, 23:00=0.15")
    assert schedule.price_at(at(0)) == 0.15
    assert schedule.price_at(at(6, 59)) == 0.15
    assert schedule.price_at(datetime(2026, 1, 15, 6, 59, 59, 999_999, tzinfo=ROME)) == 0.15


def test_one_window_is_a_flat_price() -> None:
    """A single window holds all day, whatever its start."""
    schedule = TimeOfUse.parse("12:00=0.2")
    assert schedule.price_at(at(0)) == 0.2
    assert schedule.price_at(at(23, 59)) == 0.2


def test_price_follows_the_wall_clock_across_dst() -> None:
    """On the day clocks change, the local time decides the price, not UTC."""
    schedule = TimeOfUse.parse("00:00=0.10, 03:00=0.20")
    spring = datetime(2026, 3, 29, 3, 30, tzinfo=ROME)  # an hour after the jump
    autumn = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ROME)  # the repeated hour
    assert schedule.price_at(spring) == 0.20
    assert schedule.price_at(autumn) == 0.10


def test_negative_prices_are_allowed() -> None:
    """Dynamic tariffs go below zero when the grid has too much power."""
    schedule = TimeOfUse.parse("00:00=0.2, 13:00=-0.05")
    assert schedule.price_at(at(14)) == -0.05
    assert Tariff.fixed(-0.01).price_at(at(9)) == -0.01


def test_blank_parts_are_skipped() -> None:
    """A trailing comma or spaces are not mistakes."""
    assert TimeOfUse.parse(" 07:00 = 0.3 ,, 23:00=0.15, ") == TimeOfUse.parse(
        "07:00=0.3,23:00=0.15"
    )


def test_text_round_trips() -> None:
    """The canonical text reads back to the same schedule."""
    schedule = TimeOfUse.parse("7:00=0.30,23:05=0.15,12:00=-1e-05")
    assert str(schedule) == "07:00=0.3, 12:00=-1e-05, 23:05=0.15"
    assert TimeOfUse.parse(str(schedule)) == schedule


@pytest.mark.parametrize(
    ("text", "reason", "part"),
    [
        ("", TariffReason.EMPTY, ""),
        (" , ,", TariffReason.EMPTY, ", ,"),
        ("07:00 0.30", TariffReason.SYNTAX, "07:00 0.30"),
        ("07:00=0.3=0.4", TariffReason.SYNTAX, "07:00=0.3=0.4"),
        ("7=0.30", TariffReason.TIME, "7=0.30"),
        ("07:0=0.30", TariffReason.TIME, "07:0=0.30"),
        ("24:00=0.30", TariffReason.TIME, "24:00=0.30"),
        ("07:60=0.30", TariffReason.TIME, "07:60=0.30"),
        ("07:00=cheap", TariffReason.PRICE, "07:00=cheap"),
        ("07:00=", TariffReason.PRICE, "07:00="),
        ("07:00=nan", TariffReason.PRICE, "07:00=nan"),
        ("07:00=inf", TariffReason.PRICE, "07:00=inf"),
        ("07:00=0.3, 7:00=0.2", TariffReason.DUPLICATE, "7:00=0.2"),
    ],
)
def test_mistakes_are_named(text: str, reason: TariffReason, part: str) -> None:
    """Each mistake has a reason HA can translate and the part that caused it."""
    with pytest.raises(TariffError) as caught:
        TimeOfUse.parse(text)
    assert caught.value.reason is reason
    assert caught.value.part == part
    assert isinstance(caught.value, ValueError)


def test_error_message_names_the_reason_and_part() -> None:
    """The message is readable in a log."""
    assert str(TariffError(TariffReason.TIME, "25:00=1")) == "time: '25:00=1'"
    assert str(TariffError(TariffReason.EMPTY)) == "empty"


def test_built_schedules_are_checked() -> None:
    """A schedule built in code obeys the same rules as one parsed."""
    assert TimeOfUse(((time(23), 0.1), (time(7), 0.3))).windows[0] == (time(7), 0.3)
    with pytest.raises(TariffError) as empty:
        TimeOfUse(())
    assert empty.value.reason is TariffReason.EMPTY
    with pytest.raises(TariffError) as duplicate:
        TimeOfUse(((time(7), 0.3), (time(7), 0.2)))
    assert duplicate.value.reason is TariffReason.DUPLICATE
    with pytest.raises(TariffError) as price:
        TimeOfUse(((time(7), float("nan")),))
    assert price.value.reason is TariffReason.PRICE


def test_fixed_tariff() -> None:
    """A fixed price is in force at every moment."""
    tariff = Tariff.fixed(0.25)
    assert tariff.price_at(at(3)) == 0.25
    assert tariff.price_at(at(15)) == 0.25
    assert str(tariff) == "0.25"
    assert Tariff.fixed(1).rate == 1.0


def test_time_of_use_tariff() -> None:
    """A time-of-use tariff asks its schedule."""
    schedule = TimeOfUse.parse("07:00=0.30, 23:00=0.15")
    tariff = Tariff.time_of_use(schedule)
    assert tariff.price_at(at(8)) == 0.30
    assert tariff.price_at(at(2)) == 0.15
    assert str(tariff) == "07:00=0.3, 23:00=0.15"


@pytest.mark.parametrize("price", [float("nan"), float("inf"), float("-inf")])
def test_fixed_price_must_be_finite(price: float) -> None:
    """A price that is not a number cannot be billed."""
    with pytest.raises(TariffError) as caught:
        Tariff.fixed(price)
    assert caught.value.reason is TariffReason.PRICE


def test_tariff_parse() -> None:
    """A number is a fixed price; a schedule is time of use; mistakes keep their reason."""
    assert Tariff.parse(" 0.25 ") == Tariff.fixed(0.25)
    assert Tariff.parse("-0.01") == Tariff.fixed(-0.01)
    assert Tariff.parse("07:00=0.3,23:00=0.15") == Tariff.time_of_use(
        TimeOfUse.parse("07:00=0.3, 23:00=0.15")
    )
    for text, reason in [("nan", TariffReason.PRICE), ("", TariffReason.EMPTY)]:
        with pytest.raises(TariffError) as caught:
            Tariff.parse(text)
        assert caught.value.reason is reason


@given(
    st.dictionaries(
        st.times().map(lambda t: t.replace(second=0, microsecond=0)),
        st.floats(allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=12,
    )
)
def test_any_schedule_round_trips(windows: dict[time, float]) -> None:
    """Whatever the windows, the canonical text reads back to the same schedule."""
    schedule = TimeOfUse(tuple(windows.items()))
    assert TimeOfUse.parse(str(schedule)) == schedule
    assert Tariff.parse(str(Tariff.time_of_use(schedule))) == Tariff.time_of_use(schedule)
