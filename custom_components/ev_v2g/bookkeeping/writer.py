"""Writes ledger records in batches off the event loop; a failed batch is kept and retried.

While the database is locked or unreachable nothing is dropped: records queue up in memory, a
repair issue tells the user, and it goes away with the first write that succeeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN, LEDGER_FLUSH_DELAY, LEDGER_RETRY_DELAY, LEDGER_RETRY_MAX
from ..core.ledger import Ledger, LedgerError, LedgerUnavailableError
from ..core.records import LedgerRecord

_LOGGER = logging.getLogger(__name__)

# How long Home Assistant's shutdown waits for the last batch.
CLOSE_TIMEOUT = 10


class LedgerWriter:
    """The site's ledger as Home Assistant uses it: queued writes and reads off the loop."""

    def __init__(self, hass: HomeAssistant, entry_id: str, site: str, ledger: Ledger) -> None:
        """Wrap an unopened ledger."""
        self.hass = hass
        self.ledger = ledger
        self.site = site
        self.issue_id = f"ledger_unavailable_{entry_id}"
        self.queue: list[LedgerRecord] = []
        self.failures = 0
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False

    async def async_open(self) -> None:
        """Open the database (migrating it); raises LedgerUnavailableError."""
        await self.hass.async_add_executor_job(self.ledger.open)

    def add(self, record: LedgerRecord) -> None:
        """Queue a record; it is written with the others arriving within the flush delay."""
        self.queue.append(record)
        if self._timer is None and not self._closed:
            self._schedule(LEDGER_FLUSH_DELAY)

    def _schedule(self, delay: float) -> None:
        self._timer = self.hass.loop.call_later(delay, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        self.hass.async_create_background_task(self.async_flush(), f"{DOMAIN} ledger flush")

    async def async_flush(self) -> bool:
        """Write what is queued; False (and a retry scheduled) if the database is unavailable."""
        async with self._lock:
            if not self.queue:
                return True
            batch = list(self.queue)
            try:
                await self.hass.async_add_executor_job(self.ledger.write, batch)
            except LedgerError as err:
                self._failed(err)
                return False
            del self.queue[: len(batch)]
            self._recovered()
            if self.queue and self._timer is None and not self._closed:
                self._schedule(LEDGER_FLUSH_DELAY)
            return True

    def _failed(self, err: LedgerError) -> None:
        self.failures += 1
        reason = err.reason if isinstance(err, LedgerUnavailableError) else str(err)
        if self.failures == 1:
            _LOGGER.warning(
                "%s: ledger unavailable (%s); %d records kept, retrying",
                self.site,
                reason,
                len(self.queue),
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="ledger_unavailable",
                translation_placeholders={"site": self.site, "error": reason},
            )
        self.last_error = reason
        if self._timer is None and not self._closed:
            self._schedule(min(LEDGER_RETRY_DELAY * 2 ** (self.failures - 1), LEDGER_RETRY_MAX))

    def _recovered(self) -> None:
        if self.failures:
            _LOGGER.info("%s: ledger available again after %d failures", self.site, self.failures)
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        self.failures = 0
        self.last_error = None

    async def async_read[T](self, query: Callable[..., T], *args: Any) -> T:
        """Run a query after writing what is queued, so it sees everything recorded so far.

        Raises LedgerUnavailableError when the database cannot be reached.
        """
        if not await self.async_flush():
            raise LedgerUnavailableError(self.last_error or "unavailable")
        return await self.hass.async_add_executor_job(query, *args)

    async def async_write_now(self, records: Sequence[LedgerRecord]) -> None:
        """Write records at once, after the queue (for actions a user waits on)."""
        if not await self.async_flush():
            raise LedgerUnavailableError(self.last_error or "unavailable")
        async with self._lock:
            await self.hass.async_add_executor_job(self.ledger.write, list(records))

    async def async_close(self) -> None:
        """Write the last batch (within a time limit) and close the database."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                flushed = await self.async_flush()
        except TimeoutError:
            flushed = False
        if not flushed:
            _LOGGER.error(
                "%s: %d ledger records could not be written before closing: %s",
                self.site,
                len(self.queue),
                self.last_error,
            )
        await self.hass.async_add_executor_job(self.ledger.close)
