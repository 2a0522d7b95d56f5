"""LedgerWriter alone, over a ledger that can be made to fail: batching, retries, shutdown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_v2g.bookkeeping.writer import LedgerWriter
from custom_components.ev_v2g.const import DOMAIN
from custom_components.ev_v2g.core.ledger import (
    Ledger,
    LedgerError,
    LedgerUnavailableError,
    WriteResult,
)
from custom_components.ev_v2g.core.records import AuditEntry, LedgerRecord
from tests.common import wait_for


class FlakyLedger(Ledger):
    """A ledger in memory whose database can be down, or refuse records."""

    def __init__(self) -> None:
        """Up, empty and open."""
        super().__init__("sqlite://")
        self.batches: list[list[LedgerRecord]] = []
        self.failure: LedgerError | None = None
        self.closed = False

    def open(self) -> None:
        """Nothing to open."""

    def write(self, records: Sequence[LedgerRecord]) -> WriteResult:
        """Keep the batch, or fail as told."""
        if self.failure is not None:
            raise self.failure
        self.batches.append(list(records))
        return WriteResult(accepted=0, stale=0)

    def close(self) -> None:
        """Remember it was closed."""
        self.closed = True


def entry_at(second: float) -> AuditEntry:
    """A record to write."""
    return AuditEntry(at=second, action="test")


@pytest.fixture
def ledger() -> FlakyLedger:
    """The fake ledger."""
    return FlakyLedger()


@pytest.fixture
def writer(hass: HomeAssistant, ledger: FlakyLedger) -> LedgerWriter:
    """A writer for a site called Garage."""
    return LedgerWriter(hass, "entry", "Garage", ledger)


async def test_records_arriving_together_are_one_batch(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger
) -> None:
    """Records within the flush delay go to the database in one transaction."""
    for second in range(3):
        writer.add(entry_at(second))
    assert ledger.batches == []
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3))
    await wait_for(hass, lambda: bool(ledger.batches), what="flush")
    assert [len(batch) for batch in ledger.batches] == [3]
    assert writer.queue == []


async def test_refused_records_are_kept_and_retried_with_back_off(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger
) -> None:
    """Any ledger error keeps the batch; retries back off; the repair names the reason."""
    ledger.failure = LedgerError("the database refused the records: constraint")
    writer.add(entry_at(1))
    assert not await writer.async_flush()
    assert not await writer.async_flush()
    assert writer.failures == 2
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "ledger_unavailable_entry")
    assert issue is not None
    assert "constraint" in (issue.translation_placeholders or {})["error"]
    with pytest.raises(LedgerUnavailableError):
        await writer.async_write_now([entry_at(2)])
    with pytest.raises(LedgerUnavailableError):
        await writer.async_read(lambda: 1)
    ledger.failure = None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await wait_for(hass, lambda: not writer.queue, what="retry")
    assert ir.async_get(hass).async_get_issue(DOMAIN, "ledger_unavailable_entry") is None
    assert await writer.async_read(lambda: 7) == 7


async def test_close_writes_the_last_batch(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger
) -> None:
    """Shutdown writes what is queued, then closes the database."""
    writer.add(entry_at(1))
    await writer.async_close()
    assert [len(batch) for batch in ledger.batches] == [1]
    assert ledger.closed


async def test_close_with_the_database_down_says_what_is_lost(
    hass: HomeAssistant,
    writer: LedgerWriter,
    ledger: FlakyLedger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Records that cannot be written at shutdown are counted in an error, not silently lost."""
    ledger.failure = LedgerUnavailableError("connection refused")
    writer.add(entry_at(1))
    writer.add(entry_at(2))
    await writer.async_close()
    assert ledger.closed
    assert "2 ledger records could not be written before closing" in caplog.text
    writer.add(entry_at(3))  # after closing nothing is scheduled any more
    assert writer._timer is None
