"""Tariffs: the price per kWh in force at a moment, fixed or by time of day.

`TimeOfUse.parse` reads the schedule users type ("07:00=0.30, 23:00=0.15"); a mistake raises a
`TariffError` whose `reason` Home Assistant turns into a translated message.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
import math
import re

_TIME = re.compile(r"(\d{1,2}):(\d{2})")


class TariffReason(StrEnum):
    """Why a tariff's text was refused."""

    EMPTY = "empty"
    SYNTAX = "syntax"
    TIME = "time"
    PRICE = "price"
    DUPLICATE = "duplicate"


class TariffError(ValueError):
    """A tariff that cannot be used, with the reason and the offending part of the text."""

    def __init__(self, reason: TariffReason, part: str = "") -> None:
        """Keep the reason and the part for a translated message."""
        super().__init__(f"{reason}: {part!r}" if part else str(reason))
        self.reason = reason
        self.part = part


def _price(text: str, part: str) -> float:
    """A finite price per kWh (negative is allowed: dynamic tariffs go below zero)."""
    try:
        price = float(text)
    except ValueError:
        raise TariffError(TariffReason.PRICE, part) from None
    if not math.isfinite(price):
        raise TariffError(TariffReason.PRICE, part)
    return price


@dataclass(frozen=True)
class TimeOfUse:
    """A daily schedule: each window's price holds from its start to the next start.

    The last window runs past midnight until the first one starts again.
    """

    windows: tuple[tuple[time, float], ...]

    def __post_init__(self) -> None:
        """Sort the windows and refuse an empty, duplicated or non-finite schedule."""
        if not self.windows:
            raise TariffError(TariffReason.EMPTY)
        windows = tuple(sorted(self.windows))
        for (start, price), following in zip(windows, (*windows[1:], None), strict=True):
            if not math.isfinite(price):
                raise TariffError(TariffReason.PRICE, _window_text(start, price))
            if following is not None and following[0] == start:
                raise TariffError(TariffReason.DUPLICATE, start.strftime("%H:%M"))
        object.__setattr__(self, "windows", windows)

    @classmethod
    def parse(cls, text: str) -> TimeOfUse:
        """Read "HH:MM=price" windows separated by commas; blank parts are skipped."""
        windows: list[tuple[time, float]] = []
        seen: set[time] = set()
        for raw in text.split(","):
            part = raw.strip()
            if not part:
                continue
            start_text, equals, price_text = part.partition("=")
            if not equals or "=" in price_text:
                raise TariffError(TariffReason.SYNTAX, part)
            match = _TIME.fullmatch(start_text.strip())
            if match is None:
                raise TariffError(TariffReason.TIME, part)
            hour, minute = int(match[1]), int(match[2])
            if hour > 23 or minute > 59:
                raise TariffError(TariffReason.TIME, part)
            start = time(hour, minute)
            if start in seen:
                raise TariffError(TariffReason.DUPLICATE, part)
            seen.add(start)
            windows.append((start, _price(price_text.strip(), part)))
        if not windows:
            raise TariffError(TariffReason.EMPTY, text.strip())
        return cls(tuple(windows))

    def price_at(self, moment: datetime) -> float:
        """The price in force at `moment`'s wall-clock time (pass an aware local datetime)."""
        starts = [start for start, _ in self.windows]
        # Before the first start of the day, yesterday's last window is still running.
        index = bisect_right(starts, moment.time()) - 1
        return self.windows[index][1]

    def next_change(self, moment: datetime) -> datetime:
        """The next window start after `moment` (an aware local datetime), same time zone."""
        for days in range(2):
            day = (moment + timedelta(days=days)).date()
            for start, _ in self.windows:
                candidate = datetime.combine(day, start, tzinfo=moment.tzinfo)
                if candidate > moment:
                    return candidate
        raise AssertionError("a daily schedule always starts again within two days")

    def __str__(self) -> str:
        """The canonical text, which `parse` reads back to the same schedule."""
        return ", ".join(_window_text(start, price) for start, price in self.windows)


def _window_text(start: time, price: float) -> str:
    """One window as the user writes it; repr keeps every digit of the price."""
    return f"{start:%H:%M}={price!r}"


@dataclass(frozen=True)
class Tariff:
    """The price per kWh: a fixed price or a time-of-use schedule."""

    rate: float | TimeOfUse

    def __post_init__(self) -> None:
        """Refuse a fixed price that is not a finite number."""
        if not isinstance(self.rate, TimeOfUse) and not math.isfinite(self.rate):
            raise TariffError(TariffReason.PRICE, repr(self.rate))

    @classmethod
    def fixed(cls, price: float) -> Tariff:
        """The same price at every moment."""
        return cls(float(price))

    @classmethod
    def time_of_use(cls, schedule: TimeOfUse) -> Tariff:
        """A price that follows a daily schedule."""
        return cls(schedule)

    @classmethod
    def parse(cls, text: str) -> Tariff:
        """A plain number is a fixed price; anything else is read as a time-of-use schedule."""
        text = text.strip()
        try:
            float(text)
        except ValueError:
            return cls(TimeOfUse.parse(text))
        return cls(_price(text, text))

    def price_at(self, moment: datetime) -> float:
        """The price in force at `moment` (an aware local datetime)."""
        if isinstance(self.rate, TimeOfUse):
            return self.rate.price_at(moment)
        return self.rate

    def next_change(self, moment: datetime) -> datetime | None:
        """When the price next changes after `moment`; None for a fixed price."""
        if isinstance(self.rate, TimeOfUse) and len(self.rate.windows) > 1:
            return self.rate.next_change(moment)
        return None

    def __str__(self) -> str:
        """The text `parse` reads back to the same tariff."""
        return str(self.rate) if isinstance(self.rate, TimeOfUse) else repr(self.rate)
