"""Constants of the ev_v2g integration."""

from typing import Final

DOMAIN: Final = "ev_v2g"

CONF_SUPPLY_LIMIT: Final = "supply_limit_a"
CONF_PHASES: Final = "phases"
CONF_VOLTAGE: Final = "voltage_v"
CONF_PROTOCOL: Final = "protocol"
CONF_MIN_CURRENT: Final = "min_current_a"
CONF_MAX_CURRENT: Final = "max_current_a"

CONF_CONNECTED_PHASE: Final = "connected_phase"
CONF_OWNER: Final = "owner"

# Site options: how the supply is shared.
CONF_POLICY: Final = "policy"
CONF_MAX_ACTIVE: Final = "max_active"
CONF_ROTATION_PERIOD: Final = "rotation_period_min"
CONF_LOAD_SENSOR: Final = "load_sensor"
CONF_LOAD_KIND: Final = "load_kind"
CONF_SAFE_LIMIT: Final = "safe_limit_a"
LOAD_NON_EV: Final = "non_ev"
LOAD_GRID_IMPORT: Final = "grid_import"

# Resident subentries.
CONF_USER: Final = "user_id"
CONF_ID_TAGS: Final = "id_tags"
CONF_V2G_OPT_IN: Final = "v2g_opt_in"
CONF_RESERVE_SOC: Final = "reserve_soc"
CONF_PRIORITY: Final = "priority"

PROTOCOL_COAP: Final = "coap"
SUBENTRY_STATION: Final = "station"
SUBENTRY_RESIDENT: Final = "resident"

CONTROL_COORDINATED: Final = "coordinated"
CONTROL_MANUAL: Final = "manual"

EVENT_ALLOCATION_CHANGED: Final = "ev_v2g_allocation_changed"
EVENT_DEMAND_RESPONSE: Final = "ev_v2g_demand_response"

DEFAULT_SUPPLY_LIMIT: Final = 32
DEFAULT_VOLTAGE: Final = 230
DEFAULT_MIN_CURRENT: Final = 6
DEFAULT_MAX_CURRENT: Final = 32
DEFAULT_ROTATION_PERIOD: Final = 30
DEFAULT_RESERVE_SOC: Final = 30

# Changes arriving within this window are allocated together (a plug and its vehicle report).
ALLOCATION_DEBOUNCE: Final = 0.05
# A load sensor may be briefly unavailable (HA start, a restarting meter) before it is a problem.
LOAD_SENSOR_GRACE: Final = 30

# A setpoint is valid this long; the station falls back by itself afterwards (DESIGN.md 10).
SETPOINT_LEASE: Final = 300
# Refresh a setpoint when this little of its lease is left.
SETPOINT_REFRESH_MARGIN: Final = 60
