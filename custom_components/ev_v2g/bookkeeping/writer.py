"""Writes ledger records in batches off the event loop; a failed batch is kept and retried.

While the database is locked or unreachable nothing is dropped: records queue up in memory and
in Home Assistant's storage (so a restart, or a kill, loses none), a repair issue tells the
user, and it goes away with the first write that succeeds. A batch the database refuses is
written record by record: the few it refuses are set aside, kept in storage and named in a
repair issue, and never block the records after them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LEDGER_FLUSH_DELAY, LEDGER_RETRY_DELAY, LEDGER_RETRY_MAX
from ..core.ledger import Ledger, LedgerError, LedgerUnavailableError
from ..core.records import LedgerRecord, record_from_json, record_to_json

_LOGGER = logging.getLogger(__name__)

# How long Home Assistant's shutdown waits for the last batch.
CLOSE_TIMEOUT = 10
# How soon the queue is kept in storage after a failed write (a kill then loses nothing).
KEEP_DELAY = 5.0
STORE_VERSION = 1


class LedgerWriter:
    """The site's ledger as Home Assistant uses it: queued writes and reads off the loop."""

    def __init__(self, hass: HomeAssistant, entry_id: str, site: str, ledger: Ledger) -> None:
        """Wrap an unopened ledger."""
        self.hass = hass
        self.ledger = ledger
        self.site = site
        self.issue_id = f"ledger_unavailable_{entry_id}"
        self.refused_issue_id = f"ledger_refused_{entry_id}"
        self.queue: list[LedgerRecord] = []
        self.refused: list[tuple[LedgerRecord, str]] = []
        """Records the database refused, each with its reason: set aside, kept in storage."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.ledger_queue_{entry_id}"
        )
        self._stored = False
        self.failures = 0
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False

    async def async_open(self) -> None:
        """Take back the records kept at the last stop, then open the database.

        Raises LedgerUnavailableError (the kept records stay queued and stored).
        """
        kept = await self._store.async_load() or {}
        queued = _records(kept.get("queue") or [])
        self.refused = [
            (record, str(reason))
            for item, reason in kept.get("refused") or []
            for record in _records([item])
        ]
        if queued:
            _LOGGER.info("%s: %d ledger records kept from the last run", self.site, len(queued))
            self.queue[:0] = queued
        self._stored = bool(kept)
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
            except LedgerUnavailableError as err:
                self._failed(err)
                return False
            except LedgerError:
                if not await self._sift(len(batch)):
                    return False
            else:
                del self.queue[: len(batch)]
            self._recovered()
            if self.queue and self._timer is None and not self._closed:
                self._schedule(LEDGER_FLUSH_DELAY)
            return True

    async def _sift(self, count: int) -> bool:
        """The database refused a batch: write its `count` records one by one.

        Those refused alone are set aside; False if the database became unavailable meanwhile
        (what is left stays queued).
        """
        for _ in range(count):
            record = self.queue[0]
            try:
                await self.hass.async_add_executor_job(self.ledger.write, [record])
            except LedgerUnavailableError as err:
                self._failed(err)
                return False
            except LedgerError as err:
                self.refused.append((record, str(err)))
                _LOGGER.error("%s: the ledger refused %r: %s", self.site, record, err)
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    self.refused_issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.ERROR,
                    translation_key="ledger_refused",
                    translation_placeholders={
                        "site": self.site,
                        "count": str(len(self.refused)),
                        "error": str(err),
                    },
                )
            del self.queue[0]
        self._keep()
        return True

    def _keep(self) -> None:
        """Keep the queue and the refused records in storage soon (removed once both empty)."""
        if self.queue or self.refused:
            self._stored = True
            self._store.async_delay_save(self._kept, KEEP_DELAY)
        elif self._stored:
            self._stored = False
            self.hass.async_create_background_task(
                self._store.async_remove(), f"{DOMAIN} ledger queue written"
            )

    def _kept(self) -> dict[str, Any]:
        return {
            "queue": [record_to_json(record) for record in self.queue],
            "refused": [[record_to_json(record), reason] for record, reason in self.refused],
        }

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
        self._keep()
        if self._timer is None and not self._closed:
            self._schedule(min(LEDGER_RETRY_DELAY * 2 ** (self.failures - 1), LEDGER_RETRY_MAX))

    def _recovered(self) -> None:
        if self.failures:
            _LOGGER.info("%s: ledger available again after %d failures", self.site, self.failures)
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        self.failures = 0
        self.last_error = None
        if self._stored:
            self._keep()

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
            _LOGGER.warning(
                "%s: %d ledger records could not be written before closing (%s); kept for "
                "the next start",
                self.site,
                len(self.queue),
                self.last_error,
            )
        if self.queue or self.refused:
            self._stored = True
            await self._store.async_save(self._kept())
        await self.hass.async_add_executor_job(self.ledger.close)


def _records(items: list[Any]) -> list[LedgerRecord]:
    """The records kept in storage; one that cannot be read is logged and left out."""
    records: list[LedgerRecord] = []
    for item in items:
        try:
            records.append(record_from_json(item))
        except ValueError as err:
            _LOGGER.error("A ledger record kept in storage cannot be read: %s", err)
    return records
