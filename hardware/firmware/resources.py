"""The station's CoAP resources (DESIGN.md section 5) and what they say on the wire.

Each resource renders a GET, takes a PUT where writable, and tells the site when its state moved
enough to notify observers. SenML numbers are printed from integers where precision matters.
"""

import json

from . import coap, meter
from .station import DischargeNotAllowedError, SetpointError

RT_PREFIX = "ev_v2g."


def _json(value):
    return json.dumps(value).encode()


def _load_object(data):
    """A JSON object from a request body, or None when it is not one."""
    try:
        document = json.loads(data.decode())
    except (ValueError, UnicodeError):
        return None
    return document if isinstance(document, dict) else None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _text(code, message):
    return code, message.encode(), coap.TEXT_PLAIN, None


class Resource:
    """A resource of the station; subclasses fill in what differs."""

    name = ""
    content_format = coap.JSON
    observable = True
    announced = False
    """Whether discovery names the content format (`ct`), as it does for the typed resources."""
    heartbeat = False
    """Notify at least every Max-Age / 2, so a silent station is noticed by its observers."""

    def __init__(self, station):
        """Serve `station`."""
        self.station = station
        self.notified_state = None
        self.notified_at = None

    def link(self):
        """This resource's entry in /.well-known/core."""
        text = '</%s>;rt="%s%s"' % (self.name, RT_PREFIX, self.name)
        if self.observable:
            text += ";obs"
        if self.announced:
            text += ";ct=%d" % self.content_format
        return text

    def max_age(self):
        """Max-Age of a GET answer, or None for the CoAP default."""

    def body(self):
        """Current representation as bytes."""
        raise NotImplementedError

    def get(self):
        """(code, payload, content format, max age) of a GET."""
        return coap.CONTENT, self.body(), self.content_format, self.max_age()

    def put(self, payload, content_format):
        """(code, payload, content format, max age) of a PUT or POST."""
        return coap.METHOD_NOT_ALLOWED, b"", None, None

    def state(self):
        """What observers care about."""
        return self.body()

    def changed(self, before, after):
        """Whether the state moved enough to notify."""
        return before != after


class Switch(Resource):
    """/switch: whether charging is enabled; `relay` tells what the contacts really do."""

    name = "switch"

    def body(self):
        """Render the switch."""
        station = self.station
        return _json({"value": station.switch_on, "relay": station.relay_closed})

    def put(self, payload, content_format):
        """Switch from JSON {"value": bool} or legacy text on/off/1/0."""
        if content_format == coap.JSON:
            document = _load_object(payload)
            value = None if document is None else document.get("value")
            if not isinstance(value, bool):
                return _text(coap.BAD_REQUEST, 'expected {"value": true|false}')
        elif content_format in (None, coap.TEXT_PLAIN):
            word = payload.decode().strip().lower() if _ascii(payload) else ""
            if word not in ("on", "1", "off", "0"):
                return _text(coap.BAD_REQUEST, "expected on, off, 1 or 0")
            value = word in ("on", "1")
        else:
            return _text(coap.UNSUPPORTED_FORMAT, "switch reads JSON (50) or text (0)")
        self.station.set_switch(value)
        return coap.CHANGED, self.body(), coap.JSON, None


def _ascii(data):
    return all(byte < 128 for byte in data)


class Regulator(Resource):
    """/regulator: setpoint in mA (negative = discharge), its expiry and the station's limits."""

    name = "regulator"

    def body(self):
        """Render the setpoint and limits."""
        station = self.station
        settings = station.settings
        return _json(
            {
                "setpoint_ma": station.setpoint_ma,
                "until": station.until,
                "min_ma": settings["min_ma"],
                "max_ma": settings["max_ma"],
                "max_discharge_ma": settings["max_discharge_ma"],
                "fallback_ma": settings["fallback_ma"],
            }
        )

    def put(self, payload, content_format):
        """Take {"setpoint_ma": int, "until": int (optional)}; 4.00 or 4.03 when refused."""
        if content_format not in (None, coap.JSON):
            return _text(coap.UNSUPPORTED_FORMAT, "regulator reads JSON (50)")
        document = _load_object(payload)
        if document is None or not _is_int(document.get("setpoint_ma")):
            return _text(coap.BAD_REQUEST, 'expected {"setpoint_ma": int, "until": int}')
        until = document.get("until")
        if until is not None and not _is_int(until):
            return _text(coap.BAD_REQUEST, "until must be an integer unix time")
        try:
            self.station.set_regulator(document["setpoint_ma"], until)
        except DischargeNotAllowedError as err:
            return _text(coap.FORBIDDEN, str(err))
        except SetpointError as err:
            return _text(coap.BAD_REQUEST, str(err))
        return coap.CHANGED, self.body(), coap.JSON, None


