"""At a station's first contact: resume the session on record, or stop one nobody authorized.

Shared by both kinds of station: whatever the protocol, a session the ledger had open when Home
Assistant stopped is resumed if the station still runs it, and closed if it does not. A station
found charging with no session on record is resumed only when someone authorized it there (an
OCPP card of a resident); otherwise it is told to stop until someone does.
"""

from __future__ import annotations

from collections.abc import Callable
import time

from ..core.records import Authorization, AuthorizationKind, EndReason, Session
from ..core.resident import Resident
from ..core.station import Station, Transition

type Pending = tuple[Session, Resident | None]


def settle_sessions(
    station: Station, pending: Pending | None, found_running: Callable[[], Pending | None]
) -> bool:
    """Settle the session on record with what the station reports at first contact.

    `found_running` makes the session of a station that runs one we have no record of, when
    someone authorized it at the station (None otherwise). Returns True when the station runs
    a session nobody authorized: the caller tells it to stop.
    """
    if not station.can(Transition.ENABLE):
        return False
    if station.telemetry.switch_on:
        session = pending or found_running()
        if session is None:
            return True
        # Authorized before Home Assistant started: take the session over, do not pause it.
        station.enable(*session)
        station.observe_current()
    elif pending is not None:
        # The session on record ended while we were away.
        station.enable(*pending)
        station.disable(EndReason.CONTACT_LOST)
    return False


def running_session(
    station: str, resident: Resident | None, authorization: Authorization | None = None
) -> Session:
    """A session found running with none on record, for `resident` (None = unassigned).

    An unassigned session stays so until someone assigns it (ev_v2g.assign_session).
    """
    return Session(
        id=Session.new_id(),
        station=station,
        resident=resident.key if resident else None,
        resident_name=resident.name if resident else None,
        authorization=authorization
        or Authorization(kind=AuthorizationKind.RESTORED, by="restored"),
        started_at=time.time(),
    )
