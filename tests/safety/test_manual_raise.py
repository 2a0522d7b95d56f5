"""A manual raise is break before make too: the others are cut first, then it goes out.

The user sets Bay B (manual control) to 16 A while Bay A charges at the whole 20 A: A is cut to
make room (to 4 A, below its 6 A minimum: paused), and only then is B raised. With A frozen,
its cut goes unanswered and B's raise is held back, with a translated error.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from tests.common import set_manual, wait_for

from .conftest import LIMIT_A, Site, applied_a, peak_import_a, start_session


async def _set_b(hass: HomeAssistant, amps: float) -> None:
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.bay_b_current_limit", "value": amps},
        blocking=True,
    )


async def test_a_manual_raise_waits_for_the_cut(hass: HomeAssistant, site: Site) -> None:
    """A's cut to 0 A lands before B's 16 A, though A takes 0.5 s to apply it."""
    a, b = site.station("A"), site.station("B")
    await start_session(hass, "A", "ann")
    await wait_for(hass, lambda: applied_a(a) == LIMIT_A, what="A alone at 20 A")
    await set_manual(hass, "bay_b")
    a.regulator_delay_s = 0.5
    await _set_b(hass, 16)
    assert (applied_a(a), applied_a(b)) == (0, 16)
    peak, over = peak_import_a(a, b)
    assert (peak, over) == (LIMIT_A, 0.0)


async def test_a_manual_raise_is_held_while_a_cut_is_unanswered(
    hass: HomeAssistant, site: Site, short_lease: None
) -> None:
    """A frozen at 20 A: B keeps its current, the user is told why; B follows once A's lease ends."""
    a, b = site.station("A"), site.station("B")
    await start_session(hass, "A", "ann")
    await wait_for(hass, lambda: applied_a(a) == LIMIT_A, what="A alone at 20 A")
    await set_manual(hass, "bay_b")
    await site.a.freeze()
    with pytest.raises(HomeAssistantError) as caught:
        await _set_b(hass, 16)
    assert caught.value.translation_key == "room_not_made"
    assert applied_a(b) == 0
    await wait_for(hass, lambda: applied_a(b) == 16, within=30, what="B once A's lease ended")
    peak, over = peak_import_a(a, b)
    assert over == 0.0, f"the stations applied {peak} A together on a {LIMIT_A} A site"
