"""What the ledger stores and returns: sessions, meter readings, assignments, audit and usage.

Times are POSIX seconds (UTC); energy is in Wh; prices are per kWh in the site's currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any
import uuid


class AuthorizationKind(StrEnum):
    """How a session was authorized."""

    USER = "user"
    """An HA user: the resident linked to them, or an administrator naming a resident."""
    OWNER = "owner"
    """The station's owner resident, by an automation or an administrator."""
    ID_TAG = "id_tag"
    """An RFID / OCPP id tag belonging to a resident."""
    AUTOMATION = "automation"
    """An automation or script on a site without residents."""
    RESTORED = "restored"
    """Found running at first contact with no session on record (authorized elsewhere)."""


class EndReason(StrEnum):
    """Why a session ended."""

    STOPPED = "stopped"
    UNPLUGGED = "unplugged"
    FULL = "full"
    STATION = "station"
    """The relay was opened at the station itself."""
    CONTACT_LOST = "contact_lost"
    """Contact came back with the relay open."""


@dataclass(frozen=True, kw_only=True)
class Authorization:
    """Who authorized a session, kept for non-repudiation."""

    kind: AuthorizationKind
    by: str
    """A display name: the HA user's name, the id tag, or "automation"."""
    user_id: str | None = None
    context_id: str | None = None
    id_tag: str | None = None


@dataclass(kw_only=True)
class Session:
    """A charging session: one station, one resident (or unassigned), one authorization."""

    id: str
    station: str
    resident: str | None
    resident_name: str | None
    authorization: Authorization
    started_at: float
    import_start_wh: float | None = None
    export_start_wh: float | None = None
    ended_at: float | None = None
    import_stop_wh: float | None = None
    export_stop_wh: float | None = None
    end_reason: EndReason | None = None

    @staticmethod
    def new_id() -> str:
        """A fresh, globally unique session id."""
        return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class SessionClosed:
    """A session's end, to be written to the ledger."""

    session: str
    ended_at: float
    reason: EndReason
    import_stop_wh: float | None
    export_stop_wh: float | None


@dataclass(frozen=True, kw_only=True)
class Reading:
    """A station's meter at one moment, with the price in force and the session it belongs to.

    The totals are the station's lifetime counters (they never step back, across station
    restarts); the ledger turns consecutive readings into energy deltas.
    """

    station: str
    at: float
    session: str | None
    import_wh: float
    export_wh: float
    meter_import_wh: float | None = None
    """The station's raw counter, kept so the lifetime total can be resumed after a restart."""
    meter_export_wh: float | None = None
    meter_boot: float | None = None
    """The station's boot record with the raw counters (None: it sends none)."""
    power_w: float | None = None
    price: float = 0.0
    """Price per kWh imported, in force at `at`."""
    credit_rate: float = 0.0
    """Credit per kWh exported (V2G), in force at `at`."""


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """A session moved to another resident (or to unassigned), audited."""

    session: str
    resident: str | None
    resident_name: str | None
    at: float
    user_id: str | None = None
    context_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """Who did what, with the HA user and context."""

    at: float
    action: str
    session: str | None = None
    user_id: str | None = None
    context_id: str | None = None
    detail: str = ""
    """JSON text with the action's particulars."""


@dataclass(frozen=True, kw_only=True)
class Residency:
    """A resident moved in (or out, `moved_out`): statements of past periods depend on it."""

    resident: str
    name: str
    at: float
    moved_out: bool = False


type LedgerRecord = Session | SessionClosed | Reading | Assignment | AuditEntry | Residency


@dataclass(frozen=True, kw_only=True)
class Usage:
    """Energy, cost and credit of one resident (None = unassigned) at one station in a period."""

    resident: str | None
    resident_name: str | None
    station: str
    import_wh: float
    export_wh: float
    cost: float
    """Σ imported kWh x price in force."""
    credit: float
    """Σ exported kWh x credit rate in force."""
    sessions: int


_RECORD_TYPES: dict[
    str, type[Session | SessionClosed | Reading | Assignment | AuditEntry | Residency]
] = {
    "session": Session,
    "session_closed": SessionClosed,
    "reading": Reading,
    "assignment": Assignment,
    "audit": AuditEntry,
    "residency": Residency,
}


def record_to_json(record: LedgerRecord) -> dict[str, Any]:
    """A ledger record as plain JSON data (kept while the database cannot be written)."""
    kind = next(name for name, cls in _RECORD_TYPES.items() if type(record) is cls)
    return {"kind": kind, **asdict(record)}


def record_from_json(data: Mapping[str, Any]) -> LedgerRecord:
    """A ledger record from `record_to_json`'s data; raises ValueError when it is not one."""
    fields = dict(data)
    cls = _RECORD_TYPES.get(str(fields.pop("kind", "")))
    if cls is None:
        raise ValueError(f"not a ledger record: {data.get('kind')!r}")
    try:
        if cls is Session:
            authorization = dict(fields.pop("authorization"))
            authorization["kind"] = AuthorizationKind(authorization["kind"])
            reason = fields.pop("end_reason", None)
            return Session(
                authorization=Authorization(**authorization),
                end_reason=None if reason is None else EndReason(reason),
                **fields,
            )
        if cls is SessionClosed:
            fields["reason"] = EndReason(fields["reason"])
        return cls(**fields)
    except (KeyError, TypeError) as err:
        raise ValueError(f"not a ledger record: {err}") from err
