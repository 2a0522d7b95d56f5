"""Short builders of ledger records for the tests."""

from __future__ import annotations

from custom_components.ev_v2g.core.records import Authorization, AuthorizationKind, Reading, Session


def session(
    session_id: str,
    station: str = "st1",
    resident: str | None = "ann",
    started_at: float = 1000.0,
) -> Session:
    """A session authorized by an HA user."""
    return Session(
        id=session_id,
        station=station,
        resident=resident,
        resident_name=resident.title() if resident else None,
        authorization=Authorization(
            kind=AuthorizationKind.USER, by="Ann", user_id="user-1", context_id="ctx-1"
        ),
        started_at=started_at,
        import_start_wh=0.0,
        export_start_wh=0.0,
    )


def reading(
    at: float,
    import_wh: float,
    export_wh: float = 0.0,
    *,
    station: str = "st1",
    session_id: str | None = "s1",
    price: float = 0.25,
    credit_rate: float = 0.1,
) -> Reading:
    """A reading of a station's lifetime totals."""
    return Reading(
        station=station,
        at=at,
        session=session_id,
        import_wh=import_wh,
        export_wh=export_wh,
        meter_import_wh=import_wh,
        meter_export_wh=export_wh,
        power_w=2300.0,
        price=price,
        credit_rate=credit_rate,
    )
