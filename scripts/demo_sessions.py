"""Start the demo's charging sessions: stations 1-3, each for the resident who owns it.

A station found charging when Home Assistant starts is told to stop unless a session is on
record (nobody authorized it), so the demo authorizes its cars the way a resident would: through
the start_session action, here over the REST API with the owner's token (demo_seed --token-file).
    .venv/bin/python scripts/demo_sessions.py http://127.0.0.1:8123 config/demo_token
"""

from __future__ import annotations

import json
from pathlib import Path
import sys
import time
from typing import Any
import urllib.error
import urllib.request

SESSIONS = (("sensor.station_1_power", "Flat 1A"), ("sensor.station_2_power", "Flat 2B"),
            ("sensor.station_3_power", "Flat 3C"))  # fmt: skip
TIMEOUT = 120.0


def _request(url: str, token: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the demo's own Home Assistant
        f"{url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        text = response.read().decode()
    return json.loads(text) if text[:1] in "[{" else text


def start_sessions(url: str, token: str) -> list[str]:
    """Start each session once its station is in contact; the residents whose car charges."""
    deadline = time.monotonic() + TIMEOUT
    started: list[str] = []
    for entity_id, resident in SESSIONS:
        while True:
            try:
                state = _request(url, token, f"/api/states/{entity_id}")
                if state["state"] not in ("unavailable", "unknown"):
                    template = {"template": f"{{{{ device_id('{entity_id}') }}}}"}
                    device = str(_request(url, token, "/api/template", template)).strip()
                    _request(
                        url,
                        token,
                        "/api/services/ev_v2g/start_session",
                        {"station": device, "resident": resident},
                    )
                    started.append(resident)
                    break
            except (urllib.error.URLError, OSError, KeyError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{entity_id} never came into contact")
            time.sleep(1)
    return started


def main() -> int:
    """Start the sessions of the demo at the URL, with the token in the file."""
    url, token_file = sys.argv[1], Path(sys.argv[2])
    residents = start_sessions(url.rstrip("/"), token_file.read_text(encoding="utf-8").strip())
    print(f"demo_sessions: sessions started for {', '.join(residents)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
