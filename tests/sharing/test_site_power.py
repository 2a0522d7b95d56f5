"""The site's power is what the stations draw now: one absurd value, once gone, leaves nothing.

Checked against the stations' own current values, summed here, after every notification.
"""

from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st

from tests.sharing.fake_links import FakeLink, sharing_of

VALUES = st.one_of(
    st.floats(-11_000, 11_000),
    st.sampled_from([1e308, -1e308, 1e20, -1e20, math.inf, -math.inf, math.nan]),
    st.none(),
)


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 2), VALUES, st.booleans()), max_size=30))
async def test_site_power_is_the_sum_of_what_each_station_reports_now(
    steps: list[tuple[int, float | None, bool]],
) -> None:
    """Any sequence of values, contact lost and found: the sum of the current, possible ones.

    Possible: at most 32 A x 253 V x 1.1 with a 25 % margin for the default 32 A station.
    """
    links = [FakeLink(name) for name in ("a", "b", "c")]
    sharing = sharing_of(*links)
    try:
        for index, power_w, available in steps:
            station = links[index].station
            station.telemetry.power_w = power_w
            if available and not station.available:
                station.connect()
            elif not available and station.available:
                station.contact_lost()
            station.notify()
            expected = math.fsum(
                link.station.telemetry.power_w or 0.0
                for link in links
                if link.station.available
                and abs(link.station.telemetry.power_w or 0.0) <= 32 * 253 * 1.1 * 1.25
            )
            assert sharing.site_power_w == expected
            assert math.isfinite(sharing.site_power_w)
    finally:
        await sharing.stop()
