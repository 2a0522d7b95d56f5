"""Billing periods: calendar months in a time zone, and the text users name them by ("2026-11")."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from enum import StrEnum
import re

_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


class PeriodReason(StrEnum):
    """Why a period's text was refused."""

    SYNTAX = "syntax"
    MONTH = "month"
    RANGE = "range"


class PeriodError(ValueError):
    """A period that cannot be used, with the reason and the text."""

    def __init__(self, reason: PeriodReason, text: str) -> None:
        """Keep the reason and the text for a translated message."""
        super().__init__(f"{reason}: {text!r}")
        self.reason = reason
        self.text = text


def month_bounds(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """[first instant of the month, first instant of the next month) in `tz`.

    A midnight skipped by a DST change becomes the instant the clocks jumped to.
    """
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(next_year, next_month, 1, tzinfo=tz)
    # Through UTC and back: a wall-clock time that does not exist becomes one that does.
    return start.astimezone(UTC).astimezone(tz), end.astimezone(UTC).astimezone(tz)


def parse_period(text: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """Read a month ("2026-11") as its bounds in `tz`."""
    match = _MONTH.fullmatch(text.strip())
    if match is None:
        raise PeriodError(PeriodReason.SYNTAX, text)
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise PeriodError(PeriodReason.MONTH, text)
    try:
        return month_bounds(year, month, tz)
    except (ValueError, OverflowError):
        raise PeriodError(PeriodReason.RANGE, text) from None
