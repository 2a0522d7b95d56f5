"""Our Python against a newer release: names, keywords and positional parameters we use.

Each Home Assistant name the integration imports or reaches through a module alias must still
exist and not be deprecated; each call of a Home Assistant function or class must pass only
keywords it still takes, none it deprecates, and its positional arguments must land on the same
parameters as in the release we test with. Methods (`registry.async_get_or_create(...)`) are
matched by name among the classes of the modules the file imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .index import Module, Release, Report, Signature

ALWAYS_SEARCHED = ("homeassistant.core", "homeassistant.config_entries")


@dataclass(frozen=True, order=True)
class Finding:
    """One thing to change before the release breaks it."""

    where: str
    what: str


def _resolve(name: str, release: Release) -> tuple[str, str | None]:
    """`homeassistant.a.B.C` -> (the longest module prefix, its symbol B or None).

    What follows the symbol (an enum member, a method) is not looked at.
    """
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if release.is_module(module):
            return module, parts[cut] if cut < len(parts) else None
    return name.rpartition(".")[0], parts[-1]


class _File:
    """The Home Assistant names one of our files uses."""

    def __init__(self, path: Path, root: Path) -> None:
        self.where = path.relative_to(root).as_posix()
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.aliases: dict[str, str] = {}  # local name -> dotted Home Assistant name
        self.imported: list[tuple[str, int]] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("homeassistant"):
                        self.aliases[alias.asname or alias.name] = alias.name
                        self.imported.append((alias.name, node.lineno))
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "homeassistant"
            ):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    self.aliases[alias.asname or alias.name] = full
                    self.imported.append((full, node.lineno))

    def dotted(self, node: ast.expr) -> str | None:
        """The Home Assistant name an expression stands for (`dr.async_get`), if any."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute) and (owner := self.dotted(node.value)):
            return f"{owner}.{node.attr}"
        return None

    def modules(self, release: Release) -> set[str]:
        """The modules this file imports from, where its methods are looked up."""
        found = set(ALWAYS_SEARCHED)
        for name, _ in self.imported:
            module, _ = _resolve(name, release)
            found.add(module)
        return found


def _symbol(release: Release, dotted: str) -> tuple[Module | None, str | None, str]:
    module_name, symbol = _resolve(dotted, release)
    return release.module(module_name), symbol, module_name


def _check_name(release: Release, dotted: str) -> str | None:
    module, symbol, module_name = _symbol(release, dotted)
    dotted = f"{module_name}.{symbol}" if symbol else module_name
    if module is None:
        return f"{dotted}: module {module_name} is gone"
    if symbol is None:
        return None
    if symbol in module.deprecated_names:
        return f"{dotted}: {module.deprecated_names[symbol]}"
    if symbol not in module.names and not module.has_getattr:
        return f"{dotted}: no longer defined"
    return None


def _signature(release: Release, dotted: str) -> tuple[Signature | None, Module | None]:
    module, symbol, _ = _symbol(release, dotted)
    if module is None or symbol is None:
        return None, module
    return module.signatures.get(symbol), module


def _applies(report: Report, passed: set[str]) -> bool:
    """A report gated by parameters applies only when the call passes one of them."""
    return not report.gated_by or bool(report.gated_by & passed)


def _method_signatures(release: Release, modules: set[str], method: str) -> Iterator[Module]:
    for name in modules:
        module = release.module(name)
        if module is not None and any(k.endswith(f".{method}") for k in module.signatures):
            yield module


def _check_call(call: ast.Call, file: _File, release: Release, tested: Release) -> Iterator[str]:
    keywords = [k.arg for k in call.keywords if k.arg is not None]
    dotted = file.dotted(call.func)
    if dotted is not None:
        new, module = _signature(release, dotted)
        old, _ = _signature(tested, dotted)
        if new is None or old is None:
            return
        for keyword in keywords:
            if module is not None and keyword in module.deprecated_keywords:
                yield f"{dotted}({keyword}=...): {module.deprecated_keywords[keyword]}"
            elif old.accepts(keyword) and not new.accepts(keyword):
                yield f"{dotted}({keyword}=...): the keyword is gone"
        count = len(call.args)
        if not any(isinstance(a, ast.Starred) for a in call.args) and (
            old.positional[:count] != new.positional[:count]
        ):
            yield (
                f"{dotted}: positional parameters changed from ({', '.join(old.positional)})"
                f" to ({', '.join(new.positional)})"
            )
        passed = set(keywords) | set(new.positional[:count])
        symbol = _resolve(dotted, release)[1] or ""
        for report in module.reports.get(symbol, []) if module else []:
            if _applies(report, passed):
                yield f"{dotted}: reports '{report.message}'"
    elif isinstance(call.func, ast.Attribute):
        method = call.func.attr
        for module in _method_signatures(release, file.modules(release), method):
            for keyword in keywords:
                if keyword in module.deprecated_keywords:
                    yield f".{method}({keyword}=...): {module.deprecated_keywords[keyword]}"
            for qualname, reports in module.reports.items():
                if qualname.endswith(f".{method}"):
                    yield from (
                        f"{qualname}: reports '{report.message}'"
                        for report in reports
                        if _applies(report, set(keywords))
                    )


def check_code(package: Path, root: Path, release: Release, tested: Release) -> list[Finding]:
    """Every use in `package` the newer release removed or deprecated."""
    findings: set[Finding] = set()
    for path in sorted(package.rglob("*.py")):
        file = _File(path, root)
        for dotted, line in file.imported:
            if problem := _check_name(release, dotted):
                findings.add(Finding(f"{file.where}:{line}", problem))
        for node in ast.walk(file.tree):
            if isinstance(node, ast.Attribute) and (dotted := file.dotted(node)):
                if problem := _check_name(release, dotted):
                    findings.add(Finding(f"{file.where}:{node.lineno}", problem))
            elif isinstance(node, ast.Call):
                for problem in _check_call(node, file, release, tested):
                    findings.add(Finding(f"{file.where}:{node.lineno}", problem))
    return sorted(findings)
