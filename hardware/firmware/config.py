"""The station's settings: `config.json` (wiring, limits, timings) and `calibration.json` (CT line).

Every setting has a default except the Wi-Fi credentials; a value of the wrong type or out of
range stops the firmware with a message naming it, before the relay is ever closed.
"""

import json

CONFIG_FILE = "config.json"
CALIBRATION_FILE = "calibration.json"

ADC_FULL_SCALE = 4096
"""Readings are in 12-bit counts on both boards (their ADCs are 12-bit)."""

# SCT-013-000 (2000 turns) into a 33 ohm burden, read by a 3.3 V ADC: amperes per count of
# the RMS reading, the starting point before a calibration against a clamp meter.
THEORETICAL_SLOPE = 2000 * 3.3 / (ADC_FULL_SCALE * 33.0)

DEFAULTS = {
    "station_id": "diy-1",
    "wifi_ssid": "",
    "wifi_password": "",
    "bind": "0.0.0.0",
    "port": 5683,
    "controllers": [],
    "min_ma": 6000,
    "max_ma": 16000,
    "max_discharge_ma": 0,
    "fallback_ma": 0,
    "watchdog_s": 60,
    "max_age_s": 10,
    "voltage_v": 230,
    "mains_hz": 50,
    "sample_cycles": 10,
    "sample_period_s": 1,
    "notify_delta_a": 0.2,
    "overcurrent_margin_a": 1.0,
    "overcurrent_s": 10,
    "plugged_threshold_a": 0.5,
    "persist_s": 300,
    "unsynced_lease_s": 300,
    "ntp_host": "pool.ntp.org",
    "ct_pin": None,
    "relay_pin": None,
    "relay_active_high": True,
    "plug_pin": None,
    "direction_pin": None,
    "hardware_watchdog_ms": 8000,
}

_NUMBERS = (
    "port",
    "min_ma",
    "max_ma",
    "max_discharge_ma",
    "fallback_ma",
    "watchdog_s",
    "max_age_s",
    "voltage_v",
    "mains_hz",
    "sample_cycles",
    "sample_period_s",
    "notify_delta_a",
    "overcurrent_margin_a",
    "overcurrent_s",
    "plugged_threshold_a",
    "persist_s",
    "unsynced_lease_s",
    "hardware_watchdog_ms",
)
_TEXTS = ("station_id", "wifi_ssid", "wifi_password", "bind", "ntp_host")
_PINS = ("ct_pin", "relay_pin", "plug_pin", "direction_pin")


class ConfigError(ValueError):
    """A setting that is missing, mistyped or out of range."""


def _is_number(value):
    """A finite int or float (x - x is NaN for infinities and NaN, which JSON may carry)."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value - value == 0


def _parse(text, what):
    try:
        document = json.loads(text)
    except ValueError as err:
        raise ConfigError("%s is not JSON: %s" % (what, err)) from err
    if not isinstance(document, dict):
        raise ConfigError("%s must hold a JSON object" % what)
    return document


def load_config(text):
    """Settings from the text of config.json, defaults filled in and checked.

    Raises:
        ConfigError: unknown key, wrong type or a value out of range.
    """
    document = _parse(text, CONFIG_FILE)
    settings = dict(DEFAULTS)
    for key, value in document.items():
        if key not in DEFAULTS:
            raise ConfigError("%s: unknown setting %r" % (CONFIG_FILE, key))
        settings[key] = value
    for key in _NUMBERS:
        if not _is_number(settings[key]) or settings[key] < 0:
            raise ConfigError("%s must be a number >= 0" % key)
    for key in _TEXTS:
        if not isinstance(settings[key], str):
            raise ConfigError("%s must be text" % key)
    for key in _PINS:
        value = settings[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError("%s must be a GPIO number or null" % key)
    if not isinstance(settings["relay_active_high"], bool):
        raise ConfigError("relay_active_high must be true or false")
    controllers = settings["controllers"]
    if not isinstance(controllers, list) or not all(isinstance(c, str) for c in controllers):
        raise ConfigError("controllers must be a list of IP addresses")
    _check_ranges(settings)
    return settings


def _check_ranges(settings):
    if not 0 < settings["min_ma"] <= settings["max_ma"]:
        raise ConfigError("need 0 < min_ma <= max_ma")
    discharge = settings["max_discharge_ma"]
    if discharge and discharge < settings["min_ma"]:
        raise ConfigError("max_discharge_ma must be 0 or at least min_ma")
    fallback = settings["fallback_ma"]
    if fallback and not settings["min_ma"] <= fallback <= settings["max_ma"]:
        raise ConfigError("fallback_ma must be 0 or within min_ma..max_ma")
    if not 1 <= settings["port"] <= 65535:
        raise ConfigError("port must be within 1..65535")
    for key in ("max_age_s", "voltage_v", "mains_hz", "sample_cycles", "sample_period_s"):
        if settings[key] <= 0:
            raise ConfigError("%s must be greater than 0" % key)


def load_calibration(text):
    """(slope, intercept) from the text of calibration.json, as written by hardware.calibration.

    Raises:
        ConfigError: missing numbers, or a slope that is not positive.
    """
    document = _parse(text, CALIBRATION_FILE)
    slope = document.get("slope")
    intercept = document.get("intercept", 0.0)
    if not (_is_number(slope) and _is_number(intercept)):
        raise ConfigError("%s needs numbers 'slope' and 'intercept'" % CALIBRATION_FILE)
    if not slope > 0:
        raise ConfigError("%s: slope must be positive" % CALIBRATION_FILE)
    return float(slope), float(intercept)
