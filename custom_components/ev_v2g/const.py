"""Constants of the ev_v2g integration."""

from typing import Final

DOMAIN: Final = "ev_v2g"

CONF_SUPPLY_LIMIT: Final = "supply_limit_a"
CONF_PHASES: Final = "phases"
CONF_VOLTAGE: Final = "voltage_v"
CONF_PROTOCOL: Final = "protocol"
CONF_MIN_CURRENT: Final = "min_current_a"
CONF_MAX_CURRENT: Final = "max_current_a"

PROTOCOL_COAP: Final = "coap"
SUBENTRY_STATION: Final = "station"

DEFAULT_SUPPLY_LIMIT: Final = 32
DEFAULT_VOLTAGE: Final = 230
DEFAULT_MIN_CURRENT: Final = 6
DEFAULT_MAX_CURRENT: Final = 32

# A setpoint is valid this long; the station falls back by itself afterwards (DESIGN.md 10).
SETPOINT_LEASE: Final = 300
# Refresh a setpoint when this little of its lease is left.
SETPOINT_REFRESH_MARGIN: Final = 60
