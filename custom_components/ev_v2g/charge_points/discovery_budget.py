"""How many unknown charge points a site offers to add: a few at a time, whoever knocks.

Anyone on the network can knock on the OCPP port with a made-up id; each unknown id would
otherwise raise a discovery card. A site offers at most `MAX_OFFERS` new cards in any
`OFFER_WINDOW_S`; a real installer adds a few chargers at a time, a flood raises a handful.
"""

from __future__ import annotations

from collections import deque
import time

MAX_OFFERS = 10
OFFER_WINDOW_S = 600.0


class OfferBudget:
    """A sliding window of the offers made."""

    def __init__(self, most: int = MAX_OFFERS, window_s: float = OFFER_WINDOW_S) -> None:
        """No offer made yet."""
        self.most, self.window_s = most, window_s
        self._made: deque[float] = deque()
        self.refused = 0
        """Knocks not offered since the budget last had room."""

    def take(self, now: float | None = None) -> bool:
        """Whether one more offer may be made now (it is counted if so)."""
        now = time.monotonic() if now is None else now
        while self._made and now - self._made[0] >= self.window_s:
            self._made.popleft()
        if len(self._made) >= self.most:
            self.refused += 1
            return False
        self._made.append(now)
        self.refused = 0
        return True
