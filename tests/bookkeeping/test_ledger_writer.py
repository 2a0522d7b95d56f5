"""LedgerWriter alone, over a ledger that can be made to fail: batching, retries, shutdown."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.ev_v2g.bookkeeping.writer import KEEP_DELAY, LedgerWriter
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
        self.refuses = "refused"
        """Batches holding a record of this action are refused (as a constraint would)."""
        self.closed = False

    def open(self) -> None:
        """Nothing to open."""

    def write(self, records: Sequence[LedgerRecord]) -> WriteResult:
        """Keep the batch, or fail as told."""
        if self.failure is not None:
            raise self.failure
        if any(getattr(record, "action", None) == self.refuses for record in records):
            raise LedgerError("the database refused the records: constraint")
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
    # The batch reaches the ledger in the executor; the loop drops it from the queue after.
    await wait_for(hass, lambda: not writer.queue, what="flush")
    assert [len(batch) for batch in ledger.batches] == [3]


async def test_unwritten_records_are_kept_and_retried_with_back_off(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger
) -> None:
    """The database down keeps the batch; retries back off; the repair names the reason."""
    ledger.failure = LedgerUnavailableError("connection refused")
    writer.add(entry_at(1))
    assert not await writer.async_flush()
    assert not await writer.async_flush()
    assert writer.failures == 2
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "ledger_unavailable_entry")
    assert issue is not None
    assert "refused" in (issue.translation_placeholders or {})["error"]
    with pytest.raises(LedgerUnavailableError):
        await writer.async_write_now([entry_at(2)])
    with pytest.raises(LedgerUnavailableError):
        await writer.async_read(lambda: 1)
    ledger.failure = None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    await wait_for(hass, lambda: not writer.queue, what="retry")
    assert ir.async_get(hass).async_get_issue(DOMAIN, "ledger_unavailable_entry") is None
    assert await writer.async_read(lambda: 7) == 7


async def test_a_refused_record_is_set_aside_and_blocks_nothing(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger
) -> None:
    """One record the database refuses: the others before and after it are written.

    Before, the whole batch was retried for ever and nothing after it was ever written.
    """
    writer.add(entry_at(1))
    writer.add(AuditEntry(at=2, action="refused"))
    writer.add(entry_at(3))
    assert await writer.async_flush()
    assert [[r.at for r in batch] for batch in ledger.batches] == [[1], [3]]
    assert [record.at for record, _ in writer.refused] == [2]
    assert writer.queue == []
    issue = ir.async_get(hass).async_get_issue(DOMAIN, "ledger_refused_entry")
    assert issue is not None
    assert (issue.translation_placeholders or {})["count"] == "1"
    writer.add(entry_at(4))
    assert await writer.async_flush()
    assert ledger.batches[-1] == [entry_at(4)]


async def test_records_kept_at_a_stop_are_written_at_the_next_start(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger
) -> None:
    """The database down at shutdown: the queue is stored, and written after the restart."""
    ledger.failure = LedgerUnavailableError("connection refused")
    writer.add(entry_at(1))
    writer.add(AuditEntry(at=2, action="refused"))
    await writer.async_close()
    again = FlakyLedger()
    restarted = LedgerWriter(hass, "entry", "Garage", again)
    await restarted.async_open()
    assert restarted.queue == [entry_at(1), AuditEntry(at=2, action="refused")]
    assert await restarted.async_flush()
    assert again.batches == [[entry_at(1)]]
    assert [record.at for record, _ in restarted.refused] == [2]


async def test_a_kill_while_the_database_is_down_loses_nothing(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger, hass_storage: dict
) -> None:
    """No shutdown at all (Home Assistant killed): the queue was stored after the failure."""
    ledger.failure = LedgerUnavailableError("connection refused")
    writer.add(entry_at(1))
    assert not await writer.async_flush()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=KEEP_DELAY + 1))
    await hass.async_block_till_done()
    assert "ev_v2g.ledger_queue_entry" in hass_storage
    again = FlakyLedger()
    restarted = LedgerWriter(hass, "entry", "Garage", again)
    await restarted.async_open()
    assert await restarted.async_flush()
    assert again.batches == [[entry_at(1)]]
    await hass.async_block_till_done()
    assert "ev_v2g.ledger_queue_entry" not in hass_storage


async def test_close_writes_the_last_batch(
    hass: HomeAssistant, writer: LedgerWriter, ledger: FlakyLedger
) -> None:
    """Shutdown writes what is queued, then closes the database."""
    writer.add(entry_at(1))
    await writer.async_close()
    assert [len(batch) for batch in ledger.batches] == [1]
    assert ledger.closed


async def test_close_with_the_database_down_says_what_is_kept(
    hass: HomeAssistant,
    writer: LedgerWriter,
    ledger: FlakyLedger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Records that cannot be written at shutdown are counted in a warning and kept."""
    ledger.failure = LedgerUnavailableError("connection refused")
    writer.add(entry_at(1))
    writer.add(entry_at(2))
    await writer.async_close()
    assert ledger.closed
    assert "2 ledger records could not be written before closing" in caplog.text
    assert "kept for the next start" in caplog.text
    writer.add(entry_at(3))  # after closing nothing is scheduled any more
    assert writer._timer is None
