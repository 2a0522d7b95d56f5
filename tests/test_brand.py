"""The brand images Home Assistant 2026.11 serves from custom_components/ev_v2g/brand/.

The rules are those of Home Assistant's brands: only these file names are served
(components/brands ALLOWED_IMAGES), an icon is square at 256 px (512 px for @2x), a logo is
landscape with its shortest side 128-256 px (256-512 px for @2x), PNG with a transparent
background, trimmed to what is drawn. The loader finds the folder by its name
(loader.Integration.has_branding: "brand" among the integration's top-level files).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image
import pytest

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "ev_v2g" / "brand"
SERVED = {
    "icon.png",
    "logo.png",
    "icon@2x.png",
    "logo@2x.png",
    "dark_icon.png",
    "dark_logo.png",
    "dark_icon@2x.png",
    "dark_logo@2x.png",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _open(name: str) -> Image.Image:
    image = Image.open(BRAND / name)
    image.load()
    return image


def test_brand_folder_holds_only_served_images() -> None:
    """Every file is one the brands view serves, and the icon every fallback ends at is there."""
    names = {path.name for path in BRAND.iterdir()}
    assert names <= SERVED, f"not served by Home Assistant: {sorted(names - SERVED)}"
    assert names == SERVED, f"missing: {sorted(SERVED - names)}"
    for name in names:
        assert (BRAND / name).read_bytes()[:8] == PNG_SIGNATURE, f"{name} is not a PNG"


@pytest.mark.parametrize("prefix", ["", "dark_"])
@pytest.mark.parametrize(("suffix", "side"), [("", 256), ("@2x", 512)])
def test_icons_are_square(prefix: str, suffix: str, side: int) -> None:
    """icon.png is 256 x 256, icon@2x.png 512 x 512."""
    assert _open(f"{prefix}icon{suffix}.png").size == (side, side)


@pytest.mark.parametrize("prefix", ["", "dark_"])
@pytest.mark.parametrize(("suffix", "low", "high"), [("", 128, 256), ("@2x", 256, 512)])
def test_logos_are_landscape(prefix: str, suffix: str, low: int, high: int) -> None:
    """A logo is wider than high, its shortest side within the brands' bounds."""
    width, height = _open(f"{prefix}logo{suffix}.png").size
    assert width > height
    assert low <= height <= high


@pytest.mark.parametrize("prefix", ["", "dark_"])
@pytest.mark.parametrize("kind", ["icon", "logo"])
def test_double_size_is_twice_the_size(prefix: str, kind: str) -> None:
    """The @2x image is the same picture at twice the size (within a pixel of rounding)."""
    single = _open(f"{prefix}{kind}.png")
    double = _open(f"{prefix}{kind}@2x.png")
    assert abs(double.width - 2 * single.width) <= 1
    assert abs(double.height - 2 * single.height) <= 1
    small = double.convert("RGBA").resize(single.size, Image.Resampling.LANCZOS)
    alpha_a, alpha_b = small.getchannel("A"), single.convert("RGBA").getchannel("A")
    differing = sum(
        1 for a, b in zip(alpha_a.getdata(), alpha_b.getdata(), strict=True) if abs(a - b) > 96
    )
    assert differing < 0.02 * single.width * single.height


@pytest.mark.parametrize("name", sorted(SERVED))
def test_transparent_and_trimmed(name: str) -> None:
    """A transparent background (corners see through), drawn to every edge (no empty margin)."""
    image = _open(name)
    assert image.mode == "RGBA", f"{name} has no alpha channel"
    alpha = image.getchannel("A")
    width, height = image.size
    corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
    assert all(alpha.getpixel(corner) == 0 for corner in corners), f"{name} has a background"
    assert alpha.getbbox() == (0, 0, width, height), f"{name} is not trimmed"
    opaque = sum(1 for value in alpha.getdata() if value == 255)
    assert opaque > 0.25 * width * height, f"{name} is mostly empty"


@pytest.mark.parametrize("kind", ["icon", "logo", "icon@2x", "logo@2x"])
def test_dark_variant_is_its_own(kind: str) -> None:
    """The dark variant is drawn for dark themes, not a copy of the light one."""
    light = _open(f"{kind}.png").convert("RGBA")
    dark = _open(f"dark_{kind}.png").convert("RGBA")
    assert light.size == dark.size
    assert light.tobytes() != dark.tobytes()
