"""The station model: life cycle (DESIGN.md section 4), sessions, listeners and setpoint limits."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
import math

from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
import pytest

from custom_components.ev_v2g.core.capabilities import Capabilities, InvalidSetpointError
from custom_components.ev_v2g.core.meter import EnergyMeter
from custom_components.ev_v2g.core.records import Authorization, AuthorizationKind, Session
from custom_components.ev_v2g.core.station import (
    CHARGING_THRESHOLD_A,
    IllegalTransitionError,
    Station,
    StationState,
    Telemetry,
    Transition,
)


def session_of(by: str) -> Session:
    """A session authorized by `by`, for nobody in particular."""
    return Session(
        id=Session.new_id(),
        station="s1",
        resident=None,
        resident_name=None,
        authorization=Authorization(kind=AuthorizationKind.USER, by=by),
        started_at=0.0,
    )


def authorized(station: Station) -> str | None:
    """Who authorized the station's session, if it has one."""
    return None if station.session is None else station.session.authorization.by


def start_wh(station: Station) -> float | None:
    """The import meter when the station's session started, if it has one."""
    return None if station.session is None else station.session.import_start_wh


S = StationState
T = Transition

# The specification, written out by hand from DESIGN.md section 4 (None = illegal):
#   initialized --connect--> ready --enable--> enabled --vehicle charging--> charging
#   any --disable--> ready (only while in contact: initialized and unavailable cannot be disabled)
#   charging --session ends--> ready, never back to enabled
#   any --contact lost--> unavailable; unavailable --connect--> ready
EXPECTED: dict[tuple[StationState, Transition], StationState | None] = {
    (S.INITIALIZED, T.CONNECT): S.READY,
    (S.INITIALIZED, T.ENABLE): None,
    (S.INITIALIZED, T.VEHICLE_CHARGING): None,
    (S.INITIALIZED, T.SESSION_END): None,
    (S.INITIALIZED, T.DISABLE): None,
    (S.INITIALIZED, T.CONTACT_LOST): S.UNAVAILABLE,
    (S.READY, T.CONNECT): None,
    (S.READY, T.ENABLE): S.ENABLED,
    (S.READY, T.VEHICLE_CHARGING): None,
    (S.READY, T.SESSION_END): None,
    (S.READY, T.DISABLE): S.READY,
    (S.READY, T.CONTACT_LOST): S.UNAVAILABLE,
    (S.ENABLED, T.CONNECT): None,
    (S.ENABLED, T.ENABLE): None,
    (S.ENABLED, T.VEHICLE_CHARGING): S.CHARGING,
    (S.ENABLED, T.SESSION_END): None,
    (S.ENABLED, T.DISABLE): S.READY,
    (S.ENABLED, T.CONTACT_LOST): S.UNAVAILABLE,
    (S.CHARGING, T.CONNECT): None,
    (S.CHARGING, T.ENABLE): None,
    (S.CHARGING, T.VEHICLE_CHARGING): None,
    (S.CHARGING, T.SESSION_END): S.READY,
    (S.CHARGING, T.DISABLE): S.READY,
    (S.CHARGING, T.CONTACT_LOST): S.UNAVAILABLE,
    (S.UNAVAILABLE, T.CONNECT): S.READY,
    (S.UNAVAILABLE, T.ENABLE): None,
    (S.UNAVAILABLE, T.VEHICLE_CHARGING): None,
    (S.UNAVAILABLE, T.SESSION_END): None,
    (S.UNAVAILABLE, T.DISABLE): None,
    (S.UNAVAILABLE, T.CONTACT_LOST): None,
}

# Every (before, after) pair a station may show across one operation, including "no change" and
# the resumption of a kept session when contact comes back (unavailable -> enabled/charging).
LEGAL_MOVES = frozenset(
    {(state, state) for state in S}
    | {(before, after) for (before, _), after in EXPECTED.items() if after is not None}
    | {(S.UNAVAILABLE, S.ENABLED), (S.UNAVAILABLE, S.CHARGING)}
)


def new_station(telemetry: Telemetry | None = None) -> Station:
    """A station with a V2G-capable configuration and the given telemetry."""
    return Station(
        key="bay-1",
        name="Bay 1",
        capabilities=Capabilities(max_discharge_a=16.0),
        telemetry=telemetry or Telemetry(),
    )


