"""The demo as a person sees it: the site's own dashboard in Debian's chromium.

scripts/develop runs for real (Home Assistant, four simulated CoAP stations over UDP, two
simulated OCPP charge points over WebSocket, the simulated PV and the PV-drop blueprint
automation). The test logs in to the dashboard the integration built for "Demo garage", checks
the station and charge point cards show live values and truthful states, that the power graph
has data, puts the cloud over the PV and watches the site discharge the V2G cars while the
others pause, adds a station in the UI and finds it on the dashboard without a restart while
the other stations never went unavailable, and finds the four blueprints in Settings ->
Blueprints. Screenshots (desktop and phone width) are kept in artifacts/browser.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from hardware.station_sim.ports import free_udp_port

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


SITE_DASHBOARD = "ev-charging-demo-garage/charging"
"""The dashboard the integration built for the demo site "Demo garage"."""
PHONE = {"width": 390, "height": 844}
EXTRA_PORT = free_udp_port()
"""The UDP port of the station the test adds in the UI (a simulator of its own)."""


def log_in(page: Page, url: str) -> None:
    """Open the site's dashboard; Home Assistant asks for the login first."""
    page.goto(f"{url}/{SITE_DASHBOARD}")
    page.get_by_role("textbox", name="Username").fill(USERNAME)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    tile(page, "Power", "Station 1").wait_for(timeout=60_000)


def shows(page: Page, name: str, heading: str, text: str) -> bool:
    """Whether the tile's state begins with `text` ("Paused" in "Paused · Demand response")."""
    return tile_state(page, name, heading).startswith(text)


def graph_has_data(page: Page, title: str) -> bool:
    """Whether the history graph titled `title` draws a chart (not "No state history found")."""
    card = page.locator("hui-history-graph-card").filter(has_text=title)
    return card.locator("ha-chart-base").count() > 0 and "No state history" not in (
        card.inner_text()
    )


def chart_drawn(page: Page, title: str) -> bool:
    """Whether the statistics graph titled `title` draws a chart (not "No statistics found")."""
    card = page.locator("hui-statistics-graph-card").filter(has_text=title)
    return card.locator("ha-chart-base").count() > 0 and "No statistics" not in card.inner_text()


def went_unavailable(page: Page, since: str, entity_ids: list[str]) -> list[str]:
    """The entities Home Assistant recorded as unavailable since `since` (its history API)."""
    found: list[str] = page.evaluate(
        """async ([since, ids]) => {
            const hass = document.querySelector("home-assistant").hass;
            const path = `history/period/${since}?filter_entity_id=${ids.join(",")}`
                + "&minimal_response&no_attributes";
            const history = await hass.callApi("GET", path);
            return history.flat().filter((s) => s.state === "unavailable")
                .map((s) => s.entity_id ?? "?");
        }""",
        [since, entity_ids],
    )
    return found


def open_device(page: Page, url: str, name: str) -> None:
    """The device page of the device named `name` (Settings -> Devices)."""
    device_id = page.evaluate(
        """(name) => Object.values(document.querySelector("home-assistant").hass.devices)
            .find((device) => device.name === name).id""",
        name,
    )
    page.goto(f"{url}/config/devices/device/{device_id}")


def add_station(page: Page, url: str, name: str, port: int) -> None:
    """Settings -> EV V2G -> Add charging station -> CoAP station, as a person would."""
    page.goto(f"{url}/config/integrations/integration/ev_v2g")
    page.get_by_role("button", name="Add charging station").click()
    page.get_by_text("CoAP station", exact=True).click()
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Host").fill("127.0.0.1")
    page.get_by_role("spinbutton", name="Port").fill(str(port))
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("button", name="Finish").click(timeout=30_000)


