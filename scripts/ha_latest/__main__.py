"""What the newest Home Assistant deprecates or removed of what ev_v2g uses (a report, not a gate).

Downloads the newest homeassistant wheel from PyPI once (cached in ~/.cache/ev_v2g/ha-latest) and
reads it without running it: the Home Assistant names, keywords and positional parameters our
code uses (against the release the tests pin), the selectors of services.yaml and the blueprints,
the libraries it installs and pins, and probatio's voluptuous names. Exit 1 when it finds any.
    scripts/lint --ha-latest                      (the newest release)
    .venv/bin/python -m scripts.ha_latest --wheel homeassistant-2026.11.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys

from .libraries import check_libraries
from .selectors import check_selectors
from .usage import Finding, check_code
from .wheel import from_wheel, installed, newest_wheel, voluptuous_surface

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "custom_components" / "ev_v2g"


def main() -> int:
    """Print the findings, grouped; 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a homeassistant wheel instead of the newest")
    args = parser.parse_args()
    release = from_wheel(args.wheel or newest_wheel())
    tested = installed()
    print(f"ev_v2g against Home Assistant {release.version} (tests run {tested.version})")
    yaml_files = [PACKAGE / "services.yaml", *sorted((ROOT / "blueprints").rglob("*.yaml"))]
    sections: dict[str, list[Finding]] = {
        "Python: names, keywords, parameters": check_code(PACKAGE, ROOT, release, tested),
        "Selectors (services.yaml, blueprints)": check_selectors(yaml_files, ROOT, release),
        "Libraries": check_libraries(PACKAGE, ROOT, release, voluptuous_surface(release)),
    }
    total = 0
    for title, findings in sections.items():
        print(f"\n{title}: {len(findings) or 'nothing found'}")
        for finding in findings:
            print(f"  {finding.where}: {finding.what}")
        total += len(findings)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
