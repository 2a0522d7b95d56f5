"""When each resident lived here: moves in and out kept in the ledger, for the statements.

Shared costs are split over the residents present in a period, never by today's list; a
statement of a past period depends on who lived here then (DESIGN.md section 3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
import time

from ..core.records import Residency
from ..core.resident import Resident
from .writer import LedgerWriter


class ResidencyBook:
    """The site's residents' moves, written to the ledger as they happen."""

    def __init__(
        self, writer: LedgerWriter, residents: Callable[[], Mapping[str, Resident]]
    ) -> None:
        """Keep the site's `residents()`, as they are now, in the ledger written by `writer`."""
        self.writer = writer
        self._residents = residents

    @property
    def residents(self) -> Mapping[str, Resident]:
        """The residents configured now."""
        return self._residents()

    async def async_sync(self) -> None:
        """Bring the ledger's residency in line with the residents configured now.

        A resident never on record moves in now, or, on a ledger with no residency at all (one
        from before residency was kept), has lived here all along; one on record but configured
        no more moves out now.
        """
        known = await self.writer.async_read(self.writer.ledger.residents_on_record)
        now = time.time()
        for key, resident in self.residents.items():
            if not known.get(key):
                self.writer.add(Residency(resident=key, name=resident.name, at=now if known else 0))
        for key, living in known.items():
            if living and key not in self.residents:
                self.writer.add(Residency(resident=key, name=key, at=now, moved_out=True))

    def changed(self, moved_in: Iterable[str], moved_out: Iterable[str]) -> None:
        """Residents added to or removed from the running site: their residency starts or ends."""
        now = time.time()
        for key in moved_in:
            self.writer.add(Residency(resident=key, name=self.residents[key].name, at=now))
        for key in moved_out:
            self.writer.add(Residency(resident=key, name=key, at=now, moved_out=True))

    async def async_presence(self, start: datetime, end: datetime) -> dict[str, tuple[float, str]]:
        """How long each resident lived here in [start, end), and their name then.

        Raises LedgerUnavailableError when the database cannot be reached.
        """
        ledger = self.writer.ledger
        return await self.writer.async_read(ledger.presence, start.timestamp(), end.timestamp())
