"""A resident: who a session belongs to, and what they allow their car to do for the grid."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Resident:
    """A person who charges at the site."""

    key: str
    name: str
    user_id: str | None = None
    """The Home Assistant user linked to this resident, if any."""
    id_tags: tuple[str, ...] = ()
    v2g_opt_in: bool = False
    """Whether the car may give energy back when demand response asks."""
    reserve_soc: float = 30.0
    """State of charge (percent) the car keeps when discharging."""
    priority: int = 0
    """Higher charges first under the priority policy."""
