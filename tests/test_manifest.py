"""Offline checks of what hassfest and the HACS action verify, read from the files themselves.

The integration's Python is parsed with `ast`, never imported, so these checks run without Home
Assistant starting. A missing string fails with a message naming the key and where it is used.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from homeassistant import const as ha_const
from homeassistant.const import Platform
import pytest
import voluptuous as vol
from voluptuous.humanize import humanize_error
import yaml

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "ev_v2g"
MANIFEST_PATH = INTEGRATION / "manifest.json"
HACS_PATH = ROOT / "hacs.json"
STRINGS_PATH = INTEGRATION / "translations" / "en.json"
SERVICES_PATH = INTEGRATION / "services.yaml"
ICONS_PATH = INTEGRATION / "icons.json"
REQUIREMENTS_TEST_PATH = ROOT / "requirements_test.txt"

MIN_HOME_ASSISTANT = AwesomeVersion("2026.2.0")
HA_VERSION = AwesomeVersion(ha_const.__version__)

# Home Assistant's exceptions that take translation_domain/translation_key.
HA_EXCEPTIONS = {
    "ConfigEntryAuthFailed",
    "ConfigEntryError",
    "ConfigEntryNotReady",
    "HomeAssistantError",
    "IntegrationError",
    "PlatformNotReady",
    "ServiceNotSupported",
    "ServiceValidationError",
}
FLOW_BASES = {
    "ConfigFlow": "config",
    "OptionsFlow": "options",
    "OptionsFlowWithReload": "options",
    "ConfigSubentryFlow": "config_subentries",
}
PLATFORMS = {platform.value for platform in Platform}
# Class-name spelling of a platform where it is not plain CamelCase of the value.
PLATFORM_CLASS_NAMES = {"datetime": "DateTime", "tts": "TextToSpeech", "stt": "SpeechToText"}


# --------------------------------------------------------------------------------------------
# File loading


def _load_json(path: Path, *, required: bool = False) -> dict[str, Any]:
    if not path.exists():
        if required:
            pytest.fail(f"{path.relative_to(ROOT)} is missing")
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.relative_to(ROOT)} is not a JSON object"
    return data


@cache
def _manifest() -> dict[str, Any]:
    return _load_json(MANIFEST_PATH, required=True)


@cache
def _strings() -> dict[str, Any]:
    return _load_json(STRINGS_PATH)


@cache
def _icons() -> dict[str, Any]:
    return _load_json(ICONS_PATH)


@cache
def _services() -> dict[str, Any]:
    if not SERVICES_PATH.exists():
        return {}
    data = yaml.safe_load(SERVICES_PATH.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict), "services.yaml is not a mapping of services"
    return data


def _lookup(tree: dict[str, Any], path: tuple[str, ...]) -> Any:
    """Return the value at path in a nested dict, or None."""
    node: Any = tree
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _missing(tree: dict[str, Any], path: tuple[str, ...]) -> bool:
    value = _lookup(tree, path)
    return value is None or value in ("", {})


# --------------------------------------------------------------------------------------------
# Reading the integration's Python


@dataclass(frozen=True)
class Use:
    """A place in the code that needs a string in en.json."""

    path: tuple[str, ...]
    where: str


@dataclass
class ClassInfo:
    """A class defined in the integration."""

    name: str
    module: str
    node: ast.ClassDef
    bases: list[str]


@dataclass
class Code:
    """What the integration's modules define and use, gathered once."""

    modules: dict[str, ast.Module] = field(default_factory=dict)
    constants: dict[str, str | None] = field(default_factory=dict)
    class_constants: dict[tuple[str, str], str] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)


