"""Home Assistant releases to compare: the newest wheel on PyPI (cached), and the installed one."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from importlib import metadata
import json
from pathlib import Path
import re
import urllib.parse
import urllib.request
import zipfile

import homeassistant
from homeassistant import const as ha_const

from .index import Release, module_name

CACHE = Path.home() / ".cache" / "ev_v2g" / "ha-latest"
PYPI = "https://pypi.org/pypi/{name}/json"


class _Sources(Mapping[str, str]):
    """Module name -> source, read only when asked for."""

    def __init__(self, files: dict[str, str], read: object) -> None:
        self._files = files
        self._read = read

    def __getitem__(self, name: str) -> str:
        return self._read(self._files[name])  # type: ignore[operator, no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


def _lines(text: str) -> list[str]:
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line[:1].isalnum()]


def _download(name: str, version: str | None = None) -> Path:
    """The py3-none-any wheel of `name` (its newest release unless `version`), from the cache."""
    index = PYPI.format(name=name)
    with urllib.request.urlopen(index, timeout=30) as response:  # noqa: S310 - PyPI's JSON API
        info = json.load(response)
    version = version or info["info"]["version"]
    files = info["releases"].get(version, [])
    wheels = [f for f in files if f["filename"].endswith("-py3-none-any.whl")]
    if not wheels:
        raise RuntimeError(f"PyPI has no pure-Python wheel of {name} {version}")
    target = CACHE / wheels[0]["filename"]
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print(f"downloading {wheels[0]['filename']} ({wheels[0]['size'] / 1e6:.0f} MB)")
        partial = target.with_suffix(".part")
        url = urllib.parse.urljoin(index, wheels[0]["url"])  # a mirror may give it relative
        urllib.request.urlretrieve(url, partial)  # noqa: S310 - PyPI's files
        partial.rename(target)
    return target


def newest_wheel() -> Path:
    """The newest Home Assistant wheel on PyPI (downloaded once)."""
    return _download("homeassistant")


def from_wheel(path: Path) -> Release:
    """A release read from its wheel."""
    archive = zipfile.ZipFile(path)
    members = archive.namelist()
    files = {name: member for member in members if (name := module_name(member))}
    metadata_file = next(m for m in members if m.endswith(".dist-info/METADATA"))
    metadata = archive.read(metadata_file).decode()
    version = re.search(r"^Version: (\S+)", metadata, re.M)
    requires = re.findall(r"^Requires-Dist: ([^;\n]+)$", metadata, re.M)
    init = archive.read("homeassistant/__init__.py").decode()
    return Release(
        version=version[1] if version else path.name,
        sources=_Sources(files, lambda member: archive.read(member).decode()),
        requirements=[r.strip() for r in requires],
        constraints=_lines(archive.read("homeassistant/package_constraints.txt").decode()),
        aliases_voluptuous="install_as_voluptuous" in init,
    )


def installed() -> Release:
    """The Home Assistant of this venv (the release the tests pin)."""
    root = Path(homeassistant.__file__).parent.parent
    files = {
        name: str(path)
        for path in (root / "homeassistant").rglob("*.py")
        if (name := module_name(path.relative_to(root).as_posix()))
    }
    constraints = root / "homeassistant" / "package_constraints.txt"
    return Release(
        version=ha_const.__version__,
        sources=_Sources(files, lambda file: Path(file).read_text(encoding="utf-8")),
        requirements=[r.split(";")[0].strip() for r in metadata.requires("homeassistant") or []],
        constraints=_lines(constraints.read_text(encoding="utf-8")),
        aliases_voluptuous="install_as_voluptuous"
        in (root / "homeassistant" / "__init__.py").read_text(),
    )


def voluptuous_surface(release: Release) -> set[str] | None:
    """The voluptuous names the release's probatio alias provides, or None when it has none."""
    if not release.aliases_voluptuous:
        return None
    pins = [r for r in release.requirements if r.replace(" ", "").startswith("probatio==")]
    if not pins:
        return None
    archive = zipfile.ZipFile(_download("probatio", pins[0].split("==", 1)[1]))
    tree = ast.parse(archive.read("probatio/_vol_shim/_surface.py").decode())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            names.update(
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            )
    return names