def _senml(station, first, records):
    """A SenML pack; `records` are (name, unit, number text) and the first carries the base."""
    base = '"bn":"urn:dev:ev_v2g:%s:"' % station.settings["station_id"]
    parts = []
    for index, (name, unit, value) in enumerate(records):
        head = base + first + "," if index == 0 else ""
        units = ',"u":"%s"' % unit if unit else ""
        parts.append('{%s"n":"%s"%s,"v":%s}' % (head, name, units, value))
    return ("[" + ",".join(parts) + "]").encode()


class Current(Resource):
    """/current: SenML current (A, signed), voltage (V) and power (W), fresh for Max-Age."""

    name = "current"
    announced = True
    content_format = coap.SENML_JSON
    heartbeat = True

    def max_age(self):
        """Readings stay fresh for max_age_s."""
        return int(self.station.settings["max_age_s"])

    def body(self):
        """Render the readings."""
        station = self.station
        clock = station.hal.unix_time()
        first = ',"bt":%d' % clock if clock is not None else ""
        records = (
            ("current", "A", "%.3f" % station.current_a),
            ("voltage", "V", "%.1f" % station.voltage_v),
            ("power", "W", "%.1f" % station.power_w),
        )
        return _senml(station, first, records)

    def state(self):
        """The current and the relay, without the time stamp."""
        return (self.station.current_a, self.station.relay_closed)

    def changed(self, before, after):
        """Notify on a relay change or a current step of notify_delta_a."""
        if before is None or before[1] != after[1]:
            return True
        return abs(after[0] - before[0]) >= self.station.settings["notify_delta_a"]


class Energy(Resource):
    """/energy: SenML counters in Wh since boot, only ever increasing, and the boot's number.

    The number changes at each boot: the integration tells a restart from a glitch by it.
    """

    name = "energy"
    announced = True
    content_format = coap.SENML_JSON
    heartbeat = True

    def max_age(self):
        """Counters stay fresh for max_age_s."""
        return int(self.station.settings["max_age_s"])

    def body(self):
        """Render the counters."""
        energy = self.station.energy
        records = (
            ("energy_import", "Wh", energy.import_wh()),
            ("energy_export", "Wh", energy.export_wh()),
            ("boot", None, str(self.station.boot)),
        )
        return _senml(self.station, "", records)

    def state(self):
        """The counters in whole Wh: a notification per Wh at most."""
        energy = self.station.energy
        return (energy.import_mj // 3600000, energy.export_mj // 3600000)


class Vehicle(Resource):
    """/vehicle: plugged or not; V2G when the station can discharge. No SoC over a relay."""

    name = "vehicle"
    announced = True

    def body(self):
        """Render the vehicle state."""
        station = self.station
        plugged = bool(station.plugged)
        return _json({"plugged": plugged, "v2g": plugged and station.can_discharge})


class Sensor(Resource):
    """/ct: the raw RMS reading behind /current (for calibration) and the lifetime meters."""

    name = "ct"
    announced = True
    observable = False

    def body(self):
        """Render the reading, the current it gives and the line in use."""
        station = self.station
        imported, exported = station.energy.lifetime_mj()
        return _json(
            {
                "reading": round(station.reading, 2),
                "samples": station.samples,
                "current_a": round(abs(station.current_a), 3),
                "slope": station.slope,
                "intercept": station.intercept,
                "lifetime_import_wh": imported // meter.MJ_PER_WH,
                "lifetime_export_wh": exported // meter.MJ_PER_WH,
            }
        )


def resources_of(station):
    """Every resource of a station, in the order discovery lists them."""
    return [cls(station) for cls in (Switch, Regulator, Current, Energy, Vehicle, Sensor)]