def _name_of(node: ast.expr) -> str | None:
    """Return the last name of a Name or Attribute node (`sensor.SensorEntity` -> SensorEntity)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):  # ConfigFlow[...] or generic bases
        return _name_of(node.value)
    return None


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(INTEGRATION).with_suffix("").parts)


@cache
def _code() -> Code:
    code = Code()
    for path in sorted(INTEGRATION.rglob("*.py")):
        code.modules[_module_name(path)] = ast.parse(
            path.read_text(encoding="utf-8"), filename=str(path)
        )
    for module, tree in code.modules.items():
        for node in tree.body:
            for target, value in _assignments(node):
                if isinstance(target, ast.Name) and (text := _literal(value)) is not None:
                    # A name bound to two different strings in two modules is ambiguous.
                    old = code.constants.get(target.id, text)
                    code.constants[target.id] = text if old == text else None
        for class_node in ast.walk(tree):
            if isinstance(class_node, ast.ClassDef):
                name = class_node.name
                bases = [base_name for base in class_node.bases if (base_name := _name_of(base))]
                code.classes[name] = ClassInfo(name, module, class_node, bases)
                for item in class_node.body:
                    for target, value in _assignments(item):
                        if isinstance(target, ast.Name) and (text := _literal(value)) is not None:
                            code.class_constants[name, target.id] = text
    return code


def _assignments(node: ast.stmt) -> Iterator[tuple[ast.expr, ast.expr]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield target, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        yield node.target, node.value


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _resolve(node: ast.expr | None) -> str | None:
    """Return the string an expression stands for, when it is a literal or a known constant."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    code = _code()
    if isinstance(node, ast.Name):
        if node.id in code.constants:
            return code.constants[node.id]
        value = getattr(ha_const, node.id, None)
        return value if isinstance(value, str) else None
    if isinstance(node, ast.Attribute):
        owner = _name_of(node.value)
        if owner is not None and (owner, node.attr) in code.class_constants:
            return code.class_constants[owner, node.attr]  # StrEnum member
        if owner == "const" and node.attr in code.constants:
            return code.constants[node.attr]
        if isinstance(node.value, ast.Name) and node.value.id in {"ha_const", "const"}:
            value = getattr(ha_const, node.attr, None)
            return value if isinstance(value, str) else None
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _str_list(node: ast.expr | None) -> list[str] | None:
    """Return the strings of a literal list/tuple of constants, or None if it is not one."""
    if not isinstance(node, ast.List | ast.Tuple):
        return None
    values = [_resolve(element) for element in node.elts]
    if any(value is None for value in values):
        return None
    return [value for value in values if value is not None]


def _ancestors(class_name: str) -> list[str]:
    """Return the class and the names of all its bases, following classes defined here."""
    code = _code()
    seen: list[str] = []
    todo = [class_name]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.append(name)
        if name in code.classes:
            todo.extend(code.classes[name].bases)
    return seen


def _platform_class_name(platform: str) -> str:
    return PLATFORM_CLASS_NAMES.get(
        platform, "".join(part.capitalize() for part in platform.split("_"))
    )


def _platform_from_classes(names: list[str], suffix: str) -> str | None:
    """Find the platform from class names such as SensorEntityDescription or BinarySensorEntity."""
    for name in names:
        for platform in sorted(PLATFORMS, key=len, reverse=True):
            if name == f"{_platform_class_name(platform)}{suffix}":
                return platform
    return None


def _is_exception(names: list[str]) -> bool:
    return any(
        name in HA_EXCEPTIONS or name.endswith(("Error", "Exception", "NotReady", "AuthFailed"))
        for name in names
    )


def _where(module: str, node: ast.AST) -> str:
    return f"{module.replace('.', '/')}.py:{getattr(node, 'lineno', '?')}"


@cache
def _translation_uses() -> tuple[list[Use], list[str]]:
    """Return every translation key the code uses, and the uses this test cannot place."""
    uses: list[Use] = []
    unplaced: list[str] = []
    code = _code()
    for module, tree in code.modules.items():
        stem = module.rsplit(".", 1)[-1]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                _call_uses(node, module, stem, uses, unplaced)
            elif isinstance(node, ast.ClassDef):
                _class_attribute_uses(node, module, stem, uses)
    return uses, unplaced


def _call_uses(
    call: ast.Call, module: str, stem: str, uses: list[Use], unplaced: list[str]
) -> None:
    callee = _name_of(call.func)
    key_node = _keyword(call, "translation_key")
    if callee is None or key_node is None:
        return
    key = _resolve(key_node)
    if key is None:  # computed at run time: nothing to check statically
        return
    where = _where(module, call)
    names = _ancestors(callee)
    if callee.endswith("Description") or any(n.endswith("EntityDescription") for n in names):
        platform = stem if stem in PLATFORMS else None
        platform = platform or _platform_from_classes(names, "EntityDescription")
        if platform is None:
            unplaced.append(f"{callee}(translation_key={key!r}) at {where}: which platform?")
            return
        uses.append(Use(("entity", platform, key), where))
        options = _str_list(_keyword(call, "options"))
        if platform in {"sensor", "select"} and options:
            uses.extend(Use(("entity", platform, key, "state", o), where) for o in options)
    elif _is_exception(names):
        uses.append(Use(("exceptions", key, "message"), where))
    elif callee == "DeviceInfo":
        uses.append(Use(("device", key, "name"), where))
    elif callee == "async_create_issue":
        uses.append(Use(("issues", key, "title"), where))
    elif callee == "SelectSelectorConfig":
        options = _str_list(_keyword(call, "options")) or []
        uses.append(Use(("selector", key, "options"), where))
        uses.extend(Use(("selector", key, "options", option), where) for option in options)
    else:
        unplaced.append(f"{callee}(translation_key={key!r}) at {where}: unknown kind of string")


