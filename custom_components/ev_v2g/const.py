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
CONF_DASHBOARD: Final = "dashboard"
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

# Site options: the ledger and billing.
CONF_LEDGER_URL: Final = "ledger_url"
CONF_TARIFF: Final = "tariff"
CONF_PRICE: Final = "price"
CONF_TOU_SCHEDULE: Final = "tou_schedule"
CONF_PRICE_SENSOR: Final = "price_sensor"
CONF_CREDIT_RATE: Final = "credit_rate"
CONF_SHARED_COSTS: Final = "shared_costs"
CONF_COST_SPLIT: Final = "cost_split"
CONF_FULL_POWER: Final = "full_power_w"
CONF_FULL_MINUTES: Final = "full_minutes"
TARIFF_FIXED: Final = "fixed"
TARIFF_TIME_OF_USE: Final = "time_of_use"
TARIFF_SENSOR: Final = "sensor"

PROTOCOL_COAP: Final = "coap"
PROTOCOL_OCPP: Final = "ocpp"

# OCPP station subentries. The password is kept only as a salted hash; entries made
# before minor version 2 had it in plain text under HA's CONF_PASSWORD ("password").
CONF_CHARGE_POINT_ID: Final = "charge_point_id"
CONF_PASSWORD_HASH: Final = "password_hash"  # noqa: S105 - a key name, not a secret
CONF_CONNECTORS: Final = "connectors"

# Site options: the OCPP central system and the tags it accepts before residents exist.
CONF_OCPP_PORT: Final = "ocpp_port"
# The address the central system listens on; empty for all of this machine's addresses.
CONF_OCPP_ADDRESS: Final = "ocpp_address"
CONF_OCPP_CERTFILE: Final = "ocpp_certfile"
CONF_OCPP_KEYFILE: Final = "ocpp_keyfile"
CONF_ALLOWED_TAGS: Final = "allowed_tags"
# Listen for charge points even before the site has one (so that a new one can be discovered).
CONF_OCPP_LISTEN: Final = "ocpp_listen"
DEFAULT_OCPP_PORT: Final = 9000
# Charge points are told to send a heartbeat this often; two missed ones mean offline.
OCPP_HEARTBEAT_INTERVAL: Final = 60
# How long a charge point may take to answer one of our calls.
OCPP_CALL_TIMEOUT: Final = 10.0
# At a reload, the central system waits this long for the site to come back before it closes.
OCPP_RELOAD_GRACE: Final = 30.0
SUBENTRY_STATION: Final = "station"
SUBENTRY_RESIDENT: Final = "resident"

CONTROL_COORDINATED: Final = "coordinated"
CONTROL_MANUAL: Final = "manual"

EVENT_ALLOCATION_CHANGED: Final = "ev_v2g_allocation_changed"
EVENT_DEMAND_RESPONSE: Final = "ev_v2g_demand_response"
EVENT_SESSION_STARTED: Final = "ev_v2g_session_started"
EVENT_SESSION_ENDED: Final = "ev_v2g_session_ended"

DEFAULT_SUPPLY_LIMIT: Final = 32
DEFAULT_VOLTAGE: Final = 230
DEFAULT_MIN_CURRENT: Final = 6
DEFAULT_MAX_CURRENT: Final = 32
DEFAULT_ROTATION_PERIOD: Final = 30
DEFAULT_RESERVE_SOC: Final = 30
# A car drawing less than this while allowed to charge, for this long, is full (the paper's rule).
DEFAULT_FULL_POWER: Final = 100
DEFAULT_FULL_MINUTES: Final = 10

# A load sensor may be briefly unavailable (HA start, a restarting meter) before it is a problem.
LOAD_SENSOR_GRACE: Final = 30

# A setpoint is valid this long; the station falls back by itself afterwards (DESIGN.md 10).
SETPOINT_LEASE: Final = 300
# Refresh a setpoint when this little of its lease is left.
SETPOINT_REFRESH_MARGIN: Final = 60
# A station's clock may run behind ours: a setpoint it holds counts this much past its lease.
SETPOINT_EXPIRY_GRACE: Final = 2.0

# A station's meter is written to the ledger at most this often (the pilot sampled each minute).
READING_INTERVAL: Final = 60
# A station's first count after a session ended, within this many seconds, is that session's
# (the energy between its last notification and the relay opening).
SESSION_SETTLE: Final = 30.0
# Records arriving within this window go to the database in one transaction.
LEDGER_FLUSH_DELAY: Final = 2
# A failed ledger write is retried after this long, doubling up to LEDGER_RETRY_MAX.
LEDGER_RETRY_DELAY: Final = 5
LEDGER_RETRY_MAX: Final = 60
