"""Statements as CSV for a spreadsheet: one row per resident, and one per session.

Every row names the site, the period and the currency, so rows pasted together from several
statements still say what they are. Text cells that a spreadsheet would run as a formula are
neutralised. Write the text as UTF-8 with a BOM (`CSV_ENCODING`).
"""

from __future__ import annotations

import csv
from datetime import datetime
import io

from .billing import ResidentLine, Statement

CSV_ENCODING = "utf-8-sig"
"""UTF-8 with a byte-order mark: how spreadsheet programs know the names are not Latin-1."""

HEAD_COLUMNS = ("site", "period_start", "period_end", "currency", "closed")
CSV_COLUMNS = (
    *HEAD_COLUMNS,
    "resident_id",
    "resident",
    "import_kwh",
    "export_kwh",
    "cost",
    "credit",
    "shared",
    "adjustment",
    "net",
    "sessions",
)
SESSION_COLUMNS = (
    *HEAD_COLUMNS,
    "resident_id",
    "resident",
    "session_id",
    "station",
    "start",
    "end",
    "import_kwh",
    "export_kwh",
    "cost",
    "credit",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a quote first."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _head(statement: Statement, site: str) -> list[str]:
    closed = "" if statement.closed_at is None else statement.closed_at.isoformat()
    return [
        safe_cell(site),
        statement.start.isoformat(),
        statement.end.isoformat(),
        statement.currency,
        closed,
    ]


def _line_cells(line: ResidentLine) -> list[str]:
    money = (line.cost, line.credit, line.shared, line.adjustment, line.net)
    return [
        safe_cell(line.resident or ""),
        safe_cell(line.name),
        f"{line.import_kwh:.3f}",
        f"{line.export_kwh:.3f}",
        *(f"{value:.2f}" for value in money),
        str(line.sessions),
    ]


def statement_csv(statement: Statement, site: str = "") -> str:
    """A header, a row per resident, then `unassigned` and `total`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = _head(statement, site)
    for line in (*statement.residents, statement.unassigned, statement.total):
        writer.writerow([*head, *_line_cells(line)])
    return out.getvalue()


def sessions_csv(statement: Statement, site: str = "") -> str:
    """A header, then a row per session of each resident (the part inside the period)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SESSION_COLUMNS)
    head = _head(statement, site)
    zone = statement.start.tzinfo
    for line in (*statement.residents, statement.unassigned):
        for session in line.session_list:
            ended = session.ended_at
            writer.writerow(
                [
                    *head,
                    safe_cell(line.resident or ""),
                    safe_cell(line.name),
                    session.session,
                    safe_cell(session.station),
                    datetime.fromtimestamp(session.started_at, zone).isoformat(),
                    "" if ended is None else datetime.fromtimestamp(ended, zone).isoformat(),
                    f"{session.import_wh / 1000:.3f}",
                    f"{session.export_wh / 1000:.3f}",
                    f"{session.cost:.2f}",
                    f"{session.credit:.2f}",
                ]
            )
    return out.getvalue()
