"""A site's statements from its ledger: built live for an open period, kept as issued once closed.

An open period's statement bills the corrections of the closed periods before it whose next
open period it is (`core/closing.py`); closing a period keeps its statement, corrections
included, exactly as it is issued then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ..core.billing import Details, Statement, build_statement
from ..core.closing import corrections, due_in, statement_from_record, statement_record
from ..core.ledger_details import ClosedPeriod, PeriodClosedError
from ..core.shared_costs import SharedCosts
from .session_book import SessionBook


class PeriodNotOverError(Exception):
    """Only a period that has ended can be closed."""


@dataclass(frozen=True)
class Site:
    """What a statement names: the residents and stations configured now, and the currency."""

    residents: Mapping[str, str]
    stations: Mapping[str, str]
    currency: str


async def async_closed(book: SessionBook) -> list[Statement]:
    """The closed periods' statements as issued, in time order."""
    periods = await book.writer.async_read(book.writer.ledger.closed_periods)
    return [statement_from_record(period.statement) for period in periods]


async def async_statement(
    book: SessionBook, start: datetime, end: datetime, shared: SharedCosts, site: Site
) -> Statement:
    """The statement of [start, end): as issued if closed, else as the ledger reads now.

    Raises LedgerUnavailableError when the database cannot be reached.
    """
    closed = await async_closed(book)
    for statement in closed:
        if statement.start == start and statement.end == end:
            return statement
    adjustments = []
    for period in due_in(start, closed):
        restated = await _async_live(book, period.start, period.end, period.shared_costs, site)
        adjustments.extend(corrections(period, restated, closed))
    return await _async_live(
        book, start, end, shared, site, details=Details(adjustments=adjustments)
    )


async def async_close(
    book: SessionBook,
    start: datetime,
    end: datetime,
    shared: SharedCosts,
    site: Site,
    *,
    now: datetime,
    user_id: str | None,
) -> Statement:
    """Close [start, end): its statement is kept as issued now, and returned.

    Raises PeriodNotOverError before its end, PeriodClosedError if it is closed already, and
    LedgerUnavailableError when the database cannot be reached (nothing is closed then).
    """
    if end > now:
        raise PeriodNotOverError(f"the period ends at {end.isoformat()}")
    statement = await async_statement(book, start, end, shared, site)
    if statement.closed_at is not None:
        raise PeriodClosedError(f"the period starting at {start.isoformat()} is closed already")
    issued = replace(statement, closed_at=now)
    period = ClosedPeriod(
        start=start.timestamp(),
        end=end.timestamp(),
        closed_at=now.timestamp(),
        user_id=user_id,
        statement=statement_record(issued),
    )
    await book.writer.async_read(book.writer.ledger.close_period, period)
    return issued


async def _async_live(
    book: SessionBook,
    start: datetime,
    end: datetime,
    shared: SharedCosts,
    site: Site,
    *,
    details: Details | None = None,
) -> Statement:
    ledger, read = book.writer.ledger, book.writer.async_read
    bounds = (start.timestamp(), end.timestamp())
    usages = await book.async_usage(start, end)
    metered = await book.async_metered(start, end)
    present = await book.residency.async_presence(start, end)
    sessions = await read(ledger.session_lines, *bounds)
    bands = await read(ledger.bands, *bounds)
    names = {key: name for key, (_, name) in present.items()} | dict(site.residents)
    named = [replace(s, station=site.stations.get(s.station, s.station)) for s in sessions]
    return build_statement(
        start,
        end,
        usages,
        names,
        shared,
        site.currency,
        metered,
        {key: seconds for key, (seconds, _) in present.items()},
        Details(
            sessions=named,
            bands=bands,
            adjustments=() if details is None else details.adjustments,
        ),
    )
