"""OCPP timestamps (ISO 8601) to and from epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime
import math


def parse_timestamp(text: object) -> float | None:
    """Epoch seconds of an OCPP timestamp; a timestamp without zone is taken as UTC.

    Returns:
        None when ``text`` is not an ISO 8601 date and time.
    """
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    value = moment.timestamp()
    return value if math.isfinite(value) else None


def iso_utc(epoch: float) -> str:
    """An epoch time as an OCPP timestamp in UTC, e.g. ``2026-01-01T12:00:00Z``."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
