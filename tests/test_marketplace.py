"""The repository as Home Assistant 2026.11's Marketplace (HACS in core) validates it, offline.

Each rule below is one the Marketplace applies (homeassistant/components/marketplace in the
2026.11.0 wheel: repositories/base.py, repositories/integration.py, utils/validate.py, const.py),
with the message key it raises when broken. What the Marketplace reads from GitHub's tree is read
here from the working tree.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
from awesomeversion.exceptions import AwesomeVersionException
from homeassistant import const as ha_const
import homeassistant.components
import pytest

ROOT = Path(__file__).resolve().parents[1]
HACS_JSON = ROOT / "hacs.json"
# The first Home Assistant release with the Marketplace, which our users run.
MARKETPLACE_RELEASE = AwesomeVersion("2026.11.0")
# What the Marketplace reads from hacs.json, and the type each must have (others are ignored).
HACS_VALUE_TYPES: dict[str, type] = {
    "content_in_root": bool,
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "name": str,
    "persistent_directory": str,
    "zip_release": bool,
}
MANIFEST_VALUE_TYPES: dict[str, Any] = {"codeowners": list, "config_flow": bool, "name": str}
MARKETPLACE_DOMAIN = re.compile(r"^[a-z0-9_-]+$")
# A version that ends up in a download URL or path (the tag of a release).
UNUSABLE_REF = re.compile(r"(^|/)\.|[?#%\\\s]")
LOADABLE_VERSIONS = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024  # for the whole content, file by file
MAX_FILES = 50_000


def _hacs() -> dict[str, Any]:
    data = json.loads(HACS_JSON.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _content_directory() -> Path:
    """custom_components/<first directory>, where the Marketplace looks for the integration."""
    directories = sorted(p for p in (ROOT / "custom_components").iterdir() if p.is_dir())
    directories = [p for p in directories if p.name != "__pycache__"]
    assert directories, "structure_not_compliant: nothing under custom_components/"
    assert len(directories) == 1, f"one integration per repository: {[p.name for p in directories]}"
    return directories[0]


def _manifest() -> dict[str, Any]:
    path = _content_directory() / "manifest.json"
    assert path.is_file(), "integration_manifest_missing: no manifest.json in the integration"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _shipped_files() -> list[Path]:
    """What an install writes: the integration's files (caches are never in the repository)."""
    return [
        path
        for path in _content_directory().rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]


def test_repository_manifest_in_root() -> None:
    """repository_manifest_not_in_root: hacs.json sits at the top of the repository."""
    assert HACS_JSON.is_file()


def test_no_repository_manifest_value_is_ignored() -> None:
    """A hacs.json value of the wrong type is dropped with a warning: none may be."""
    for key, value in _hacs().items():
        expected = HACS_VALUE_TYPES.get(key)
        if expected is not None:
            assert isinstance(value, expected), f"hacs.json {key}: {value!r} is not {expected}"


def test_content_is_the_integration_folder() -> None:
    """The content is custom_components/<domain>, not the repository's root or a ZIP asset."""
    hacs = _hacs()
    assert not hacs.get("content_in_root"), "content_in_root would install the whole repository"
    assert not hacs.get("zip_release"), "zip_release needs a release asset we do not publish"
    assert "persistent_directory" not in hacs
    assert not (ROOT / "repository.json").exists(), "an app repository, not an integration"
    assert _content_directory().name == _manifest()["domain"], "installed_manifest_other_domain"


def test_minimum_home_assistant_is_met_by_the_marketplace() -> None:
    """requires_newer_home_assistant: the minimum is a version, met by 2026.11 and by our tests."""
    minimum = AwesomeVersion(_hacs()["homeassistant"])
    assert minimum.valid
    assert minimum <= MARKETPLACE_RELEASE
    assert minimum <= AwesomeVersion(ha_const.__version__), "the tests run an older Home Assistant"


def test_integration_manifest_is_usable() -> None:
    """Domain, name, code owners and config flow are read from manifest.json with these types."""
    manifest = _manifest()
    assert "domain" in manifest, "integration_manifest_key_missing: domain"
    assert MARKETPLACE_DOMAIN.match(manifest["domain"]), "invalid_domain"
    for key, expected in MANIFEST_VALUE_TYPES.items():
        assert isinstance(manifest.get(key), expected), f"manifest.json {key} would be ignored"
    assert all(isinstance(owner, str) for owner in manifest["codeowners"])


def test_version_is_loadable_and_a_usable_ref() -> None:
    """installed_manifest_without_version: the loader takes the version; as a tag it is usable."""
    version = _manifest().get("version")
    assert isinstance(version, str)
    try:
        AwesomeVersion(version, ensure_strategy=LOADABLE_VERSIONS)
    except AwesomeVersionException as err:
        pytest.fail(f"the loader refuses version {version!r}: {err}")
    assert not UNUSABLE_REF.search(version)


def test_does_not_replace_a_built_in_integration() -> None:
    """replaces_built_in_not_confirmed: a domain Home Assistant has would need a confirmation."""
    built_in = Path(homeassistant.components.__file__).parent / _manifest()["domain"]
    assert not (built_in / "manifest.json").exists()


def test_content_within_download_limits() -> None:
    """content_too_many_files / content_over_limit: at most 50,000 files and 100 MiB in all."""
    files = _shipped_files()
    assert len(files) < MAX_FILES
    assert sum(path.stat().st_size for path in files) < MAX_DOWNLOAD_BYTES
    assert (_content_directory() / "brand" / "icon.png") in files, "the brand images ship too"
