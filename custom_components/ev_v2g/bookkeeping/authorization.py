"""Who may start a session, and for whom: the rules that make every kWh someone's.

A user linked to a resident charges as that resident; administrators and automations may name
any resident, and otherwise charge for the station's owner. A site without residents lets them
start unassigned sessions (a single home); with residents, a session needs one.
"""

from __future__ import annotations

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from ..const import DOMAIN
from ..core.records import Authorization, AuthorizationKind
from ..core.resident import Resident
from ..hub import SiteHub

AUTOMATION = "automation"


async def authorize(
    hass: HomeAssistant,
    hub: SiteHub,
    station_key: str,
    context: Context | None,
    requested: Resident | None = None,
) -> tuple[Authorization, Resident | None]:
    """Decide whether this caller may start a session here, and whose it is.

    Raises a translated ServiceValidationError when they may not.
    """
    station = hub.station(station_key)
    user_id = context.user_id if context else None
    context_id = context.id if context else None
    user = await hass.auth.async_get_user(user_id) if user_id else None
    by = AUTOMATION if user is None else (user.name or user.id)
    admin = user is None or user.is_owner or user.is_admin
    if user is not None:
        linked = hub.resident_of_user(user.id)
        if linked is not None and (requested is None or requested.key == linked.key):
            return _authorization(AuthorizationKind.USER, by, user_id, context_id), linked
        if not admin:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="not_authorized",
                translation_placeholders={"station": station.name},
            )
    if requested is not None:
        kind = AuthorizationKind.AUTOMATION if user is None else AuthorizationKind.USER
        return _authorization(kind, by, user_id, context_id), requested
    if (owner := hub.owner_of(station_key)) is not None:
        return _authorization(AuthorizationKind.OWNER, by, user_id, context_id), owner
    if not hub.residents:
        kind = AuthorizationKind.AUTOMATION if user is None else AuthorizationKind.USER
        return _authorization(kind, by, user_id, context_id), None
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="resident_required",
        translation_placeholders={"station": station.name},
    )


def _authorization(
    kind: AuthorizationKind, by: str, user_id: str | None, context_id: str | None
) -> Authorization:
    return Authorization(kind=kind, by=by, user_id=user_id, context_id=context_id)
