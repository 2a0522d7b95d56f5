"""Simulated OCPP 1.6J / 2.0.1 charge points (a state, a scheduler and a version driver each)."""

from .charge_point import SimulatedChargePoint
from .fleet import run_charge_points
from .outbox import MAX_QUEUED, OfflineError
from .physics import SimConnector
from .profiles import SimProfile
from .state import VERSIONS, ChargePointState
from .transaction import SimTransaction

__all__ = [
    "MAX_QUEUED",
    "VERSIONS",
    "ChargePointState",
    "OfflineError",
    "SimConnector",
    "SimProfile",
    "SimTransaction",
    "SimulatedChargePoint",
    "run_charge_points",
]
