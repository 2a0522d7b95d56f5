"""PowerSharing without Home Assistant: triggers, sends, reserved budgets, wake-ups, faults."""

from __future__ import annotations

import asyncio
import time

import pytest

from custom_components.ev_v2g.const import CONTROL_MANUAL, LOAD_GRID_IMPORT, SETPOINT_EXPIRY_GRACE
from custom_components.ev_v2g.core.allocation import DemandResponseMode, Policy
from custom_components.ev_v2g.core.capabilities import Capabilities
from custom_components.ev_v2g.core.resident import Resident
from custom_components.ev_v2g.core.station import Station
from custom_components.ev_v2g.sharing import power_sharing
from custom_components.ev_v2g.sharing.inputs import DemandResponseState, SharingOptions
from tests.common import eventually
from tests.sharing.fake_links import FakeLink, sharing_of

OPTED_IN = Resident(key="ann", name="Ann", v2g_opt_in=True, reserve_soc=20)


async def settle() -> None:
    """Let the pending run start and finish."""
    await asyncio.sleep(0.15)


async def test_sends_only_changed_setpoints_and_coalesces_bursts() -> None:
    """Three sessions starting together are allocated once; an unchanged input sends nothing."""
    links = [FakeLink(key) for key in "abc"]
    sharing = sharing_of(*links, policy=Policy.FAIR_SHARE)
    outcomes: list[object] = []
    sharing.on_allocation_changed = outcomes.append
    await settle()
    assert [link.sent for link in links] == [[0.0], [0.0], [0.0]]
    for index, link in enumerate(links):
        link.start_session(at=index)
    await settle()
    assert [link.sent for link in links] == [[0.0, 10.6]] * 3
    assert len(outcomes) == 2
    links[0].station.telemetry.current_a = 10.0
    links[0].station.notify()
    await settle()
    assert [len(link.sent) for link in links] == [2, 2, 2]
    await sharing.stop()


async def test_a_lone_change_goes_out_at_once() -> None:
    """No wait for more changes: the setpoint is sent within a few turns of the event loop.

    (A fixed 50 ms debounce used to delay every change, the lone one too.)
    """
    links = [FakeLink(key) for key in "ab"]
    sharing = sharing_of(*links, policy=Policy.FAIR_SHARE)
    await settle()
    links[0].start_session(at=0)
    links[1].start_session(at=1)  # the same turn: both taken by one run
    for _ in range(5):
        await asyncio.sleep(0)
    assert [link.sent for link in links] == [[0.0, 16.0], [0.0, 16.0]]
    await sharing.stop()


async def test_lost_station_keeps_its_budget_until_its_lease_ends() -> None:
    """A silent station is counted at its setpoint until `until`; then the others get it back."""
    lost, other = FakeLink("lost"), FakeLink("other")
    lost.start_session(at=0)
    other.start_session(at=1)
    sharing = sharing_of(lost, other, policy=Policy.FCFS)
    await settle()
    assert (lost.desired_setpoint_a, other.desired_setpoint_a) == (26.0, 6.0)
    # Whole seconds, as a station reports them: +2 leaves at least one second of lease.
    lost.station.telemetry.setpoint_until = int(time.time()) + 2
    lost.station.telemetry.fallback_a = 0.0
    lost.station.contact_lost()
    lost.station.notify()
    await settle()
    assert other.desired_setpoint_a == 6.0
    # The lease, and the grace a station's slower clock gets, end: the budget comes back.
    await asyncio.sleep(2.2 + SETPOINT_EXPIRY_GRACE)
    assert other.desired_setpoint_a == 32.0
    await sharing.stop()


async def test_station_never_reached_is_counted_at_its_maximum() -> None:
    """A station that has never answered may be charging at anything: its max is reserved."""
    silent = FakeLink("silent")
    silent.station = Station(
        key="silent", name="SILENT", capabilities=Capabilities(max_current_a=20)
    )
    other = FakeLink("other")
    other.start_session()
    sharing = sharing_of(silent, other)
    await settle()
    assert other.desired_setpoint_a == 12.0
    assert silent.sent == []
    await sharing.stop()


