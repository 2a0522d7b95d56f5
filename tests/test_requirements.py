"""Every library the integration imports reaches a user: it comes with Home Assistant or the manifest.

A stock Home Assistant installs itself with its own requirements, then a custom integration's
manifest requirements, under its package constraints. The test venv has far more than that (the
tests' and the simulators' libraries), so an import that works here proves nothing: these checks
read the imports from the source and the requirement closure from the packages' metadata.
`scripts/install_test.py` proves the same on a fresh Home Assistant.
"""

from __future__ import annotations

import ast
from functools import cache
from importlib import metadata
import json
from pathlib import Path
import re
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "ev_v2g"
NOT_THIRD_PARTY = {"homeassistant", "custom_components", "__future__"}


def _manifest_requirements() -> list[Requirement]:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    return [Requirement(text) for text in manifest.get("requirements", [])]


def _closure(names: set[str]) -> set[str]:
    """The distributions `names` install, with everything they require (extras left out)."""
    seen: set[str] = set()
    todo = [canonicalize_name(name) for name in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return seen


@cache
def _with_home_assistant() -> frozenset[str]:
    """What `pip install homeassistant` brings: Home Assistant and its requirement closure."""
    return frozenset(_closure({"homeassistant"}))


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> files importing it, for absolute imports outside the stdlib."""
    found: dict[str, set[str]] = {}
    for path in sorted(INTEGRATION.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module.split(".")[0]]
            else:
                continue
            for module in modules:
                if module not in sys.stdlib_module_names and module not in NOT_THIRD_PARTY:
                    found.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_import_reaches_a_user() -> None:
    """Each third-party import is installed with Home Assistant or by a manifest requirement."""
    distributions = metadata.packages_distributions()
    manifest = _closure({requirement.name for requirement in _manifest_requirements()})
    problems = []
    for module, files in sorted(_third_party_imports().items()):
        provided_by = {canonicalize_name(name) for name in distributions.get(module, [module])}
        if not provided_by & (_with_home_assistant() | manifest):
            problems.append(
                f"'{module}' ({', '.join(sorted(files)[:3])}) comes neither with Home Assistant"
                f" nor with manifest.json's requirements: add it there, pinned"
            )
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_missing_requirement() -> None:
    """The closure holds what the manifest names and not what only the tests install."""
    assert canonicalize_name("aiocoap") not in _with_home_assistant()
    assert canonicalize_name("ocpp") not in _with_home_assistant()
    assert canonicalize_name("sqlalchemy") in _with_home_assistant()
    assert canonicalize_name("hypothesis") not in _with_home_assistant()
    assert "ocpp" in _third_party_imports(), "the OCPP transport imports the ocpp library"
    # CoAP is spoken by the integration's own endpoint; aiocoap serves only the simulators.
    assert "aiocoap" not in _third_party_imports()


def test_manifest_loggers_name_every_requirement() -> None:
    """Each requirement's top-level package is in `loggers`, so its logs are attributed to us."""
    manifest = json.loads((INTEGRATION / "manifest.json").read_text(encoding="utf-8"))
    loggers = set(manifest.get("loggers", []))
    distributions = metadata.packages_distributions()
    for requirement in _manifest_requirements():
        modules = {
            module
            for module, names in distributions.items()
            if canonicalize_name(requirement.name) in {canonicalize_name(n) for n in names}
            and not module.startswith("_")
        }
        assert modules, f"{requirement.name} is not installed in the test venv"
        assert modules & loggers, f"manifest.json loggers should name {sorted(modules)}"


def _constraints() -> dict[str, Requirement]:
    home_assistant = metadata.distribution("homeassistant")
    path = Path(str(home_assistant.locate_file("homeassistant/package_constraints.txt")))
    pins: dict[str, Requirement] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and re.match(r"^[A-Za-z0-9]", line):
            requirement = Requirement(line)
            pins[canonicalize_name(requirement.name)] = requirement
    return pins


def test_requirements_fit_home_assistant_constraints() -> None:
    """Home Assistant installs our requirements under its constraints: no pin may conflict."""
    constraints = _constraints()
    problems = []
    for requirement in _manifest_requirements():
        for text in metadata.requires(requirement.name) or []:
            needed = Requirement(text)
            if needed.marker is not None and not needed.marker.evaluate({"extra": ""}):
                continue
            pin = constraints.get(canonicalize_name(needed.name))
            if pin is None:
                continue
            pinned = [spec.version for spec in pin.specifier if spec.operator == "=="]
            if pinned and not needed.specifier.contains(pinned[0], prereleases=True):
                problems.append(f"{requirement} needs {needed}, Home Assistant pins {pin}")
    assert not problems, "\n".join(problems)
