"""What one Home Assistant release offers, read from its source files without importing them.

The newest release may need a newer Python than ours (2026.3 and later use `except A, B:`), so its
files are parsed with that one construct rewritten; nothing is executed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
import re

VERSION = re.compile(r"^\d{4}\.\d{1,2}(\.\d+)?$")
# PEP 758 (Python 3.14): `except A, B:` without parentheses, which 3.13's parser refuses.
BARE_EXCEPT_TUPLE = re.compile(
    r"^(\s*except\*?\s+)(?!\()([^:\n]+,[^:\n]+?)(\s+as\s+\w+)?\s*:", re.M
)


def parse(source: str) -> ast.Module:
    """Parse a Home Assistant file, whichever Python it was written for."""
    return ast.parse(BARE_EXCEPT_TUPLE.sub(lambda m: f"{m[1]}({m[2]}){m[3] or ''}:", source))


@dataclass(frozen=True)
class Signature:
    """The parameters a function or class takes, as far as the source says."""

    positional: tuple[str, ...]
    keywords: frozenset[str]
    any_keyword: bool
    any_positional: bool

    def accepts(self, keyword: str) -> bool:
        """Whether `keyword=` may be passed."""
        return self.any_keyword or keyword in self.keywords


@dataclass
class Module:
    """One module's top-level names, deprecations, signatures and usage reports."""

    names: set[str] = field(default_factory=set)
    deprecated_names: dict[str, str] = field(default_factory=dict)
    deprecated_keywords: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, Signature] = field(default_factory=dict)  # "f", "Class", "Class.m"
    reports: dict[str, list[Report]] = field(default_factory=dict)  # qualname -> reports
    has_getattr: bool = False


def _strings(node: ast.AST) -> Iterator[str]:
    for child in ast.walk(node):
        if isinstance(child, ast.Constant) and isinstance(child.value, str):
            yield child.value


def _version_in(node: ast.AST) -> str:
    return next((text for text in _strings(node) if VERSION.match(text)), "a later release")


def _signature(function: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> Signature:
    arguments = function.args
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    if method and positional:
        positional = positional[1:]
    keywords = {a.arg for a in arguments.args} | {a.arg for a in arguments.kwonlyargs}
    return Signature(
        positional=tuple(positional),
        keywords=frozenset(keywords),
        any_keyword=arguments.kwarg is not None,
        any_positional=arguments.vararg is not None,
    )


def _body(nodes: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements at this level, with those inside if / try blocks (TYPE_CHECKING included)."""
    for node in nodes:
        yield node
        if isinstance(node, ast.If):
            yield from _body(node.body)
            yield from _body(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _body(node.body)
            for handler in node.handlers:
                yield from _body(handler.body)


def _is_deprecation(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return "deprecat" in ast.unparse(target).lower()


@dataclass(frozen=True)
class Report:
    """A `report_usage` in a function: its message, and the parameters whose use leads to it."""

    message: str
    gated_by: frozenset[str]  # parameters named in the `if`s around it (empty: always)


def _reports(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[Report]:
    arguments = function.args
    parameters = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    found: list[Report] = []

    def visit(node: ast.AST, gates: frozenset[str]) -> None:
        if isinstance(node, ast.If):
            tested = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)} & parameters
            for child in node.body:
                visit(child, gates | tested)
            for child in node.orelse:
                visit(child, gates)
            return
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("report_usage"):
            breaks = next((k.value for k in node.keywords if k.arg == "breaks_in_ha_version"), None)
            if breaks is not None and node.args:
                message = " ".join(_strings(node.args[0])) or ast.unparse(node.args[0])
                found.append(Report(f"{message} (breaks in {_version_in(breaks)})", gates))
        for child in ast.iter_child_nodes(node):
            visit(child, gates)

    for statement in function.body:
        visit(statement, frozenset())
    return found


def _class(module: Module, node: ast.ClassDef) -> None:
    fields: set[str] = set()
    init: Signature | None = None
    for item in _body(node.body):
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            signature = _signature(item, method=True)
            module.signatures[f"{node.name}.{item.name}"] = signature
            if item.name == "__init__":
                init = signature
            if reports := _reports(item):
                module.reports[f"{node.name}.{item.name}"] = reports
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            fields.add(item.target.id)
    if init is not None:
        module.signatures[node.name] = init
    elif fields:  # a dataclass, TypedDict or attrs class: its annotated fields are its keywords
        module.signatures[node.name] = Signature((), frozenset(fields), False, False)
    if any(_is_deprecation(d) for d in node.decorator_list):
        module.deprecated_names[node.name] = f"deprecated (removal in {_version_in(node)})"


def read_module(source: str) -> Module:
    """Index one module's source."""
    module = Module()
    for node in _body(parse(source).body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            module.names.add(node.name)
            module.has_getattr |= node.name == "__getattr__"
            module.signatures[node.name] = _signature(node, method=False)
            if reports := _reports(node):
                module.reports[node.name] = reports
            if any(_is_deprecation(d) for d in node.decorator_list):
                module.deprecated_names[node.name] = "deprecated"
        elif isinstance(node, ast.ClassDef):
            module.names.add(node.name)
            _class(module, node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            module.names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.TypeAlias) and isinstance(node.name, ast.Name):
            module.names.add(node.name.id)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                module.names.add(target.id)
                module.has_getattr |= target.id == "__getattr__"
                if target.id.startswith("_DEPRECATED_") and node.value is not None:
                    _deprecation(module, target.id, node.value)
    return module


def _deprecation(module: Module, name: str, value: ast.expr) -> None:
    """`_DEPRECATED_X = DeprecatedConstant(...)`, or a table of deprecated parameters."""
    if isinstance(value, ast.Dict):
        for key, entry in zip(value.keys, value.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                replacement = [s for s in _strings(entry) if not VERSION.match(s)]
                instead = f", use {replacement[0]}" if replacement else ""
                module.deprecated_keywords[key.value] = (
                    f"deprecated (removal in {_version_in(entry)}{instead})"
                )
    else:
        module.deprecated_names[name.removeprefix("_DEPRECATED_")] = (
            f"deprecated (removal in {_version_in(value)})"
        )


@dataclass
class Release:
    """A Home Assistant release: its version, modules, requirements and selector schemas."""

    version: str
    sources: Mapping[str, str]  # dotted module name -> source
    requirements: list[str]  # Requires-Dist: what installing it installs (first level)
    constraints: list[str]  # package_constraints.txt: the pins it installs integrations under
    aliases_voluptuous: bool  # `import voluptuous` gives probatio's shim (2026.9 and later)
    _modules: dict[str, Module] = field(default_factory=dict)

    def module(self, name: str) -> Module | None:
        """The indexed module, or None when the release has no such module."""
        if name not in self._modules:
            if name not in self.sources:
                return None
            self._modules[name] = read_module(self.sources[name])
        return self._modules[name]

    def is_module(self, name: str) -> bool:
        """Whether `name` is a module (or package) of this release."""
        return name in self.sources


def module_name(path: str) -> str | None:
    """`homeassistant/helpers/x.py` -> `homeassistant.helpers.x`; None for other files."""
    if not path.endswith(".py") or not path.startswith("homeassistant/"):
        return None
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)
