"""A transaction a simulated charge point runs (its id may arrive later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class SimTransaction:
    """A transaction the charge point runs; its id may arrive later (1.6, queued offline)."""

    id_tag: str
    started_at: datetime
    meter_start_wh: float
    id: int | str | None = None
    remote_start_id: int | None = None
    seq_no: int = 0
    """2.0.1: the next TransactionEvent's seqNo."""

    def next_seq(self) -> int:
        """Take the next sequence number."""
        self.seq_no += 1
        return self.seq_no - 1