def station_in(state: StationState) -> Station:
    """A station brought to `state` through legal moves only (no session when not needed)."""
    station = new_station(Telemetry(plugged=True, switch_on=True, current_a=0.0))
    station.energy_import.update(1000.0)
    steps: dict[StationState, list[Callable[[Station], None]]] = {
        S.INITIALIZED: [],
        S.READY: [Station.connect],
        S.ENABLED: [Station.connect, lambda s: s.enable(session_of("alice"))],
        S.CHARGING: [Station.connect, lambda s: s.enable(session_of("alice")), start_current],
        S.UNAVAILABLE: [Station.connect, Station.contact_lost],
    }
    for step in steps[state]:
        step(station)
    assert station.state is state
    return station


def start_current(station: Station) -> None:
    """The vehicle starts drawing current."""
    station.telemetry.current_a = 10.0
    station.observe_current()


def fire(station: Station, transition: Transition) -> None:
    """Cause `transition` the way the integration does: a command or an observation."""
    match transition:
        case T.CONNECT:
            station.connect()
        case T.ENABLE:
            station.enable(session_of("bob"))
        case T.DISABLE:
            station.disable()
        case T.CONTACT_LOST:
            station.contact_lost()
        case T.VEHICLE_CHARGING:
            station.check(transition)
            start_current(station)
        case T.SESSION_END:
            station.check(transition)
            station.telemetry.plugged = False
            station.telemetry.current_a = 0.0
            station.observe_current()


def test_table_covers_every_state_and_transition() -> None:
    """The specification above leaves no pair out."""
    assert set(EXPECTED) == set(product(S, T))


@pytest.mark.parametrize(("state", "transition"), list(product(S, T)))
def test_transition(state: StationState, transition: Transition) -> None:
    """A legal transition reaches its state; an illegal one raises and changes nothing."""
    station = station_in(state)
    expected = EXPECTED[state, transition]
    before = (station.state, authorized(station), start_wh(station))
    assert station.can(transition) is (expected is not None)

    if expected is None:
        with pytest.raises(IllegalTransitionError) as caught:
            fire(station, transition)
        assert caught.value.station == "bay-1"
        assert caught.value.state is state
        assert caught.value.transition is transition
        assert str(caught.value) == f"bay-1: cannot {transition.value} while {state.value}"
        assert (station.state, authorized(station), start_wh(station)) == before
    else:
        fire(station, transition)
        assert station.state is expected


@pytest.mark.parametrize("state", list(S))
def test_check_agrees_with_can(state: StationState) -> None:
    """check() raises exactly when can() says no."""
    station = station_in(state)
    for transition in T:
        if station.can(transition):
            station.check(transition)
        else:
            with pytest.raises(IllegalTransitionError):
                station.check(transition)


def test_available_only_in_contact() -> None:
    """Initialized and unavailable stations are not available; the others are."""
    assert {state for state in S if station_in(state).available} == {
        S.READY,
        S.ENABLED,
        S.CHARGING,
    }


# --- sessions ------------------------------------------------------------------------------------


def test_enable_records_who_and_the_meter_start() -> None:
    """Enabling opens a session: who authorized it and the import meter at that moment."""
    station = station_in(S.READY)
    station.energy_import.update(1500.0)
    station.enable(session_of("alice"))
    assert authorized(station) == "alice"
    assert start_wh(station) == 1500.0
    assert station.session_energy_wh == 0.0


def test_enable_before_any_energy_reading() -> None:
    """Without a meter reading the session has no start, so no session energy yet."""
    station = new_station()
    station.connect()
    station.enable(session_of("alice"))
    assert start_wh(station) is None
    assert station.session_energy_wh is None


@pytest.mark.parametrize("state", [S.ENABLED, S.CHARGING])
def test_disable_ends_the_session(state: StationState) -> None:
    """Disabling goes to ready and forgets the session."""
    station = station_in(state)
    station.disable()
    assert station.state is S.READY
    assert authorized(station) is None
    assert start_wh(station) is None
    assert station.session_energy_wh is None


def test_session_energy_counts_imports_since_enable() -> None:
    """Session energy is the import meter's progress since the session began, across resets."""
    station = station_in(S.READY)
    station.enable(session_of("alice"))
    station.energy_import.update(1750.0)
    assert station.session_energy_wh == 750.0
    station.energy_import.expect_restart(100.0)
    station.energy_import.update(20.0)
    assert station.session_energy_wh == 770.0


