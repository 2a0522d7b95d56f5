"""Install test: a stock Home Assistant installs ev_v2g from its manifest and runs a site with it.

What a user does, on loopback: a fresh venv with `homeassistant` alone (the version the tests pin,
installed by uv from its cache), `custom_components/ev_v2g` copied into a new config folder, the
demo's site seeded there (four CoAP stations, two OCPP charge points with their passwords), and
Home Assistant started *without* --skip-pip, so that it installs the manifest's requirements
itself. The simulated stations and charge points run from this repository's venv. Through the REST
API the test then waits for the site's entry to be loaded, a CoAP station to report power, and an
OCPP charge point, which had to log in with its password, to be connected and report power.

Exit 0 when all of that holds; otherwise the reason and Home Assistant's errors (the whole log is
kept in artifacts/install/). scripts/test runs it after pytest.
    .venv/bin/python scripts/install_test.py [--keep DIR] [--timeout 240]
"""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any
import urllib.error
import urllib.request

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hardware.station_sim.ports import free_tcp_port, free_udp_ports  # noqa: E402
from scripts.demo_sessions import start_sessions  # noqa: E402

DOMAIN = "ev_v2g"
ARTIFACTS = ROOT / "artifacts" / "install"
STATIONS = 4  # scripts/demo_seed.py seeds four CoAP stations and two OCPP charge points
COAP_STATION = "Station 1"
CHARGE_POINT = "Charge point A"
CONFIGURATION = """\
# Only what the test needs: no default_config, so nothing but ev_v2g asks for packages.
homeassistant:
  name: ev_v2g install test
http:
  server_host: 127.0.0.1
  server_port: {port}
api:
logger:
  default: warning
  logs:
    custom_components.{domain}: info
    homeassistant.util.package: info
"""


class InstallTestError(Exception):
    """What the user would have seen go wrong."""


@dataclass(frozen=True)
class Site:
    """The seeded config folder: its entry id and the owner's API token."""

    config: Path
    entry_id: str
    token: str


def say(text: str) -> None:
    """One line of progress."""
    print(f"==> install test: {text}", flush=True)


def home_assistant_pin() -> str:
    """The homeassistant requirement the tests pin (requirements_test.txt)."""
    text = (ROOT / "requirements_test.txt").read_text(encoding="utf-8")
    match = re.search(r"^homeassistant==\S+", text, re.MULTILINE)
    if match is None:
        raise InstallTestError("requirements_test.txt pins no homeassistant version")
    return match.group(0)


def find_uv() -> str:
    """uv: on the PATH, or the one Home Assistant brings into this repository's venv."""
    for candidate in (shutil.which("uv"), str(Path(sys.executable).with_name("uv"))):
        if candidate and Path(candidate).exists():
            return candidate
    raise InstallTestError("uv not found: run scripts/setup")


def make_venv(venv: Path) -> None:
    """A venv with Home Assistant alone: none of the test venv's packages."""
    uv = find_uv()
    pin = home_assistant_pin()
    say(f"a fresh venv with {pin} alone (uv, from its cache)")
    started = time.monotonic()
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    environment = {**os.environ, "VIRTUAL_ENV": str(venv)}
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), pin],
        check=True,
        env=environment,
    )
    say(f"venv ready in {time.monotonic() - started:.0f} s")


def seed(venv: Path, config: Path, port: int, coap_port: int, ocpp_port: int) -> Site:
    """The config folder: the integration copied in, configuration.yaml, the demo's site."""
    shutil.copytree(
        ROOT / "custom_components" / DOMAIN,
        config / "custom_components" / DOMAIN,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (config / "configuration.yaml").write_text(
        CONFIGURATION.format(port=port, domain=DOMAIN), encoding="utf-8"
    )
    token_file = config / "install_test_token"
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            str(ROOT / "scripts" / "demo_seed.py"),
            str(config),
            *("--base-port", str(coap_port), "--ocpp-port", str(ocpp_port)),
            *("--token-file", str(token_file)),
        ],
        check=True,
        cwd=config,
    )
    entries = json.loads((config / ".storage" / "core.config_entries").read_text("utf-8"))
    entry_id = next(e["entry_id"] for e in entries["data"]["entries"] if e["domain"] == DOMAIN)
    return Site(config=config, entry_id=entry_id, token=token_file.read_text("utf-8").strip())