def test_the_site_dashboard_tells_the_truth_and_follows_the_site(
    demo: Demo, browser: Browser, artifacts: Path
) -> None:
    """Live, truthful cards; a cloud discharges Station 1 and pauses the others; a new station.

    The OCPP charge points are online: at A (1.6J) a car arrived and Flat 3C's card was swiped,
    so it charges for Flat 3C; at B (2.0.1) a car waits for someone to start it.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    extra = subprocess.Popen(  # noqa: S603 - our own simulator, fixed arguments
        [
            *(sys.executable, "-m", "hardware.station_sim", "--count", "1"),
            *("--base-port", str(EXTRA_PORT), "--max-age", "2", "--status-every", "3600"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        log_in(page, demo.url)

        # Live values: the demo's cars charge, so their stations draw power and say so.
        for station in (1, 2, 3):
            wait_for(
                page,
                f"station {station} drawing power",
                lambda s=station: (watts(tile_state(page, "Power", f"Station {s}")) or 0) > 500,
            )
        assert tile_state(page, "Plugged in", "Station 1") == "Plugged in"
        assert tile_state(page, "State", "Station 1") == "Charging"
        assert tile_state(page, "Resident", "Station 1") == "Flat 1A"
        assert (watts(tile_state(page, "Setpoint", "Station 1")) or 0) >= 6
        assert tile_state(page, "State", "Station 4") == "Idle"
        wait_for(
            page,
            "charge point A drawing power",
            lambda: (watts(tile_state(page, "Power", "Charge point A")) or 0) > 500,
        )
        assert tile_state(page, "State", "Charge point A") == "Charging"
        assert tile_state(page, "Resident", "Charge point A") == "Flat 3C"
        wait_for(
            page,
            "charge point B's car plugged in, not started",
            lambda: tile_state(page, "State", "Charge point B") == "Car plugged in",
        )
        assert tile_state(page, "Charging", "Charge point B") == "Off"
        # Every card found its entity: a missing one shows a warning card instead.
        assert page.locator("hui-warning").count() == 0
        assert tile_state(page, "DR mode") == "Normal"
        wait_for(page, "the site power graph drawn", lambda: graph_has_data(page, "Site power"))
        # The residents' past months (scripts/demo_history.py) as bars, from their sensors.
        wait_for(page, "the energy per month drawn", lambda: chart_drawn(page, "Energy per month"))
        page.screenshot(path=artifacts / "1-charging.png", full_page=True)
        # Nothing for the user to repair: no issue raised by us or by Home Assistant.
        issues = page.evaluate(
            """async () => (await document.querySelector("home-assistant").hass
                .callWS({type: "repairs/list_issues"})).issues
                .filter((issue) => !issue.ignored).map((issue) => issue.issue_id)"""
        )
        assert issues == []

        # A cloud over the PV: the blueprint automation asks the site to discharge.
        page.goto(f"{demo.url}/demo-sky/sky")
        tile(page, "Cloud over the PV").click()
        wait_for(page, "the cloud on", lambda: tile_state(page, "Cloud over the PV") == "On")
        wait_for(
            page, "PV power below 1 kW", lambda: (watts(tile_state(page, "PV power")) or 0) < 1000
        )
        page.goto(f"{demo.url}/{SITE_DASHBOARD}")
        wait_for(
            page, "demand response in Discharge", lambda: tile_state(page, "DR mode") == "Discharge"
        )
        wait_for(
            page,
            "station 1 giving power back",
            lambda: (watts(tile_state(page, "Power", "Station 1")) or 0) < -500,
        )
        wait_for(
            page, "station 1 discharging", lambda: shows(page, "State", "Station 1", "Discharging")
        )
        # Flat 3C did not consent: Station 3's V2G car pauses for the request, and says why.
        wait_for(page, "station 3 paused", lambda: shows(page, "State", "Station 3", "Paused"))
        assert "Demand response" in tile_state(page, "State", "Station 3")
        assert (watts(tile_state(page, "DR asked")) or 0) > 0
        wait_for(
            page, "power delivered", lambda: (watts(tile_state(page, "DR delivered")) or 0) > 0
        )
        page.screenshot(path=artifacts / "2-discharging.png", full_page=True)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(1000)
        page.screenshot(path=artifacts / "3-phone.png", full_page=True)
        page.set_viewport_size({"width": 1400, "height": 1000})

        # A station added in the UI: on the dashboard at once, the others never unavailable.
        since = page.evaluate("new Date().toISOString()")
        add_station(page, demo.url, "Station 5", EXTRA_PORT)
        page.goto(f"{demo.url}/{SITE_DASHBOARD}")
        section(page, "Station 5").wait_for(timeout=30_000)
        wait_for(
            page,
            "station 5 in contact",
            lambda: tile_state(page, "State", "Station 5") != "Connecting",
        )
        others = [f"sensor.station_{n}_power" for n in range(1, 5)]
        others += ["sensor.charge_point_a_power", "sensor.charge_point_b_power"]
        assert went_unavailable(page, since, others) == []
        page.screenshot(path=artifacts / "4-station-added.png", full_page=True)

        # A resident's device: consent and reserve to change, tags to look at.
        open_device(page, demo.url, "Flat 1A")
        for name in ("V2G consent", "V2G reserve", "Cards and tags"):
            page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=artifacts / "6-resident.png", full_page=True)
        # A charge point that cannot give energy back has no "Energy exported".
        open_device(page, demo.url, "Charge point A")
        page.get_by_text("Energy imported", exact=True).first.wait_for(timeout=30_000)
        assert page.get_by_text("Energy exported", exact=True).count() == 0

        # The four blueprints the demo ships are listed in Settings -> Blueprints.
        page.goto(f"{demo.url}/config/blueprint/dashboard")
        for name in blueprint_names():
            page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=artifacts / "7-blueprints.png", full_page=True)
    except BaseException:
        page.screenshot(path=artifacts / "failure.png", full_page=True)
        raise
    finally:
        page.close()
        extra.terminate()
        extra.wait(timeout=10)
