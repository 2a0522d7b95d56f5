"""Wrong passwords cost time: per address and per charge point id, doubling each time.

An address that sends a wrong password must wait before its next attempt is even checked
(0.25 s, then 0.5, 1, 2 … up to 8 s; an earlier attempt is answered 429 with Retry-After), and
after ``lockout_after`` wrong passwords in a row it is locked out for ``lockout_s`` (403): the
site raises a repair issue naming it. A charge point id guessed at from many addresses makes
each wrong answer for it slower in the same way. Ids are never locked out: the right
password from an address that is neither waiting nor locked out is let in at once, so a
stranger cannot keep a charger out by failing for its id from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import time

BASE_DELAY_S = 0.25
MAX_DELAY_S = 8.0
LOCKOUT_AFTER = 10
LOCKOUT_S = 900.0
_MAX_KEYS = 4096


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Failed logins by address and by charge point id, and what they cost the next attempt."""

    def __init__(
        self,
        *,
        base_delay_s: float = BASE_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
        lockout_after: int = LOCKOUT_AFTER,
        lockout_s: float = LOCKOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Delays double from ``base_delay_s`` to ``max_delay_s``; failures expire after ``lockout_s``."""
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.lockout_after = lockout_after
        self.lockout_s = lockout_s
        self.clock = clock
        self._addresses: dict[str, _Failures] = {}
        self._ids: dict[str, _Failures] = {}

    def _delay(self, count: int) -> float:
        """The wait after ``count`` failures: none, then doubling from the base to the cap."""
        if count <= 0:
            return 0.0
        return float(min(self.base_delay_s * 2.0 ** min(count - 1, 64), self.max_delay_s))

    def _current(self, table: dict[str, _Failures], key: str) -> _Failures | None:
        failures = table.get(key)
        if failures is not None and self.clock() - failures.last >= self.lockout_s:
            del table[key]
            return None
        return failures

    def locked_out(self, address: str) -> bool:
        """Whether an address is locked out (until ``lockout_s`` after its last failure)."""
        failures = self._current(self._addresses, address)
        return failures is not None and failures.count >= self.lockout_after

    def wait_s(self, address: str) -> float:
        """Seconds until the address's next attempt is checked (0: now)."""
        failures = self._current(self._addresses, address)
        if failures is None:
            return 0.0
        return max(0.0, failures.last + self._delay(failures.count) - self.clock())

    def failed(self, address: str, charge_point_id: str) -> float:
        """Count a wrong password; returns how long to hold back its answer.

        The first wrong password for an id is answered at once (a typo), each later one
        after the id's doubling delay, whichever address it comes from.
        """
        now = self.clock()
        for table, key in ((self._addresses, address), (self._ids, charge_point_id)):
            failures = self._current(table, key)
            if failures is None:
                if len(table) >= _MAX_KEYS:
                    self._forget_stale(table, now)
                failures = table[key] = _Failures(0, now)
            failures.count += 1
            failures.last = now
        return self._delay(self._ids[charge_point_id].count - 1)

    def succeeded(self, address: str, charge_point_id: str) -> None:
        """The right password: the address and the id start afresh."""
        self._addresses.pop(address, None)
        self._ids.pop(charge_point_id, None)

    def unlock(self, address: str) -> None:
        """Let a locked-out address try again now (the user fixed the charger)."""
        self._addresses.pop(address, None)

    def _forget_stale(self, table: dict[str, _Failures], now: float) -> None:
        for key in [key for key, item in table.items() if now - item.last >= self.lockout_s]:
            del table[key]
        if len(table) >= _MAX_KEYS:
            table.clear()
