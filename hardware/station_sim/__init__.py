"""Simulated CoAP charging stations speaking the ev_v2g station contract (DESIGN.md section 5).

Run `python -m hardware.station_sim --count 4` for a demo site, or drive stations from tests::

    station = SimulatedStation(station_id="sim-1", max_age=2, tick=0.2)
    async with StationServer(station, port=free_udp_port()) as server:
        station.plug(Vehicle(capacity_kwh=40, soc=50, v2g=True))
"""

from .fleet import demo_station, run_stations
from .model import DischargeNotAllowedError, Faults, SetpointError, SimulatedStation, Vehicle
from .ocpp import (
    OfflineError,
    SimConnector,
    SimProfile,
    SimTransaction,
    SimulatedChargePoint,
    run_charge_points,
)
from .ports import free_tcp_port, free_udp_port, free_udp_ports
from .server import StationServer

__all__ = [
    "DischargeNotAllowedError",
    "Faults",
    "OfflineError",
    "SetpointError",
    "SimConnector",
    "SimProfile",
    "SimTransaction",
    "SimulatedChargePoint",
    "SimulatedStation",
    "StationServer",
    "Vehicle",
    "demo_station",
    "free_tcp_port",
    "free_udp_port",
    "free_udp_ports",
    "run_charge_points",
    "run_stations",
]
