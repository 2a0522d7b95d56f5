"""The demo as a person sees it: the EV charging dashboard in Debian's chromium.

scripts/develop runs for real (Home Assistant, four simulated CoAP stations over UDP, two
simulated OCPP charge points over WebSocket, the simulated PV and the PV-drop blueprint
automation). The test logs in, checks the station and charge point cards show live values, puts
the cloud over the PV, watches the site discharge the V2G car, and finds the four blueprints in
Settings -> Blueprints. Screenshots are kept in artifacts/browser.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import re
import time
from typing import TYPE_CHECKING

from .demo import ROOT, Demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

USERNAME, PASSWORD = "demo", "demo1234"  # scripts/demo_seed.py's published login
MINUS = "\N{MINUS SIGN}"  # what some locales show for a negative number
NUMBER = re.compile(rf"([-{MINUS}]?\d[\d,]*(?:\.\d+)?)")


def exactly(text: str) -> re.Pattern[str]:
    """Match an element whose whole text is `text`."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def section(page: Page, heading: str) -> Locator:
    """The dashboard section under `heading`, e.g. "Station 1"."""
    return page.locator("hui-grid-section").filter(
        has=page.locator("hui-heading-card", has_text=exactly(heading))
    )


def tile(page: Page, name: str, heading: str = "") -> Locator:
    """The tile card named `name`, in the section under `heading` if one is given."""
    scope = section(page, heading) if heading else page
    return scope.locator("hui-tile-card").filter(
        has=page.locator("span.primary", has_text=exactly(name))
    )


def tile_state(page: Page, name: str, heading: str = "") -> str:
    """What a tile card shows as its state, e.g. "1,516 W" or "Discharge"."""
    state: str = (
        tile(page, name, heading)
        .locator("state-display")
        .evaluate("element => (element.shadowRoot ?? element).textContent.trim()")
    )
    return state


def watts(text: str) -> float | None:
    """The number in a power tile's text, or None when it shows none (e.g. "Unavailable")."""
    match = NUMBER.search(text)
    return float(match.group(1).replace(",", "").replace(MINUS, "-")) if match else None


def wait_for(page: Page, what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    """Poll `check` on the live page until it holds, or fail saying what never happened."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"the dashboard never showed {what} within {timeout:.0f} s")
        page.wait_for_timeout(500)


def blueprint_names() -> list[str]:
    """The names of the repository's automation blueprints, as their files give them."""
    folder = ROOT / "blueprints" / "automation" / "ev_v2g"
    names = []
    for path in sorted(folder.glob("*.yaml")):
        match = re.search(r"^  name: (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert match is not None, f"{path.name} has no blueprint name"
        names.append(match.group(1).strip())
    assert len(names) == 4
    return names


def log_in(page: Page, url: str) -> None:
    """Open the dashboard; Home Assistant asks for the login first."""
    page.goto(f"{url}/ev-charging/charging")
    page.get_by_role("textbox", name="Username").fill(USERNAME)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    tile(page, "Station 1 power").wait_for(timeout=60_000)


def test_dashboard_shows_live_stations_and_a_cloud_makes_the_cars_discharge(
    demo: Demo, browser: Browser, artifacts: Path
) -> None:
    """Live station cards; cloud on → DR mode Discharge and station 1's power turns negative.

    The OCPP charge points are online: at A (1.6J) a car arrived and Flat 3C's card was swiped,
    so it charges for Flat 3C; at B (2.0.1) a car waits for its charging switch.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        log_in(page, demo.url)

        # Live values: the demo's cars charge, so their stations draw power and say so.
        for station in (1, 2, 3):
            wait_for(
                page,
                f"station {station} drawing power",
                lambda s=station: (watts(tile_state(page, f"Station {s} power")) or 0) > 500,
            )
        assert tile_state(page, "Plugged", "Station 1") == "Plugged in"
        assert tile_state(page, "Plugged", "Station 4") == "Unplugged"
        assert tile_state(page, "State", "Station 1") == "Charging"
        assert tile_state(page, "Resident", "Station 1") == "Flat 1A"
        wait_for(
            page,
            "charge point A drawing power",
            lambda: (watts(tile_state(page, "Charge point A power")) or 0) > 500,
        )
        assert tile_state(page, "State", "Charge point A") == "Charging"
        assert tile_state(page, "Plugged", "Charge point A") == "Plugged in"
        assert tile_state(page, "Resident", "Charge point A") == "Flat 3C"
        assert tile_state(page, "Charging", "Charge point A") == "On"
        wait_for(
            page,
            "charge point B's car plugged in",
            lambda: tile_state(page, "Plugged", "Charge point B") == "Plugged in",
        )
        assert watts(tile_state(page, "Charge point B power")) == 0
        assert tile_state(page, "Charging", "Charge point B") == "Off"
        # Every card found its entity: a missing one shows a warning card instead.
        assert page.locator("hui-warning").count() == 0
        assert tile_state(page, "DR mode") == "Normal"
        assert (watts(tile_state(page, "PV power")) or 0) > 5000
        page.screenshot(path=artifacts / "1-charging.png", full_page=True)

        # A cloud over the PV: the blueprint automation asks the site to discharge.
        tile(page, "Cloud over the PV").click()
        wait_for(page, "the cloud on", lambda: tile_state(page, "Cloud over the PV") == "On")
        wait_for(
            page, "PV power below 1 kW", lambda: (watts(tile_state(page, "PV power")) or 0) < 1000
        )
        wait_for(
            page,
            "demand response in Discharge",
            lambda: tile_state(page, "DR mode") == "Discharge",
        )
        wait_for(page, "DR active", lambda: tile_state(page, "DR active") == "On")
        wait_for(
            page,
            "station 1 giving power back",
            lambda: (watts(tile_state(page, "Station 1 power")) or 0) < -500,
        )
        page.screenshot(path=artifacts / "2-discharging.png", full_page=True)

        # The four blueprints the demo ships are listed in Settings -> Blueprints.
        page.goto(f"{demo.url}/config/blueprint/dashboard")
        for name in blueprint_names():
            page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=artifacts / "3-blueprints.png", full_page=True)
    except BaseException:
        page.screenshot(path=artifacts / "failure.png", full_page=True)
        raise
    finally:
        page.close()