def _class_attribute_uses(node: ast.ClassDef, module: str, stem: str, uses: list[Use]) -> None:
    names = _ancestors(node.name)
    for item in node.body:
        for target, value in _assignments(item):
            if not isinstance(target, ast.Name) or (key := _resolve(value)) is None:
                continue
            where = _where(module, item)
            if target.id == "_attr_translation_key":
                platform = stem if stem in PLATFORMS else _platform_from_classes(names, "Entity")
                if platform is not None:
                    uses.append(Use(("entity", platform, key), where))
            elif target.id == "translation_key" and _is_exception(names):
                uses.append(Use(("exceptions", key, "message"), where))


# --------------------------------------------------------------------------------------------
# Config, options and subentry flows


def _subentry_types() -> dict[str, str]:
    """Map each subentry flow class to its subentry type, from async_get_supported_subentry_types."""
    code = _code()
    found: dict[str, str] = {}
    for tree in code.modules.values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            for key_node, value in zip(node.keys, node.values, strict=True):
                class_name = _name_of(value) if value is not None else None
                if class_name in code.classes and "ConfigSubentryFlow" in _ancestors(class_name):
                    subentry_type = _resolve(key_node)
                    if subentry_type is not None:
                        found[class_name] = subentry_type
    return found


def _flow_roots() -> dict[str, tuple[str, ...]]:
    """Map each concrete flow class to the section of en.json holding its strings."""
    code = _code()
    subentry_types = _subentry_types()
    subclassed = {base for info in code.classes.values() for base in info.bases}
    roots: dict[str, tuple[str, ...]] = {}
    for name in code.classes:
        kinds = [FLOW_BASES[base] for base in _ancestors(name)[1:] if base in FLOW_BASES]
        if not kinds:
            continue
        if kinds[0] == "config_subentries":
            if name in subentry_types:
                roots[name] = ("config_subentries", subentry_types[name])
            elif name not in subclassed:
                roots[name] = ("config_subentries", f"<no subentry type maps to {name}>")
        elif name not in subclassed or kinds[0] == "config":
            roots[name] = (kinds[0],)
    return roots


def _module_functions(tree: ast.Module) -> dict[str, ast.AST]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _flow_uses(class_name: str) -> list[Use]:
    """Return the steps, errors and aborts a flow class shows, with those of helpers it calls."""
    code = _code()
    bodies: list[tuple[str, ast.AST]] = []
    for name in _ancestors(class_name):
        if name in code.classes:
            info = code.classes[name]
            bodies.append((info.module, info.node))
    # Module-level helpers called by the class (one level deep) count as part of it.
    for module, node in list(bodies):
        helpers = _module_functions(code.modules[module])
        called = {
            callee
            for call in ast.walk(node)
            if isinstance(call, ast.Call) and (callee := _name_of(call.func)) in helpers
        }
        bodies.extend((module, helpers[callee]) for callee in sorted(called))
    calls = [node for _, body in bodies for node in ast.walk(body) if isinstance(node, ast.Call)]

    uses: list[Use] = []
    for module, body in bodies:
        for function in ast.walk(body):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                uses.extend(_function_flow_uses(function, module, calls))
    return uses


def _argument_values(
    function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str, calls: list[ast.Call]
) -> list[str]:
    """Return the strings passed for a parameter where the flow calls this function."""
    positional = [arg.arg for arg in (*function.args.posonlyargs, *function.args.args)]
    if positional and positional[0] in {"self", "cls"}:
        positional = positional[1:]
    values: list[str] = []
    for call in calls:
        if _name_of(call.func) != function.name:
            continue
        node = _keyword(call, parameter)
        if node is None and parameter in positional:
            index = positional.index(parameter)
            node = call.args[index] if index < len(call.args) else None
        if (value := _resolve(node)) is not None:
            values.append(value)
    return values


