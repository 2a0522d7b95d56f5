"""What wrong passwords cost, on a clock of the test's own."""

from __future__ import annotations

from custom_components.ev_v2g.transport.ocpp.login_throttle import LoginThrottle


def throttle(**kwargs: float) -> tuple[LoginThrottle, list[float]]:
    """A throttle on a clock the test moves."""
    clock = [0.0]
    return LoginThrottle(clock=lambda: clock[0], **kwargs), clock


def test_the_wait_doubles_up_to_the_cap() -> None:
    """0.25, 0.5, 1 … 8 s after each wrong password from one address."""
    limiter, _ = throttle(lockout_after=100)
    waits = []
    for _ in range(8):
        limiter.failed("10.0.0.9", "cp-1")
        waits.append(limiter.wait_s("10.0.0.9"))
    assert waits == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert limiter.wait_s("10.0.0.8") == 0  # another address waits for nothing


def test_the_wait_passes_with_time() -> None:
    """After the wait the address is checked again."""
    limiter, clock = throttle()
    limiter.failed("a", "cp-1")
    clock[0] += 0.2
    assert limiter.wait_s("a") == 0.25 - 0.2
    clock[0] += 0.1
    assert limiter.wait_s("a") == 0


def test_lockout_after_n_then_it_ends() -> None:
    """The tenth wrong password locks the address out; lockout_s later it may try again."""
    limiter, clock = throttle(lockout_after=10, lockout_s=900)
    for _ in range(9):
        limiter.failed("a", "cp-1")
    assert not limiter.locked_out("a")
    limiter.failed("a", "cp-1")
    assert limiter.locked_out("a")
    clock[0] += 899
    assert limiter.locked_out("a")
    clock[0] += 1
    assert not limiter.locked_out("a")
    assert limiter.wait_s("a") == 0


def test_an_id_guessed_from_many_addresses_answers_slower() -> None:
    """The first wrong password for an id is answered at once, each later one after a doubling hold."""
    limiter, _ = throttle()
    holds = [limiter.failed(f"10.0.0.{n}", "cp-1") for n in range(6)]
    assert holds == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
    assert limiter.failed("10.0.0.99", "cp-2") == 0  # another id is not slowed
    assert not any(limiter.locked_out(f"10.0.0.{n}") for n in range(6))  # ids are never locked


def test_success_and_unlock_start_afresh() -> None:
    """The right password clears the address and the id; unlock clears a lockout."""
    limiter, _ = throttle(lockout_after=3)
    limiter.failed("a", "cp-1")
    limiter.succeeded("a", "cp-1")
    assert limiter.wait_s("a") == 0
    assert limiter.failed("b", "cp-1") == 0
    for _ in range(3):
        limiter.failed("c", "cp-9")
    assert limiter.locked_out("c")
    limiter.unlock("c")
    assert not limiter.locked_out("c")


def test_a_scan_of_addresses_does_not_grow_memory() -> None:
    """Tens of thousands of addresses: the tables stay bounded."""
    limiter, clock = throttle(lockout_s=10)
    for n in range(20_000):
        clock[0] += 0.001
        limiter.failed(f"addr-{n}", f"id-{n}")
    assert len(limiter._addresses) <= 4096
    assert len(limiter._ids) <= 4096
