"""Our libraries against a newer release: what it still installs, what it pins, voluptuous names.

A third-party import must come with Home Assistant or our manifest (voluptuous, from 2026.9, is
probatio's shim: the names we use must be in its surface), and our requirements' own
requirements must fit the release's package constraints, or Home Assistant cannot install them.
"""

from __future__ import annotations

import ast
from importlib import metadata
import json
from pathlib import Path
import sys

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .index import Release
from .usage import Finding


def _requirements(lines: list[str]) -> dict[str, Requirement]:
    found = {}
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        found[canonicalize_name(requirement.name)] = requirement
    return found


def _imports(package: Path, root: Path) -> dict[str, str]:
    """Third-party top-level module -> the first place importing it."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module.split(".")[0]]
            for module in modules:
                if module in sys.stdlib_module_names or module in {
                    "homeassistant",
                    "custom_components",
                    "__future__",
                }:
                    continue
                found.setdefault(module, f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return found


def _voluptuous_names(package: Path, root: Path) -> dict[str, str]:
    """`vol.X` names the integration uses -> the first place."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "vol"
            ):
                found.setdefault(node.attr, f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return found


def check_libraries(
    package: Path, root: Path, release: Release, voluptuous: set[str] | None
) -> list[Finding]:
    """Imports the release no longer brings, pins it conflicts with, shim names it lacks."""
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    ours = _requirements(manifest.get("requirements", []))
    installed = set(_requirements(release.requirements)) | set(ours)
    distributions = metadata.packages_distributions()
    findings = []
    for module, where in _imports(package, root).items():
        names = {canonicalize_name(n) for n in distributions.get(module, [module])}
        if module == "voluptuous" and release.aliases_voluptuous:
            continue
        if not names & installed:
            findings.append(Finding(where, f"'{module}' no longer comes with Home Assistant"))
    constraints = _requirements(release.constraints)
    for name, requirement in ours.items():
        for text in metadata.requires(name) or []:
            needed = Requirement(text)
            if needed.marker is not None and not needed.marker.evaluate({"extra": ""}):
                continue
            pin = constraints.get(canonicalize_name(needed.name))
            versions = [s.version for s in pin.specifier if s.operator == "=="] if pin else []
            if versions and not needed.specifier.contains(versions[0], prereleases=True):
                findings.append(
                    Finding(
                        "manifest.json", f"{requirement} needs {needed}; the release pins {pin}"
                    )
                )
    if voluptuous is not None:
        findings.extend(
            Finding(where, f"vol.{name}: not in probatio's voluptuous shim")
            for name, where in _voluptuous_names(package, root).items()
            if name not in voluptuous
        )
    return findings