def _step_ids(
    node: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef, calls: list[ast.Call]
) -> list[str]:
    """Return the step ids a form or menu call shows: literal, or passed in by the flow's calls."""
    step_id = _keyword(node, "step_id")
    if (value := _resolve(step_id)) is not None:
        return [value]
    parameters = {arg.arg for arg in (*function.args.posonlyargs, *function.args.args)}
    parameters |= {arg.arg for arg in function.args.kwonlyargs}
    if isinstance(step_id, ast.Name) and step_id.id in parameters:
        return _argument_values(function, step_id.id, calls)
    return []


def _function_flow_uses(
    function: ast.FunctionDef | ast.AsyncFunctionDef, module: str, calls: list[ast.Call]
) -> list[Use]:
    uses: list[Use] = []
    for node in ast.walk(function):
        where = _where(module, node)
        if isinstance(node, ast.Call):
            callee = _name_of(node.func)
            for step_id in _step_ids(node, function, calls):
                uses.append(Use(("step", step_id), where))
                options = _str_list(_keyword(node, "menu_options")) or []
                uses.extend(Use(("step", step_id, "menu_options", o), where) for o in options)
            reason = _resolve(_keyword(node, "reason"))
            if callee == "async_abort" and reason is not None:
                uses.append(Use(("abort", reason), where))
            elif callee in {"_abort_if_unique_id_configured", "_async_abort_entries_match"}:
                uses.append(Use(("abort", "already_configured"), where))
            elif callee == "_abort_if_unique_id_mismatch":
                uses.append(Use(("abort", reason or "unique_id_mismatch"), where))
            elif callee in {"async_update_reload_and_abort", "async_update_and_abort"}:
                default = "reauth_successful" if "reauth" in function.name else None
                uses.append(Use(("abort", reason or default or "reconfigure_successful"), where))
            elif callee == "AbortFlow" and node.args and (flow_reason := _resolve(node.args[0])):
                uses.append(Use(("abort", flow_reason), where))
            if (errors := _keyword(node, "errors")) is not None and isinstance(errors, ast.Dict):
                uses.extend(_dict_errors(errors, module, all_values=True))
        elif isinstance(node, ast.Dict):
            uses.extend(_dict_errors(node, module, all_values=False))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            for target, assigned in _assignments(node):
                if (
                    isinstance(target, ast.Subscript)
                    and "error" in (_name_of(target.value) or "")
                    and (error := _resolve(assigned)) is not None
                ):
                    uses.append(Use(("error", error), where))
    return uses


def _dict_errors(node: ast.Dict, module: str, *, all_values: bool) -> list[Use]:
    """Errors in a dict literal: every value when passed as errors=, else the "base" value."""
    keys = [_resolve(key) if key is not None else None for key in node.keys]
    if not all_values and "base" not in keys:
        return []
    return [
        Use(("error", error), _where(module, node))
        for key, value in zip(keys, node.values, strict=True)
        if (all_values or key == "base") and (error := _resolve(value)) is not None
    ]


# --------------------------------------------------------------------------------------------
# manifest.json (hassfest) and hacs.json (HACS action)


def _version(value: str) -> str:
    try:
        AwesomeVersion(
            value,
            ensure_strategy=[
                AwesomeVersionStrategy.CALVER,
                AwesomeVersionStrategy.SEMVER,
                AwesomeVersionStrategy.SIMPLEVER,
                AwesomeVersionStrategy.BUILDVER,
                AwesomeVersionStrategy.PEP440,
            ],
        )
    except Exception as err:
        raise vol.Invalid(f"{value!r} is not a valid version") from err
    return value


def _https_url(value: str) -> str:
    vol.Url()(value)
    if not value.startswith("https://"):
        raise vol.Invalid("must be an https URL")
    if value.startswith("https://www.home-assistant.io/integrations"):
        raise vol.Invalid("a custom integration documents itself, not on home-assistant.io")
    return value


def _code_owner(value: str) -> str:
    if not value.startswith("@"):
        raise vol.Invalid(f"code owner {value!r} is not a GitHub handle (@name)")
    return value


# hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA, less the discovery matchers we do not use.
MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        vol.Optional("after_dependencies"): [str],
        vol.Required("codeowners"): [vol.All(str, _code_owner)],
        vol.Optional("config_flow"): bool,
        vol.Optional("dependencies"): [str],
        vol.Optional("dhcp"): list,
        vol.Required("documentation"): vol.All(str, _https_url),
        vol.Optional("import_executor"): bool,
        vol.Optional("integration_type"): vol.In(
            ["device", "entity", "hardware", "helper", "hub", "service", "system"]
        ),
        vol.Required("iot_class"): vol.In(
            [
                "assumed_state",
                "calculated",
                "cloud_polling",
                "cloud_push",
                "local_polling",
                "local_push",
            ]
        ),
        vol.Required("issue_tracker"): vol.All(str, vol.Url()),
        vol.Optional("loggers"): [str],
        vol.Optional("requirements"): [str],
        vol.Optional("single_config_entry"): bool,
        vol.Required("version"): vol.All(str, _version),
        vol.Optional("zeroconf"): list,
    }
)

# The HACS action's HACS_MANIFEST_JSON_SCHEMA: no other keys are allowed.
HACS_SCHEMA = vol.Schema(
    {
        vol.Required("name"): str,
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
    }
)

PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9.+!_-]+$")


def test_manifest_schema() -> None:
    """manifest.json has the keys and types hassfest accepts for a custom integration."""
    try:
        MANIFEST_SCHEMA(_manifest())
    except vol.Invalid as err:
        pytest.fail(f"manifest.json: {humanize_error(_manifest(), err)}")


def test_manifest_domain_matches_folder_and_const() -> None:
    """The domain is the folder's name and const.DOMAIN."""
    assert _manifest()["domain"] == INTEGRATION.name
    if "const" in _code().modules:
        assert _code().constants.get("DOMAIN") == _manifest()["domain"], "const.DOMAIN differs"


def test_manifest_keys_sorted() -> None:
    """Hassfest wants domain, name, then the other keys in alphabetical order."""
    keys = list(_manifest())
    expected = ["domain", "name", *sorted(k for k in keys if k not in {"domain", "name"})]
    assert keys == expected, f"manifest.json keys should be ordered {expected}"


def test_manifest_version_loads_in_home_assistant() -> None:
    """Home Assistant refuses a custom integration whose version AwesomeVersion cannot parse."""
    version = AwesomeVersion(_manifest()["version"])
    assert version.valid, f"version {version} is not valid"
    assert version.strategy != AwesomeVersionStrategy.UNKNOWN


