"""Log lines that a misbehaving station or charge point could otherwise repeat many times a second."""

from __future__ import annotations

from collections.abc import Callable, Hashable
import logging
import time

_MAX_KEYS = 4096
PROBLEM_INTERVAL_S = 600.0
"""A station's kind of problem is logged again at most this often, however often it recurs."""


class RateLimiter:
    """Lets one event per key through per interval and counts the ones it holds back."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        """Allow an event per key at most every ``interval`` seconds of ``clock``."""
        self.interval = interval
        self.clock = clock
        self._seen: dict[Hashable, list[float]] = {}

    def allow(self, key: Hashable) -> int | None:
        """Whether an event for ``key`` may pass now.

        Returns:
            None when it must be suppressed, otherwise how many were suppressed since the
            last one that passed.
        """
        now = self.clock()
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self.interval:
            entry[1] += 1
            return None
        if entry is None and len(self._seen) >= _MAX_KEYS:
            self._forget_older_than(now - self.interval)
        self._seen[key] = [now, 0]
        return 0 if entry is None else int(entry[1])

    def _forget_older_than(self, limit: float) -> None:
        """Drop keys not seen within the interval (an id scanner must not grow memory)."""
        for key in [key for key, entry in self._seen.items() if entry[0] < limit]:
            del self._seen[key]
        if len(self._seen) >= _MAX_KEYS:
            self._seen.clear()


class RateLimitedLog:
    """A logger wrapper that writes at most one line per key and interval."""

    def __init__(self, logger: logging.Logger, limiter: RateLimiter | None = None) -> None:
        """Write to ``logger``, throttled by ``limiter`` (one line per key per minute by default)."""
        self.logger = logger
        self.limiter = limiter or RateLimiter()

    def log(
        self, level: int, key: Hashable, msg: str, *args: object, exc_info: bool = False
    ) -> None:
        """Log ``msg % args`` unless a line with the same key was logged within the interval."""
        if not self.logger.isEnabledFor(level):
            return
        suppressed = self.limiter.allow(key)
        if suppressed is None:
            return
        if suppressed:
            msg += " (%d similar messages suppressed)"
            args = (*args, suppressed)
        self.logger.log(level, msg, *args, exc_info=exc_info)

    def warning(self, key: Hashable, msg: str, *args: object) -> None:
        """Log a warning, rate-limited by ``key``."""
        self.log(logging.WARNING, key, msg, *args)
