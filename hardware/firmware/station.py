"""What the station does, apart from the network: relay, setpoint, meters and the two fallbacks.

The regulator falls back to `fallback_ma` when a setpoint's `until` passes; the watchdog opens
the relay when Home Assistant has been silent for `watchdog_s` (002's switch-off on network loss).
"""

from . import meter


class SetpointError(ValueError):
    """A setpoint the station refuses (CoAP 4.00)."""


class DischargeNotAllowedError(SetpointError):
    """A discharge this station cannot do (CoAP 4.03)."""


def next_boot(hal):
    """This boot's number, one above the last one stored (so /energy can say it restarted)."""
    text = hal.read_file("boot")
    try:
        boot = int(text) + 1 if text else 1
    except ValueError:
        boot = 1
    hal.write_file("boot", str(boot))
    return boot


class Station:
    """One charging point: a relay, a CT, limits from the configuration, and the HAL's clock."""

    def __init__(self, settings, calibration, hal):
        """Start safe: relay open, switch off, setpoint at the fallback."""
        self.settings = settings
        self.slope, self.intercept = calibration
        self.hal = hal
        self.switch_on = False
        self.setpoint_ma = settings["fallback_ma"]
        self.until = None
        self._lease_deadline = None
        self.relay_closed = False
        self._discharging = False
        self.watchdog_tripped = False
        self.trip_reason = None
        self.reading = 0.0
        self.samples = 0
        self.current_a = 0.0
        self.plugged = False
        self.energy = meter.EnergyCounter()
        self.boot = next_boot(hal)
        now = hal.ticks_ms()
        self._last_tick = now
        self._last_heard = now
        self._over_since = None
        hal.set_relay(False)

    @property
    def voltage_v(self):
        """Nominal voltage: the station measures current only."""
        return self.settings["voltage_v"]

    @property
    def power_w(self):
        """Active power, assuming unity power factor; negative while discharging."""
        return self.current_a * self.voltage_v

    @property
    def can_discharge(self):
        """Whether a bidirectional charger is wired behind the relay."""
        return self.settings["max_discharge_ma"] > 0

    def heard_from(self, host):
        """Note a message from `host`; return whether it counts for the watchdog."""
        controllers = self.settings["controllers"]
        if controllers and host not in controllers:
            return False
        self._last_heard = self.hal.ticks_ms()
        if self.watchdog_tripped:
            self.watchdog_tripped = False
            self.hal.log("watchdog: controller back, relay follows the switch again")
            self._apply()
        return True

    def set_switch(self, on):
        """Enable or disable charging; a new command clears an overcurrent trip."""
        self.switch_on = on
        self.trip_reason = None
        self._over_since = None
        self._apply()

    def set_regulator(self, setpoint_ma, until=None):
        """Accept a setpoint in mA (negative = discharge), valid until `until` (unix s) or forever.

        Raises:
            DischargeNotAllowedError: a discharge without discharge hardware.
            SetpointError: a magnitude outside the limits, or `until` already past.
        """
        settings = self.settings
        if setpoint_ma < 0:
            if not self.can_discharge:
                raise DischargeNotAllowedError("this station cannot discharge")
            if not settings["min_ma"] <= -setpoint_ma <= settings["max_discharge_ma"]:
                raise SetpointError(
                    "discharge must be within %d..%d mA"
                    % (settings["min_ma"], settings["max_discharge_ma"])
                )
        elif setpoint_ma > 0 and not settings["min_ma"] <= setpoint_ma <= settings["max_ma"]:
            raise SetpointError(
                "setpoint must be 0 or within %d..%d mA" % (settings["min_ma"], settings["max_ma"])
            )
        self._lease_deadline = None
        if until is not None:
            now = self.hal.unix_time()
            if now is None:
                # No clock yet (no NTP on this network): hold the setpoint for a fixed lease.
                lease_ms = int(settings["unsynced_lease_s"] * 1000)
                self._lease_deadline = self.hal.ticks_add(self.hal.ticks_ms(), lease_ms)
            elif until <= now:
                raise SetpointError("until is not in the future")
        self.setpoint_ma = setpoint_ma
        self.until = until
        self._over_since = None
        self._apply()

    def tick(self):
        """Measure, count energy, and enforce the fallbacks; call every sample period."""
        hal = self.hal
        now = hal.ticks_ms()
        elapsed = hal.ticks_diff(now, self._last_tick)
        self._last_tick = now
        self._expire_setpoint(now)
        self._check_watchdog(now)
        before = self.power_w
        self._measure()
        # Trapezoids: a relay that closed or opened mid-period counts for about half of it.
        self.energy.add((before + self.power_w) / 2, elapsed)
        self._check_overcurrent(now)
        self._apply()

    def _expire_setpoint(self, now):
        if self.until is None:
            return
        clock = self.hal.unix_time()
        if self._lease_deadline is not None:
            expired = self.hal.ticks_diff(now, self._lease_deadline) >= 0
        else:
            expired = clock is not None and clock >= self.until
        if expired:
            self.hal.log("regulator: until passed, back to %d mA" % self.settings["fallback_ma"])
            self._fall_back()

    def _fall_back(self):
        self.setpoint_ma = self.settings["fallback_ma"]
        self.until = None
        self._lease_deadline = None

    def _check_watchdog(self, now):
        limit_ms = int(self.settings["watchdog_s"] * 1000)
        if not limit_ms or self.watchdog_tripped:
            return
        if self.hal.ticks_diff(now, self._last_heard) >= limit_ms:
            self.watchdog_tripped = True
            self._fall_back()
            self.hal.log("watchdog: nothing from the controller, relay opened")

    def _measure(self):
        count, total, squares = self.hal.sample_ct()
        self.samples = count
        self.reading = meter.rms_reading(count, total, squares)
        amps = meter.amperes(self.reading, self.slope, self.intercept)
        # A CT sees magnitude only: the direction is the one the station was told to run.
        self.current_a = -amps if self.setpoint_ma < 0 else amps
        plug = self.hal.plug_detected()
        if plug is None:
            plug = self.relay_closed and amps >= self.settings["plugged_threshold_a"]
        self.plugged = plug

    def _check_overcurrent(self, now):
        hold_ms = int(self.settings["overcurrent_s"] * 1000)
        limit = abs(self.setpoint_ma) / 1000 + self.settings["overcurrent_margin_a"]
        if not hold_ms or not self.relay_closed or abs(self.current_a) <= limit:
            self._over_since = None
            return
        if self._over_since is None:
            self._over_since = now
        elif self.hal.ticks_diff(now, self._over_since) >= hold_ms:
            # A relay cannot throttle: drawing above the setpoint means switching off.
            self.switch_on = False
            self.trip_reason = "overcurrent"
            self._over_since = None
            message = "overcurrent: %.1f A above a %.1f A limit, switched off"
            self.hal.log(message % (abs(self.current_a), limit))

    def relay_should_close(self):
        """Closed only when switched on, with a non-zero setpoint, and Home Assistant heard."""
        return self.switch_on and self.setpoint_ma != 0 and not self.watchdog_tripped

    def _apply(self):
        closed = self.relay_should_close()
        discharge = self.setpoint_ma < 0
        if self.relay_closed and (not closed or discharge != self._discharging):
            # Open first: the direction of a bidirectional charger never flips under load.
            self.hal.set_relay(False)
            self.relay_closed = False
            self.current_a = 0.0
        if closed and not self.relay_closed:
            self.hal.set_direction(discharge)
            self._discharging = discharge
            self.hal.set_relay(True)
            self.relay_closed = True