def test_manifest_requirements_pinned() -> None:
    """Every requirement is pinned with ==, and the tests run against the same pin."""
    test_pins = {
        line.split("==")[0].lower(): line.strip()
        for line in REQUIREMENTS_TEST_PATH.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    for requirement in _manifest().get("requirements", []):
        assert PINNED.match(requirement), f"requirement {requirement!r} is not pinned with =="
        package = re.split(r"[\[=]", requirement)[0].lower()
        assert test_pins.get(package) == requirement, (
            f"requirements_test.txt should pin {requirement!r} too (has {test_pins.get(package)!r})"
        )


def test_hacs_json() -> None:
    """hacs.json has only the keys HACS allows, and a minimum Home Assistant we support."""
    hacs = _load_json(HACS_PATH, required=True)
    try:
        HACS_SCHEMA(hacs)
    except vol.Invalid as err:
        pytest.fail(f"hacs.json: {humanize_error(hacs, err)}")
    assert "homeassistant" in hacs, "hacs.json should state the minimum Home Assistant version"
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert minimum >= MIN_HOME_ASSISTANT, f"homeassistant {minimum} is older than we support"
    assert minimum <= HA_VERSION, f"homeassistant {minimum} is newer than the {HA_VERSION} tested"


# --------------------------------------------------------------------------------------------
# translations/en.json against the code, services.yaml and icons.json


def test_strings_file_is_plain() -> None:
    """Custom integrations ship en.json as is: no [%key:...] references, which only core resolves."""
    if STRINGS_PATH.exists():
        text = STRINGS_PATH.read_text(encoding="utf-8")
        assert "[%key:" not in text, "translations/en.json uses [%key:...] references"


def test_translation_keys_used_in_code_exist() -> None:
    """Every translation_key in the code has its entry in translations/en.json."""
    uses, unplaced = _translation_uses()
    assert not unplaced, "translation_key uses this test cannot place:\n" + "\n".join(unplaced)
    missing = sorted(
        {
            f"{'.'.join(use.path)} (used at {use.where})"
            for use in uses
            if _missing(_strings(), use.path)
        }
    )
    assert not missing, "missing in translations/en.json:\n" + "\n".join(missing)


def test_config_flow_strings_exist() -> None:
    """Steps, errors and abort reasons of every flow are in en.json under the flow's section."""
    missing: set[str] = set()
    for class_name, root in _flow_roots().items():
        for use in _flow_uses(class_name):
            if _missing(_strings(), (*root, *use.path)):
                missing.add(f"{'.'.join((*root, *use.path))} ({class_name}, {use.where})")
        if root[0] == "config_subentries":
            needed = [("entry_type",), ("initiate_flow", "user")]
            methods = {
                item.name
                for name in _ancestors(class_name)
                if name in _code().classes
                for item in _code().classes[name].node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            if "async_step_reconfigure" in methods:
                needed.append(("initiate_flow", "reconfigure"))
            missing.update(
                f"{'.'.join((*root, *path))} ({class_name})"
                for path in needed
                if _missing(_strings(), (*root, *path))
            )
    assert not missing, "missing in translations/en.json:\n" + "\n".join(sorted(missing))


def _service_fields(spec: dict[str, Any] | None) -> tuple[dict[str, Any], set[str]]:
    """Return a service's fields, with those inside sections, and its section names."""
    fields: dict[str, Any] = {}
    sections: set[str] = set()
    for name, field_spec in ((spec or {}).get("fields") or {}).items():
        if isinstance(field_spec, dict) and "fields" in field_spec:
            sections.add(name)
            fields.update(field_spec["fields"] or {})
        else:
            fields[name] = field_spec
    return fields, sections


def test_services_described() -> None:
    """Every service in services.yaml has a name, a description and described fields, and back."""
    strings = _strings().get("services", {})
    problems: list[str] = []
    for service, spec in _services().items():
        fields, sections = _service_fields(spec)
        problems.extend(
            f"services.{service}.{key}"
            for key in ("name", "description")
            if _missing(strings, (service, key))
        )
        problems.extend(
            f"services.{service}.fields.{name}.{key}"
            for name in fields
            for key in ("name", "description")
            if _missing(strings, (service, "fields", name, key))
        )
        problems.extend(
            f"services.{service}.sections.{name}.name"
            for name in sections
            if _missing(strings, (service, "sections", name, "name"))
        )
        problems.extend(
            f"en.json describes field {service}.{name}: not in services.yaml"
            for name in _lookup(strings, (service, "fields")) or {}
            if name not in fields
        )
    problems.extend(
        f"en.json describes service {service}: not in services.yaml"
        for service in strings
        if service not in _services()
    )
    assert not problems, "services.yaml and en.json disagree:\n" + "\n".join(problems)


def _registered_services() -> list[tuple[str, str]]:
    """Return (service, where) for every service the code registers."""
    domain = _manifest()["domain"]
    found: list[tuple[str, str]] = []
    for module, tree in _code().modules.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = _name_of(node.func)
            args = node.args
            name: str | None = None
            if callee == "async_register" and len(args) >= 2 and _resolve(args[0]) == domain:
                name = _resolve(args[1])
            elif callee == "async_register_entity_service" and args:
                name = _resolve(args[0])
            elif callee == "async_register_platform_entity_service" and len(args) >= 3:
                name = _resolve(args[2])
            if name is not None:
                found.append((name, _where(module, node)))
    return found


def test_registered_services_in_services_yaml() -> None:
    """Every service the code registers is declared in services.yaml."""
    missing = [
        f"{name} (registered at {where})"
        for name, where in _registered_services()
        if name not in _services()
    ]
    assert not missing, "services missing in services.yaml:\n" + "\n".join(missing)


def _icon_leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _icon_leaves(value, (*path, str(key)))
    else:
        yield ".".join(path), node


def test_icons() -> None:
    """icons.json has only mdi: icons, for entities and services that exist."""
    icons = _icons()
    problems = [
        f"icons.json {path}: {value!r} is not an mdi: icon"
        for path, value in _icon_leaves(icons)
        if not (isinstance(value, str) and value.startswith("mdi:"))
    ]
    problems.extend(
        f"icons.json entity.{platform}.{key}: no such translation key"
        for platform, entries in (icons.get("entity") or {}).items()
        for key in entries
        if _missing(_strings(), ("entity", platform, key))
    )
    problems.extend(
        f"icons.json services.{service}: no such service in services.yaml"
        for service in icons.get("services") or {}
        if service not in _services()
    )
    assert not problems, "\n".join(problems)
