"""Turn domain and transport failures into translated Home Assistant errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, Concatenate

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .core.station import IllegalTransitionError, InvalidSetpointError
from .entity import EvV2gStationEntity
from .transport.coap import StationError, StationRefusedError


def station_command[_EntityT: EvV2gStationEntity, **_P](
    func: Callable[Concatenate[_EntityT, _P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[_EntityT, _P], Coroutine[Any, Any, None]]:
    """Map the failures of a station command to translated errors."""

    @wraps(func)
    async def handler(self: _EntityT, *args: _P.args, **kwargs: _P.kwargs) -> None:
        name = self.station.name
        try:
            await func(self, *args, **kwargs)
        except IllegalTransitionError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="illegal_transition",
                translation_placeholders={
                    "station": name,
                    "state": err.state.value,
                    "transition": err.transition.value,
                },
            ) from err
        except InvalidSetpointError as err:
            caps = self.station.capabilities
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
        except StationError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="station_unreachable",
                translation_placeholders={"station": name},
            ) from err

    return handler
