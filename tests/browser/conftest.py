"""The browser test's fixtures: the demo in a folder of its own, and Debian's chromium."""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import shutil
from typing import TYPE_CHECKING, NoReturn

import pytest

from .demo import ROOT, Demo, run_demo

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ARTIFACTS = ROOT / "artifacts" / "browser"


def _missing(reason: str) -> NoReturn:
    """In CI the browser test must run: fail there; elsewhere skip with how to get it."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: .ci/run runs scripts/setup --browser, which installs it")
    pytest.skip(f"{reason}: run scripts/setup --browser")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """artifacts/browser: screenshots and logs kept after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium (or EV_V2G_CHROMIUM): Playwright drives it, it downloads no browser."""
    path = os.environ.get("EV_V2G_CHROMIUM") or shutil.which("chromium")
    if path is None:
        _missing("Debian's chromium is not installed")
    return path


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    """A headless chromium session."""
    try:
        from playwright.sync_api import sync_playwright  # installed by --browser
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def demo(socket_enabled: None, tmp_path: Path, artifacts: Path) -> Iterator[Demo]:
    """scripts/develop in tmp_path: HA, four CoAP stations, two OCPP charge points, the PV demo."""
    with run_demo(tmp_path / "config", artifacts) as running:
        yield running
