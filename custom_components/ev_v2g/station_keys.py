"""Station keys: a station subentry's id, or one per connector of a multi-connector charge point."""

from __future__ import annotations

CONNECTOR_SEPARATOR = "_connector_"


def connector_key(subentry: str, connector: int) -> str:
    """The station key of one connector of a charge point with several."""
    return f"{subentry}{CONNECTOR_SEPARATOR}{connector}"


def subentry_of(station_key: str) -> str:
    """The station subentry a station key belongs to."""
    return station_key.split(CONNECTOR_SEPARATOR, 1)[0]
