"""Run `scripts/develop` in a folder of its own, on ports of its own, and stop it cleanly."""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import signal
import subprocess
import time
import urllib.error
import urllib.request

from hardware.station_sim.ports import free_tcp_port, free_udp_ports

ROOT = Path(__file__).resolve().parents[2]
STATIONS = 4


@dataclass(frozen=True)
class Demo:
    """A running demo: Home Assistant's URL and the log of scripts/develop."""

    url: str
    log: Path


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait for Home Assistant's HTTP server, failing early if the demo exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scripts/develop exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{url}/manifest.json", timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise TimeoutError(f"Home Assistant did not answer within {timeout:.0f} s; see {log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the demo's process group (scripts/develop stops HA and the simulators), then kill."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def run_demo(config_dir: Path, artifacts: Path, timeout: float = 180) -> Iterator[Demo]:
    """scripts/develop with its config in `config_dir`, its output in `artifacts`/develop.log."""
    port, coap_port, ocpp_port = free_tcp_port(), free_udp_ports(STATIONS), free_tcp_port()
    while ocpp_port == port:
        ocpp_port = free_tcp_port()
    log = artifacts / "develop.log"
    command = [
        str(ROOT / "scripts" / "develop"),
        *("--config", str(config_dir), "--port", str(port), "--coap-port", str(coap_port)),
        *("--ocpp-port", str(ocpp_port)),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, process, log, timeout)
        yield Demo(url=url, log=log)
    finally:
        stop(process)
        home_log = config_dir / "home-assistant.log"
        if home_log.exists():
            (artifacts / "home-assistant.log").write_bytes(home_log.read_bytes())
