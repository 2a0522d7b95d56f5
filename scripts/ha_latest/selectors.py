"""Our selectors (services.yaml, blueprints) against a newer release's selector schemas.

The release's `helpers/selector.py` is read for each registered selector type and the keys its
CONFIG_SCHEMA takes (and, for keys such as `filter`, the keys of the schema they nest), so that a
key the release rejects (2026.11: a device filter inside a target's entity filter) is named.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .index import Release, parse
from .usage import Finding

SELECTOR_MODULE = "homeassistant.helpers.selector"
Schema = dict[str, set[str]]  # key -> names of the schemas its value nests


OPEN = "*"  # a key this reader could not name: the schema may take any key


def _string_constants(tree: ast.Module) -> dict[str, str]:
    found = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            found[target.id] = value.value
    return found


class _Reader:
    def __init__(self, tree: ast.Module, names: dict[str, str]) -> None:
        self.names = names  # string constants the schemas use as keys (CONF_MODE -> "mode")
        self.constants: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.selectors: dict[str, ast.expr] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                self.constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self._selector(node)

    def _selector(self, node: ast.ClassDef) -> None:
        registered = [
            d.args[0].value
            for d in node.decorator_list
            if isinstance(d, ast.Call)
            and ast.unparse(d.func).endswith("register")
            and d.args
            and isinstance(d.args[0], ast.Constant)
        ]
        schema = next(
            (
                item.value
                for item in node.body
                if isinstance(item, ast.Assign)
                and isinstance(item.targets[0], ast.Name)
                and item.targets[0].id == "CONFIG_SCHEMA"
            ),
            None,
        )
        if registered and schema is not None:
            self.selectors[str(registered[0])] = schema

    def keys(self, expr: ast.expr, seen: frozenset[str] = frozenset()) -> Schema:
        """The keys an expression's schema takes, with the schemas each key nests."""
        found: Schema = {}
        if isinstance(expr, ast.Name) and expr.id in self.constants and expr.id not in seen:
            return self.keys(self.constants[expr.id], seen | {expr.id})
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute) and expr.func.attr == "extend":
                found |= self.keys(expr.func.value, seen)
            if isinstance(expr.func, ast.Name) and expr.func.id in self.functions:
                for node in ast.walk(self.functions[expr.func.id]):
                    if isinstance(node, ast.Dict):
                        found |= self._dict(node, seen)
            for argument in expr.args:
                found |= self.keys(argument, seen)
        elif isinstance(expr, ast.Dict):
            found |= self._dict(expr, seen)
        return found

    def _dict(self, node: ast.Dict, seen: frozenset[str]) -> Schema:
        found: Schema = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                found |= self.keys(value, seen)
                continue
            marker = key.args[0] if isinstance(key, ast.Call) and key.args else key
            text: object = OPEN
            if isinstance(marker, ast.Constant):
                text = marker.value
            elif isinstance(marker, ast.Name):
                text = self.names.get(marker.id, OPEN)
            if isinstance(text, str):
                found[text] = {
                    n.id
                    for n in ast.walk(value)
                    if isinstance(n, ast.Name)
                    and n.id.endswith("SCHEMA")
                    and n.id in self.constants
                }
        return found


class _IgnoreTags(yaml.SafeLoader):
    """Reads blueprints: `!input` and other tags become None."""


_IgnoreTags.add_multi_constructor("!", lambda loader, suffix, node: None)


def _selectors(node: Any, path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, selector type, its config) for every selector in a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "selector" and isinstance(value, dict) and len(value) == 1:
                ((kind, config),) = value.items()
                yield where, str(kind), config if isinstance(config, dict) else {}
            elif key == "target" and isinstance(value, dict):
                yield where, "target", value
            else:
                yield from _selectors(value, where)


def check_selectors(files: list[Path], root: Path, release: Release) -> list[Finding]:
    """Every selector type or key in `files` the release does not take."""
    tree = parse(release.sources[SELECTOR_MODULE])
    names = _string_constants(parse(release.sources["homeassistant.const"]))
    reader = _Reader(tree, names | _string_constants(tree))
    findings = []
    for file in files:
        document = yaml.load(file.read_text(encoding="utf-8"), Loader=_IgnoreTags)  # noqa: S506
        for where, kind, config in _selectors(document, ""):
            place = f"{file.relative_to(root).as_posix()} {where}"
            if kind not in reader.selectors:
                findings.append(Finding(place, f"selector '{kind}' is gone"))
                continue
            findings.extend(
                Finding(place, problem)
                for problem in _check(reader, reader.keys(reader.selectors[kind]), config, kind)
            )
    return findings


def _check(reader: _Reader, schema: Schema, config: dict[str, Any], what: str) -> Iterator[str]:
    for key, value in config.items():
        if key not in schema and OPEN not in schema:
            yield f"{what}: key '{key}' is not taken (the release rejects it)"
            continue
        nested: Schema = {}
        for name in schema.get(key, set()):
            nested |= reader.keys(ast.Name(id=name))
        if not nested:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield from _check(reader, nested, item, f"{what}.{key}")