# --- observations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current_a", "charging"),
    [
        (None, False),
        (0.0, False),
        (CHARGING_THRESHOLD_A - 0.01, False),
        (-(CHARGING_THRESHOLD_A - 0.01), False),
        (CHARGING_THRESHOLD_A, True),
        (-CHARGING_THRESHOLD_A, True),
        (16.0, True),
        (-16.0, True),
    ],
)
def test_enabled_starts_charging_above_the_threshold(
    current_a: float | None, charging: bool
) -> None:
    """Current of either sign (discharge is charging too) at or above the threshold."""
    station = station_in(S.ENABLED)
    station.telemetry.current_a = current_a
    station.observe_current()
    assert station.state is (S.CHARGING if charging else S.ENABLED)
    assert authorized(station) == "alice"


@pytest.mark.parametrize("plugged", [True, None])
def test_charging_never_returns_to_enabled(plugged: bool | None) -> None:
    """A paused car (no current) stays charging: a new session would need a new authorization."""
    station = station_in(S.CHARGING)
    station.telemetry.current_a = 0.0
    station.telemetry.plugged = plugged
    station.observe_current()
    assert station.state is S.CHARGING
    assert authorized(station) == "alice"


def test_unplugging_ends_the_session() -> None:
    """Charging -> ready when the vehicle is unplugged, and the session is over."""
    station = station_in(S.CHARGING)
    station.telemetry.plugged = False
    station.telemetry.current_a = 0.0
    station.observe_current()
    assert station.state is S.READY
    assert authorized(station) is None
    assert start_wh(station) is None


def test_unplugging_while_enabled_keeps_waiting() -> None:
    """An enabled station whose car leaves before drawing stays enabled (session still open)."""
    station = station_in(S.ENABLED)
    station.telemetry.plugged = False
    station.observe_current()
    assert station.state is S.ENABLED


@pytest.mark.parametrize("state", [S.INITIALIZED, S.READY, S.UNAVAILABLE])
def test_observation_outside_a_session_changes_nothing(state: StationState) -> None:
    """Telemetry never moves a station that has no session, and never raises."""
    station = station_in(state)
    station.telemetry.current_a = 20.0
    station.telemetry.plugged = False
    station.observe_current()
    assert station.state is state


# --- contact -----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.ENABLED, S.CHARGING])
def test_contact_lost_keeps_the_session(state: StationState) -> None:
    """Losing contact makes the station unavailable but keeps who authorized it and the start."""
    station = station_in(state)
    station.contact_lost()
    assert station.state is S.UNAVAILABLE
    assert not station.available
    assert authorized(station) == "alice"
    assert start_wh(station) == 1000.0
    station.energy_import.update(1200.0)
    assert station.session_energy_wh == 200.0


def test_reconnect_resumes_a_session_the_station_kept() -> None:
    """Relay still closed after a loss: enabled again, then charging when current flows."""
    station = station_in(S.ENABLED)
    station.contact_lost()
    station.telemetry.switch_on = True
    station.telemetry.current_a = 0.0
    station.connect()
    states = [station.state]
    assert authorized(station) == "alice"
    assert start_wh(station) == 1000.0
    start_current(station)
    states.append(station.state)
    assert states == [S.ENABLED, S.CHARGING]


def test_reconnect_while_current_flows_resumes_charging() -> None:
    """A station that kept charging through the loss is charging again at once."""
    station = station_in(S.CHARGING)
    station.contact_lost()
    station.connect()
    assert station.state is S.CHARGING
    assert authorized(station) == "alice"


@pytest.mark.parametrize("switch_on", [False, None])
def test_reconnect_with_relay_open_ends_the_session(switch_on: bool | None) -> None:
    """Relay open (or unknown) after a loss: the session is over, the station is ready."""
    station = station_in(S.CHARGING)
    station.contact_lost()
    station.telemetry.switch_on = switch_on
    station.connect()
    assert station.state is S.READY
    assert authorized(station) is None
    assert start_wh(station) is None


def test_reconnect_without_a_session_is_ready() -> None:
    """A closed relay does not make a session nobody authorized."""
    station = station_in(S.UNAVAILABLE)
    station.telemetry.switch_on = True
    station.telemetry.current_a = 16.0
    station.connect()
    assert station.state is S.READY
    assert authorized(station) is None


# --- listeners ---------------------------------------------------------------------------------


def test_listeners_are_called_until_removed() -> None:
    """notify() calls this station's listeners; the returned function removes one."""
    station, other = new_station(), new_station()
    calls: list[str] = []
    remove_a = station.add_listener(lambda: calls.append("a"))
    station.add_listener(lambda: calls.append("b"))
    other.add_listener(lambda: calls.append("other"))
    station.notify()
    assert calls == ["a", "b"]
    remove_a()
    station.notify()
    assert calls == ["a", "b", "b"]