async def test_undeliverable_setpoint_is_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A station that does not answer is logged once and tried again a little later."""
    monkeypatch.setattr(power_sharing, "RETRY_DELAY", 0.1)
    link = FakeLink("a")
    link.fail = True
    sharing = sharing_of(link)
    await settle()
    await asyncio.sleep(0.25)
    assert caplog.text.count("could not send") == 1
    link.fail = False
    await asyncio.sleep(0.25)
    assert link.sent == [0.0]
    await sharing.stop()


async def test_demand_response_ends_by_itself() -> None:
    """A discharge with a duration returns to normal charging when the duration is over."""
    link = FakeLink("v2g", max_discharge_a=16)
    link.station.telemetry.soc = 80
    link.start_session(OPTED_IN)
    sharing = sharing_of(link)
    requests: list[DemandResponseState] = []
    sharing.on_demand_response = requests.append
    sharing.set_demand_response(DemandResponseMode.DISCHARGE, 2300, duration_s=0.3, source="t")
    await settle()
    assert link.desired_setpoint_a == -10.0
    assert sharing.demand_response.active
    await asyncio.sleep(0.5)
    assert link.desired_setpoint_a == 32.0
    assert [r.request.mode for r in requests] == ["discharge", "normal"]
    assert requests[-1].source == "t"
    await sharing.stop()


async def test_demand_response_power_changes_the_request_in_force() -> None:
    """The DR power number adjusts a running limit; clearing when normal does nothing."""
    link = FakeLink("a")
    link.start_session()
    sharing = sharing_of(link)
    sharing.clear_demand_response()
    assert not sharing.demand_response.active
    sharing.set_demand_response(DemandResponseMode.LIMIT, 4600)
    await settle()
    assert link.desired_setpoint_a == 20.0
    sharing.set_demand_response_power(2300)
    await settle()
    assert link.desired_setpoint_a == 10.0
    assert sharing.demand_response.request.power_w == 2300
    sharing.clear_demand_response()
    await settle()
    assert link.desired_setpoint_a == 32.0
    await sharing.stop()


async def test_load_sensor_limits() -> None:
    """Non-EV load comes off the supply; grid import first has the chargers taken out of it."""
    link = FakeLink("a")
    sharing = sharing_of(link, load_sensor="sensor.load", safe_limit_a=8.0)
    assert sharing.limits() == (8.0,)
    sharing.set_measured_load(2300)
    assert sharing.limits() == (22.0,)
    sharing.set_options(
        SharingOptions(
            supply_limit_a=32.0,
            phases=1,
            voltage_v=230.0,
            load_sensor="sensor.load",
            load_kind=LOAD_GRID_IMPORT,
        )
    )
    link.station.telemetry.power_w = 2300.0
    link.station.notify()
    assert sharing.site_power_w == 2300
    assert sharing.limits() == (32.0,)
    sharing.set_measured_load(40_000)
    assert sharing.limits() == (0.0,)
    sharing.set_site_limit(100)
    assert sharing.site_limit_a == 32.0
    await sharing.stop()


async def test_manual_station_is_counted_and_left_alone() -> None:
    """A manual station keeps the user's setpoint, which the others make room for."""
    manual, other = FakeLink("manual"), FakeLink("other")
    manual.desired_setpoint_a = 20.0
    other.start_session()
    sharing = sharing_of(manual, other)
    sharing.set_control_mode("manual", CONTROL_MANUAL)
    await settle()
    assert manual.sent == []
    assert other.desired_setpoint_a == 12.0
    await sharing.stop()


async def test_run_during_a_manual_command_does_not_undo_it() -> None:
    """The user's setpoint still on its way when a run happens: the run sends nothing to it."""
    manual = FakeLink("manual")
    manual.delay = 0.2
    sharing = sharing_of(manual)
    sharing.set_control_mode("manual", CONTROL_MANUAL)
    command = asyncio.create_task(manual.set_setpoint(16.0))
    await settle()  # a run while the command is in flight, before any setpoint is known
    await command
    await asyncio.sleep(0.3)
    assert manual.sent == [16.0]
    await sharing.stop()


async def test_rotation_wakes_the_allocator() -> None:
    """Under fair_share, the waiting car gets its turn when the period is over, with no event."""
    links = [FakeLink(key) for key in "abc"]
    for index, link in enumerate(links):
        link.start_session(at=index)
    sharing = sharing_of(*links, supply=12.0, rotation_period_s=0.3)
    await settle()
    assert [link.desired_setpoint_a for link in links] == [6.0, 6.0, 0.0]
    await eventually(lambda: links[2].desired_setpoint_a == 6.0, within=1.0, what="its turn")
    await sharing.stop()


async def test_change_during_a_run_is_allocated_right_after_it() -> None:
    """A request arriving while setpoints are on their way is not lost until the next event."""
    link = FakeLink("slow")
    link.delay = 0.2
    link.start_session()
    sharing = sharing_of(link)
    await asyncio.sleep(0.1)
    sharing.set_demand_response(DemandResponseMode.LIMIT, 2300)
    # The first run's 32 A is still on its way (0.2 s): the request waits for it, then goes.
    await eventually(lambda: link.sent == [32.0, 10.0], within=3, what="10 A after 32 A")
    await sharing.stop()
