"""What a charge point is sent when it is configured: the steps, each one command.

The unit its profiles take, the site's ceiling, the fallback its connectors hold when our
limits lapse, the residents' tags, and a fresh status. `Configuration` runs them in order,
each on its own and retried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
import logging
from typing import TYPE_CHECKING
import zlib

from ..hub import SiteHub
from ..links.ocpp import OcppStationLink
from ..transport.errors import StationError
from ..transport.ocpp.model import ProfilePurpose
from .configuration import Steps

if TYPE_CHECKING:
    from ..transport.ocpp.central import CentralSystem

_LOGGER = logging.getLogger(__name__)


class ChargePointSteps:
    """The configuration steps of a site's charge points."""

    def __init__(
        self,
        central: CentralSystem,
        hub: SiteHub,
        links: Callable[[str], Sequence[OcppStationLink]],
        tags: Callable[[], list[str]],
    ) -> None:
        """`links` gives a charge point's stations (one per connector), `tags` the tags."""
        self.central = central
        self.hub = hub
        self.links = links
        self.tags = tags
        self._ceilings: dict[str, float] = {}
        """The ceiling each charge point accepted last: an unchanged one is not sent again."""

    def steps(self, charge_point_id: str) -> Steps:
        """The site's ceiling, the fallback limit, the residents' tags, then a fresh status."""
        commands = self.central.charge_point(charge_point_id)
        return [
            ("charging rate unit", lambda: self.read_rate_unit(charge_point_id)),
            ("ceiling", lambda: self.send_ceiling(charge_point_id)),
            ("fallback limit", lambda: self.send_fallback(charge_point_id)),
            ("local list", lambda: self.send_local_list(charge_point_id)),
            ("status request", lambda: commands.trigger("StatusNotification")),
        ]

    async def send_local_list(self, charge_point_id: str) -> None:
        """The residents' tags, as the charger's local authorization list."""
        tags = self.tags()
        await self.central.charge_point(charge_point_id).send_local_list(tags, _list_version(tags))

    async def send_fallback(self, charge_point_id: str) -> None:
        """The stack-level-0 TxDefaultProfile each connector falls back to when ours lapse."""
        fallback = self.fallback_a()
        await self.central.charge_point(charge_point_id).set_limit(
            0, fallback, ProfilePurpose.TX_DEFAULT, valid_to=None, stack_level=0
        )
        for link in self.links(charge_point_id):
            link.station.telemetry.fallback_a = fallback

    async def read_rate_unit(self, charge_point_id: str) -> None:
        """Which unit the charger's profiles take (A, or W for one that takes only W)."""
        links = self.links(charge_point_id)
        phases = links[0].station.capabilities.phases if links else 1
        self.central.states[charge_point_id].watts_per_amp = self.hub.site.voltage_v * phases
        unit = await self.central.charge_point(charge_point_id).read_rate_unit()
        if unit == "W":
            _LOGGER.info("Charge point %s takes its limits in W", charge_point_id)

    async def send_ceiling(self, charge_point_id: str, *, again: bool = True) -> None:
        """ChargePointMaxProfile: the site's limit, at most what the connectors can take."""
        links = self.links(charge_point_id)
        limit = self.hub.sharing.site_limit_a
        most = sum(link.station.capabilities.max_current_a for link in links)
        ceiling = min(limit, most) if links else limit
        if not again and self._ceilings.get(charge_point_id) == ceiling:
            return
        # Noted before it goes out: a change meanwhile does not send the same ceiling again.
        self._ceilings[charge_point_id] = ceiling
        try:
            await self.central.charge_point(charge_point_id).set_limit(
                0, ceiling, ProfilePurpose.CHARGE_POINT_MAX, valid_to=None, stack_level=0
            )
        except StationError:
            self._ceilings.pop(charge_point_id, None)
            raise

    def fallback_a(self) -> float:
        """What each connector may draw when our limits lapse: an equal share of the supply."""
        count = max(len(self.hub.links), 1)
        return float(int(self.hub.site.supply_limit_a / count * 10) / 10)


def _list_version(tags: list[str]) -> int:
    """A local list version that changes when the list does (OCPP wants a positive integer)."""
    return zlib.crc32("\n".join(sorted(tags)).encode()) % 2_000_000_000 + 1
