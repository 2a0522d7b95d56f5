"""The house rules of the layout (DESIGN.md section 1), read from the source files.

core/ and transport/ never import Home Assistant nor our package by its absolute path; no module
of the integration or the simulators takes part in an import circle (TYPE_CHECKING imports
count: a circle there is still two modules that each need the other); a test module never
imports another test module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "custom_components" / "ev_v2g"


def _modules(folder: Path) -> dict[str, Path]:
    """Dotted module name (from the repository root) -> file."""
    found = {}
    for path in folder.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """(imported module, names) for each import of a module, relative ones resolved."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield module, [alias.name for alias in node.names]


def _graph(folder: Path) -> dict[str, set[str]]:
    modules = _modules(folder)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in _imports(name, path):
            # `from . import x` needs the module x, not its package's __init__.
            submodules = [f"{module}.{n}" for n in names if f"{module}.{n}" in modules]
            targets = submodules if names and len(submodules) == len(names) else [module]
            for target in targets + submodules:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("folder", ["custom_components/ev_v2g", "hardware/station_sim"])
def test_no_import_circles(folder: str) -> None:
    """Data flows one way: no two modules need each other, directly or around a circle."""
    assert _circles(_graph(ROOT / folder)) == []


def test_the_circle_check_sees_a_circle() -> None:
    """The check itself: a two-module circle is found."""
    assert _circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


@pytest.mark.parametrize("room", ["core", "transport"])
def test_pure_rooms_import_no_home_assistant(room: str) -> None:
    """core/ and transport/ read like libraries: no Home Assistant, no absolute package path."""
    offending = []
    for path in (PACKAGE / room).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            offending += [
                f"{path.relative_to(ROOT)}: {module}"
                for module in modules
                if module.split(".")[0] in {"homeassistant", "custom_components"}
            ]
    assert offending == []


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in tests/common.py or a helper module, never in a test module."""
    offending = [
        f"{path.relative_to(ROOT)}: {module}"
        for name, path in _modules(ROOT / "tests").items()
        for module, names in _imports(name, path)
        for target in (module, *(f"{module}.{n}" for n in names))
        if target.rsplit(".", 1)[-1].startswith("test_")
    ]
    assert offending == []