def test_listener_may_remove_itself_while_notified() -> None:
    """Removing a listener from inside notify() does not skip the next one."""
    station = new_station()
    calls: list[str] = []
    removers: list[Callable[[], None]] = []

    def once() -> None:
        calls.append("once")
        removers[0]()

    removers.append(station.add_listener(once))
    station.add_listener(lambda: calls.append("always"))
    station.notify()
    station.notify()
    assert calls == ["once", "always", "always"]


# --- capabilities ------------------------------------------------------------------------------

V2G = Capabilities(min_current_a=6.0, max_current_a=32.0, max_discharge_a=16.0)
CHARGE_ONLY = Capabilities(min_current_a=6.0, max_current_a=32.0)


def test_can_discharge() -> None:
    """Only a station with a discharge limit can discharge."""
    assert V2G.can_discharge
    assert not CHARGE_ONLY.can_discharge
    assert Capabilities().phases == 1


@pytest.mark.parametrize("capabilities", [V2G, CHARGE_ONLY])
@pytest.mark.parametrize("setpoint_a", [0.0, -0.0, 6.0, 10.5, 32.0])
def test_setpoint_accepted(capabilities: Capabilities, setpoint_a: float) -> None:
    """Zero (pause) and any import current within [min, max] are fine."""
    capabilities.check_setpoint(setpoint_a)


@pytest.mark.parametrize("setpoint_a", [-6.0, -10.0, -16.0])
def test_discharge_accepted_when_allowed(setpoint_a: float) -> None:
    """A discharge within [min, max_discharge] is fine on a V2G station."""
    V2G.check_setpoint(setpoint_a)


@pytest.mark.parametrize(
    ("capabilities", "setpoint_a", "reason"),
    [
        (V2G, 0.1, "out_of_range"),
        (V2G, 5.99, "out_of_range"),
        (V2G, 32.01, "out_of_range"),
        (V2G, 100.0, "out_of_range"),
        (V2G, -0.1, "out_of_range"),
        (V2G, -5.99, "out_of_range"),
        (V2G, -16.01, "out_of_range"),
        (V2G, -32.0, "out_of_range"),
        (CHARGE_ONLY, -10.0, "discharge_not_allowed"),
        (CHARGE_ONLY, -0.1, "discharge_not_allowed"),
        (V2G, math.nan, "out_of_range"),
        (V2G, math.inf, "out_of_range"),
        (V2G, -math.inf, "out_of_range"),
        (CHARGE_ONLY, math.nan, "out_of_range"),
    ],
)
def test_setpoint_refused(capabilities: Capabilities, setpoint_a: float, reason: str) -> None:
    """Between zero and the minimum, above the maximum, non-finite, or discharge when not V2G."""
    with pytest.raises(InvalidSetpointError) as caught:
        capabilities.check_setpoint(setpoint_a)
    assert caught.value.reason == reason
    assert caught.value.setpoint_a is setpoint_a or (
        math.isnan(setpoint_a) and math.isnan(caught.value.setpoint_a)
    )
    assert str(caught.value).startswith(f"{reason}: ")
    assert isinstance(caught.value, ValueError)


@given(
    setpoint_a=st.floats(allow_nan=True, allow_infinity=True),
    max_discharge_a=st.sampled_from([0.0, 16.0]),
)
def test_setpoint_check_matches_the_rule(setpoint_a: float, max_discharge_a: float) -> None:
    """Accepted exactly when 0, or |setpoint| within [min, max] of its direction."""
    capabilities = Capabilities(
        min_current_a=6.0, max_current_a=32.0, max_discharge_a=max_discharge_a
    )
    if setpoint_a == 0:
        acceptable = True
    elif setpoint_a > 0:
        acceptable = 6.0 <= setpoint_a <= 32.0
    elif setpoint_a < 0:
        acceptable = max_discharge_a > 0 and 6.0 <= -setpoint_a <= max_discharge_a
    else:  # NaN
        acceptable = False
    acceptable = acceptable and math.isfinite(setpoint_a)
    try:
        capabilities.check_setpoint(setpoint_a)
    except InvalidSetpointError:
        assert not acceptable
    else:
        assert acceptable


# --- properties ----------------------------------------------------------------------------------


OPERATIONS = st.sampled_from(["connect", "enable", "disable", "contact_lost", "observe"])


