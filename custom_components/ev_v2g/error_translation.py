"""Turn domain and transport failures into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, cast

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .core.capabilities import InvalidSetpointError
from .core.station import IllegalTransitionError, Station
from .entity import EvV2gStationEntity
from .hub import CoordinatedStationError
from .sharing.manual import RoomNotMadeError
from .transport.errors import StationError, StationRefusedError
from .transport.ocpp.errors import NotConnectedError

# Failures told by the station's name alone: the error raised and its translation, most
# specific first.
_NAMED_ONLY: dict[type[Exception], tuple[type[HomeAssistantError], str]] = {
    RoomNotMadeError: (HomeAssistantError, "room_not_made"),
    CoordinatedStationError: (ServiceValidationError, "station_coordinated"),
    NotConnectedError: (HomeAssistantError, "charge_point_offline"),
    StationError: (HomeAssistantError, "station_unreachable"),
}


def station_command[**P](
    func: Callable[P, Coroutine[Any, Any, None]],
) -> Callable[P, Coroutine[Any, Any, None]]:
    """Map the failures of a station entity's command to translated errors."""

    async def handler(*args: P.args, **kwargs: P.kwargs) -> None:
        entity = cast(EvV2gStationEntity, args[0])
        async with station_errors(entity.station):
            await func(*args, **kwargs)

    return handler


@asynccontextmanager
async def station_errors(station: Station) -> AsyncIterator[None]:
    """Map the failures of a command to a station to translated errors."""
    name = station.name
    try:
        yield
    except IllegalTransitionError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=f"illegal_while_{err.state.value}",
            translation_placeholders={
                "station": name,
                "state": err.state.value,
                "transition": err.transition.value,
            },
        ) from err
    except InvalidSetpointError as err:
        caps = station.capabilities
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=err.reason,
            translation_placeholders={
                "station": name,
                "value": f"{err.setpoint_a:g}",
                "min": f"{caps.min_current_a:g}",
                "max": f"{caps.max_current_a:g}",
                "max_discharge": f"{caps.max_discharge_a:g}",
            },
        ) from err
    except StationRefusedError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="station_refused",
            translation_placeholders={
                "station": name,
                "code": err.code,
                "reason": err.diagnostic or "-",
            },
        ) from err
    except (RoomNotMadeError, CoordinatedStationError, NotConnectedError, StationError) as err:
        # Refusals were taken above; what is left is told by the station's name alone.
        error, key = next(
            (error, key) for kind, (error, key) in _NAMED_ONLY.items() if isinstance(err, kind)
        )
        raise error(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={"station": name},
        ) from err
