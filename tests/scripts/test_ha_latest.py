"""scripts/ha_latest finds what a newer release removed or deprecated, on made-up releases.

Each release here is a few lines of Home Assistant-like source; the code under test reads them as
it reads a real wheel. The last test reads the real 2026.2.3 this venv has.
"""

from __future__ import annotations

from pathlib import Path
import textwrap

import pytest

from scripts.ha_latest.index import Release, parse
from scripts.ha_latest.selectors import check_selectors
from scripts.ha_latest.usage import check_code
from scripts.ha_latest.wheel import installed

TESTED = {
    "homeassistant": "",
    "homeassistant.const": 'CONF_MODE = "mode"\nOLD = 1\nKEPT = 2\n',
    "homeassistant.helpers": "",
    "homeassistant.helpers.service": """
        def extract(hass, call, expand=True): ...
        def register(hass, name, *, schema=None, legacy=None): ...
    """,
    "homeassistant.helpers.registry": """
        class Registry:
            def get_or_create(self, *, name=None, via=None): ...
            def update(self, device_id, *, remove=None, name=None): ...
    """,
}
LATEST = {
    "homeassistant": "",
    "homeassistant.const": """
        from typing import Final
        CONF_MODE: Final = "mode"
        KEPT = 2
        _DEPRECATED_SOON = DeprecatedConstant(3, "KEPT", "2027.1")
    """,
    "homeassistant.helpers": "",
    "homeassistant.helpers.service": """
        def extract(call, expand=True):
            try:
                pass
            except ValueError, TypeError:  # Python 3.14 syntax
                pass
        def register(hass, name, *, schema=None): ...
    """,
    "homeassistant.helpers.registry": """
        _DEPRECATED_PARAMETERS = {"via": ("2027.8.0", "via_id")}
        class Registry:
            def get_or_create(self, *, name=None, via=None, via_id=None): ...
            def update(self, device_id, *, remove=None, name=None):
                if remove is not None:
                    report_usage("passes `remove`", breaks_in_ha_version="2027.8.0")
    """,
    "homeassistant.helpers.selector": """
        def make_selector_config_schema(schema_dict=None):
            return Schema({Optional("read_only"): bool, **schema_dict})
        DEVICE_FILTER = Schema({Optional("integration"): str, Optional("model"): str})
        ENTITY_FILTER_SCHEMA = Schema({Optional("integration"): str, Optional("domain"): str})
        DEVICE_FILTER_SCHEMA = DEVICE_FILTER
        @SELECTORS.register("number")
        class NumberSelector:
            CONFIG_SCHEMA = make_selector_config_schema({Optional("min"): float, Optional(CONF_MODE): str})
        @SELECTORS.register("target")
        class TargetSelector:
            CONFIG_SCHEMA = make_selector_config_schema(
                {Optional("entity"): All(EnsureList(), [ENTITY_FILTER_SCHEMA])}
            )
    """,
}


def _release(version: str, sources: dict[str, str]) -> Release:
    return Release(
        version=version,
        sources={name: textwrap.dedent(text) for name, text in sources.items()},
        requirements=[],
        constraints=[],
        aliases_voluptuous=False,
    )


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """An empty integration folder to write code under test into."""
    folder = tmp_path / "custom_components" / "ev_v2g"
    folder.mkdir(parents=True)
    return folder


def _findings(package: Path, code: str) -> list[str]:
    (package / "module.py").write_text(textwrap.dedent(code), encoding="utf-8")
    root = package.parents[1]
    found = check_code(package, root, _release("9.0", LATEST), _release("1.0", TESTED))
    return [f"{f.where.rsplit(':', 1)[1]}: {f.what}" for f in found]


def test_the_latest_source_parses_on_this_python() -> None:
    """`except A, B:` (3.14) is read as `except (A, B):`."""
    tree = parse("try:\n    pass\nexcept ValueError, TypeError:\n    pass\n")
    assert tree.body


def test_gone_and_deprecated_names(package: Path) -> None:
    """A name the release dropped, and one it deprecates, are named; one it kept is not."""
    found = _findings(
        package,
        """
        from homeassistant.const import OLD, KEPT, SOON
        from homeassistant import const
        x = const.OLD + KEPT
        """,
    )
    assert found == [
        "2: homeassistant.const.OLD: no longer defined",
        "2: homeassistant.const.SOON: deprecated (removal in 2027.1)",
        "4: homeassistant.const.OLD: no longer defined",
    ]


def test_parameters_keywords_and_reports(package: Path) -> None:
    """The lost hass, a gone keyword, a deprecated keyword, a report that applies."""
    found = _findings(
        package,
        """
        from homeassistant.helpers.service import extract, register
        from homeassistant.helpers import registry as rg
        extract(hass, call)
        register(hass, "x", legacy=True)
        register(hass, "x", schema=None)
        reg.get_or_create(name="a", via=("d", "x"))
        reg.update("id", name="b")
        reg.update("id", remove="entry")
        """,
    )
    assert found == [
        (
            "4: homeassistant.helpers.service.extract: positional parameters changed"
            " from (hass, call, expand) to (call, expand)"
        ),
        "5: homeassistant.helpers.service.register(legacy=...): the keyword is gone",
        "7: .get_or_create(via=...): deprecated (removal in 2027.8.0, use via_id)",
        "9: Registry.update: reports 'passes `remove` (breaks in 2027.8.0)'",
    ]


def test_selectors(tmp_path: Path) -> None:
    """A key the release's selector rejects, nested ones included, and a gone selector type."""
    services = tmp_path / "services.yaml"
    services.write_text(
        textwrap.dedent(
            """
            act:
              target:
                entity:
                  - integration: x
                    device:
                      model: y
              fields:
                level:
                  selector:
                    number:
                      min: 0
                      mode: box
                      unit: kW
                when:
                  selector:
                    time:
            """
        ),
        encoding="utf-8",
    )
    found = check_selectors([services], tmp_path, _release("9.0", LATEST))
    assert [f.what for f in found] == [
        "target.entity: key 'device' is not taken (the release rejects it)",
        "number: key 'unit' is not taken (the release rejects it)",
        "selector 'time' is gone",
    ]


def test_our_code_against_the_release_it_is_tested_with() -> None:
    """Against itself, the Home Assistant of the tests finds nothing removed in our code."""
    release = installed()
    root = Path(__file__).resolve().parents[2]
    found = check_code(root / "custom_components" / "ev_v2g", root, release, release)
    assert [f for f in found if "no longer" in f.what or "gone" in f.what] == []
