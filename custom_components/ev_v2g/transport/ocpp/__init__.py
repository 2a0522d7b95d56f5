"""OCPP 1.6J and 2.0.1 central system (pure Python: no Home Assistant here).

The site uses ``CentralSystem`` (central.py), the ``ChargePointCommands`` it hands out for a
connected charge point, the state model (model.py) and the errors below.
"""

from .central import CentralSystem
from .commands import ChargePointCommands
from .errors import CommandRejectedError, CommandTimeoutError, NotConnectedError
from .record import CentralSystemListener

__all__ = [
    "CentralSystem",
    "CentralSystemListener",
    "ChargePointCommands",
    "CommandRejectedError",
    "CommandTimeoutError",
    "NotConnectedError",
]