def apply(station: Station, operation: str, current_a: float, plugged: bool, on: bool) -> None:
    """One thing that can happen to a station: a command, a loss, or fresh telemetry."""
    match operation:
        case "connect":
            station.telemetry.switch_on = on
            station.connect()
        case "enable":
            station.enable(session_of("alice"))
        case "disable":
            station.disable()
        case "contact_lost":
            station.contact_lost()
        case _:
            station.telemetry.current_a = current_a
            station.telemetry.plugged = plugged
            station.observe_current()


@given(
    st.lists(
        st.tuples(
            OPERATIONS,
            st.sampled_from([0.0, 0.2, 0.5, 10.0, -10.0]),
            st.booleans(),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_random_sequences_stay_in_the_graph(
    steps: list[tuple[str, float, bool, bool]],
) -> None:
    """Whatever happens, every step is a move of the life-cycle graph, refusals change nothing."""
    station = new_station()
    for operation, current_a, plugged, on in steps:
        before = (station.state, authorized(station), start_wh(station))
        refusal: IllegalTransitionError | None = None
        try:
            apply(station, operation, current_a, plugged, on)
        except IllegalTransitionError as err:
            refusal = err
        if refusal is not None:
            assert refusal.state is before[0]
            assert (station.state, authorized(station), start_wh(station)) == before
        assert (before[0], station.state) in LEGAL_MOVES
        assert (before[0], station.state) != (S.CHARGING, S.ENABLED)


class StationLifeCycle(RuleBasedStateMachine):
    """A station driven by commands, losses and telemetry, checked after every step."""

    def __init__(self) -> None:
        """Start from a fresh station with a metered import counter."""
        super().__init__()
        self.station = new_station()
        self.station.energy_import.update(0.0)
        self.meter_wh = 0.0
        self.previous = self.station.state

    def _do(self, transition: Transition, action: Callable[[], None]) -> None:
        self.previous = self.station.state
        legal = self.station.can(transition)
        try:
            action()
        except IllegalTransitionError:
            assert not legal
            assert self.station.state is self.previous
        else:
            assert legal

    @rule(on=st.booleans())
    def connect(self, on: bool) -> None:
        """Contact comes (back), with the relay as the station reports it."""
        self.station.telemetry.switch_on = on
        self._do(T.CONNECT, self.station.connect)

    @rule(user=st.sampled_from(["alice", "bob"]))
    def enable(self, user: str) -> None:
        """Someone authorizes a session."""
        self._do(T.ENABLE, lambda: self.station.enable(session_of(user)))

    @rule()
    def disable(self) -> None:
        """Someone stops charging."""
        self._do(T.DISABLE, self.station.disable)

    @rule()
    def contact_lost(self) -> None:
        """The watchdog fires."""
        self._do(T.CONTACT_LOST, self.station.contact_lost)

    @rule(
        current_a=st.floats(min_value=-32, max_value=32),
        plugged=st.sampled_from([True, False, None]),
    )
    def telemetry(self, current_a: float, plugged: bool | None) -> None:
        """A notification arrives."""
        self.previous = self.station.state
        self.station.telemetry.current_a = current_a
        self.station.telemetry.plugged = plugged
        self.station.observe_current()

    @rule(wh=st.floats(min_value=0, max_value=5000))
    def meter(self, wh: float) -> None:
        """The import counter moves on."""
        self.previous = self.station.state
        self.meter_wh += wh
        self.station.energy_import.update(self.meter_wh)

    @invariant()
    def moves_along_the_graph(self) -> None:
        """Only moves of the graph; in particular never charging -> enabled."""
        assert (self.previous, self.station.state) in LEGAL_MOVES
        assert (self.previous, self.station.state) != (S.CHARGING, S.ENABLED)

    @invariant()
    def session_matches_the_state(self) -> None:
        """Enabled and charging have a session; initialized and ready have none."""
        station = self.station
        if station.state in (S.ENABLED, S.CHARGING):
            assert authorized(station) is not None
            assert station.session_energy_wh is not None
            assert station.session_energy_wh >= 0
        if station.state in (S.INITIALIZED, S.READY):
            assert authorized(station) is None
            assert start_wh(station) is None


TestStationLifeCycle = StationLifeCycle.TestCase
TestStationLifeCycle.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)


def test_energy_meters_are_independent() -> None:
    """Each station gets its own meters (no shared default)."""
    first, second = new_station(), new_station()
    assert first.energy_import is not second.energy_import
    assert isinstance(first.energy_export, EnergyMeter)
