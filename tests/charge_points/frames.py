"""Reading what a simulated charge point received from the central system."""

from __future__ import annotations

from hardware.station_sim.ocpp import SimulatedChargePoint


def calls(charger: SimulatedChargePoint, action: str) -> list[dict]:
    """The payloads of the central system's calls of one action, in order."""
    return [payload for name, payload in charger.state.received if name == action]


def profile_of(payload: dict) -> dict:
    """The charging profile of a SetChargingProfile payload, in either version."""
    return payload.get("csChargingProfiles") or payload["chargingProfile"]


def limit_of(payload: dict) -> float:
    """The first period's limit of a SetChargingProfile payload."""
    schedule = profile_of(payload)["chargingSchedule"]
    if isinstance(schedule, list):
        schedule = schedule[0]
    return float(schedule["chargingSchedulePeriod"][0]["limit"])