class Api:
    """Home Assistant's REST API with the owner's token."""

    def __init__(self, url: str, token: str) -> None:
        """Talk to the Home Assistant at `url`."""
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """GET (or POST `body` to) an API path; the decoded answer."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, headers=self.headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            text = response.read().decode()
        return json.loads(text) if text[:1] in "[{" else text

    def entry_state(self, entry_id: str) -> str:
        """The config entry's state, as a template sees it ("loaded", "setup_error", ...)."""
        template = f"{{{{ config_entry_attr('{entry_id}', 'state') }}}}"
        state = str(self.request("/api/template", {"template": template})).strip()
        return state.rsplit(".", 1)[-1].lower()

    def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state, by friendly name."""
        return {
            state["attributes"].get("friendly_name", state["entity_id"]): state
            for state in self.request("/api/states")
        }


def number(state: dict[str, Any] | None) -> float | None:
    """The numeric value of a state, or None while it has none."""
    if state is None:
        return None
    try:
        return float(state["state"])
    except ValueError:
        return None


def wait_for_api(api: Api, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Home Assistant answers its API (the first start installs the requirements first)."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InstallTestError(f"Home Assistant exited with {process.returncode}")
        try:
            api.request("/api/")
        except (urllib.error.URLError, OSError):
            time.sleep(1)
        else:
            return
    raise InstallTestError("Home Assistant's API did not answer in time")


def check_site(api: Api, site: Site, deadline: float) -> list[str]:
    """Wait until the entry is loaded and both stations report power; what was seen."""
    wanted = {
        f"{COAP_STATION} Power": "a CoAP station's power",
        f"{CHARGE_POINT} Power": "an OCPP charge point's power",
    }
    connected = f"{CHARGE_POINT} Connectivity"
    state, states = "unknown", {}
    while time.monotonic() < deadline:
        state = api.entry_state(site.entry_id)
        if state in {"setup_error", "migration_error", "failed_unload"}:
            break
        states = api.states()
        powers = {name: number(states.get(name)) for name in wanted}
        if (
            state == "loaded"
            and all(value is not None and value > 0 for value in powers.values())
            and states.get(connected, {}).get("state") == "on"
        ):
            return [f"{name}: {value:.0f} W" for name, value in powers.items() if value]
        time.sleep(1)
    if state != "loaded":
        raise InstallTestError(f"the site's config entry is {state!r}, not loaded")
    missing = [
        f"{what} ({name}: {states.get(name, {}).get('state', 'no such entity')})"
        for name, what in wanted.items()
        if (number(states.get(name)) or 0) <= 0
    ]
    if states.get(connected, {}).get("state") != "on":
        missing.append(f"{connected}: {states.get(connected, {}).get('state', 'no such entity')}")
    raise InstallTestError("the site is loaded but not running: " + "; ".join(missing))


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a process group, then kill it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def errors_in(log: Path) -> list[str]:
    """The ERROR lines of Home Assistant's log (what a user finds in Settings -> System -> Logs)."""
    if not log.exists():
        return []
    return [line for line in log.read_text("utf-8", "replace").splitlines() if " ERROR " in line]


def run(work: Path, timeout: float) -> list[str]:
    """The whole test in `work`; what was seen when it passes."""
    venv, config = work / "venv", work / "config"
    make_venv(venv)
    port, ocpp_port = free_tcp_port(), free_tcp_port()
    while ocpp_port == port:
        ocpp_port = free_tcp_port()
    coap_port = free_udp_ports(STATIONS)
    site = seed(venv, config, port, coap_port, ocpp_port)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    processes: list[subprocess.Popen[bytes]] = []
    sims = (ARTIFACTS / "simulators.log").open("wb")
    try:
        say(f"starting {STATIONS} simulated CoAP stations on 127.0.0.1:{coap_port}-")
        processes.append(spawn(
            [sys.executable, "-m", "hardware.station_sim", "--count", str(STATIONS),
             "--base-port", str(coap_port), "--host", "127.0.0.1"],
            sims,
        ))  # fmt: skip
        say("starting Home Assistant without --skip-pip: it installs the manifest's requirements")
        hass_output = (ARTIFACTS / "hass-output.log").open("wb")
        environment = {
            **os.environ,
            "VIRTUAL_ENV": str(venv),
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        environment.pop("PYTHONPATH", None)
        hass = spawn(
            [str(venv / "bin" / "hass"), "--config", str(config)], hass_output, environment
        )
        processes.append(hass)
        api = Api(f"http://127.0.0.1:{port}", site.token)
        deadline = time.monotonic() + timeout
        wait_for_api(api, hass, deadline)
        say("Home Assistant is up; starting the two simulated OCPP charge points")
        for first, version in ((1, "1.6"), (2, "2.0.1")):
            processes.append(spawn(
                [sys.executable, "-m", "hardware.station_sim", "ocpp",
                 "--url", f"ws://127.0.0.1:{ocpp_port}", "--count", "1", "--first", str(first),
                 "--version", version, "--password-file", str(config / "ocpp_passwords")],
                sims,
            ))  # fmt: skip
        say("starting the demo's sessions at stations 1-3, as their residents would")
        start_sessions(api.url, site.token)
        return check_site(api, site, deadline)
    finally:
        for process in reversed(processes):
            stop(process)
        sims.close()
        log = config / "home-assistant.log"
        if log.exists():
            shutil.copyfile(log, ARTIFACTS / "home-assistant.log")


def spawn(
    command: list[str], output: Any, environment: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A process in its own group, its output to `output`."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
        env=environment,
        start_new_session=True,
    )


def main() -> int:
    """Run the test in a temporary folder (or --keep DIR); 0 when a user's install works."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (venv, config)")
    parser.add_argument("--timeout", type=float, default=240, help="seconds for HA to run the site")
    args = parser.parse_args()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.keep:
            work = args.keep.resolve()
            work.mkdir(parents=True, exist_ok=True)
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ev_v2g-install-")))
        try:
            seen = run(work, args.timeout)
        except (InstallTestError, subprocess.CalledProcessError) as err:
            print(f"install test FAILED: {err}", file=sys.stderr)
            for line in errors_in(ARTIFACTS / "home-assistant.log")[:20]:
                print(f"  {line}", file=sys.stderr)
            print(f"  (logs in {ARTIFACTS.relative_to(ROOT)}/)", file=sys.stderr)
            return 1
    say(f"passed in {time.monotonic() - started:.0f} s: entry loaded, " + ", ".join(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
