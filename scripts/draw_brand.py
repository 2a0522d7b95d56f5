"""Draw the integration's brand images into custom_components/ev_v2g/brand/ (run after a change).

The mark: a round badge with a lightning bolt and two arrows circling it, energy flowing both
ways between the car and the grid. The logo puts the wordmark "EV V2G" beside it, drawn with
strokes (no font file). Everything is drawn four times larger and scaled down for smooth edges.
    .venv/bin/python scripts/draw_brand.py
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "ev_v2g" / "brand"
SUPERSAMPLE = 4
Point = tuple[float, float]
RGBA = tuple[int, int, int, int]


@dataclass(frozen=True, kw_only=True)
class Palette:
    """Colours of one variant (the dark one is for dark themes)."""

    badge: RGBA
    rim: RGBA
    mark: RGBA
    text: RGBA


LIGHT = Palette(
    badge=(13, 148, 136, 255), rim=(15, 118, 110, 255), mark=(255, 255, 255, 255),
    text=(31, 41, 55, 255),
)  # fmt: skip
DARK = Palette(
    badge=(45, 212, 191, 255), rim=(20, 184, 166, 255), mark=(17, 24, 39, 255),
    text=(243, 244, 246, 255),
)  # fmt: skip

# The bolt, on a unit square centred at (0.5, 0.5).
BOLT: tuple[Point, ...] = (
    (0.56, 0.16), (0.30, 0.55), (0.48, 0.55), (0.42, 0.84), (0.70, 0.43), (0.52, 0.43),
    (0.60, 0.16),
)  # fmt: skip

# The wordmark's glyphs: strokes on a box one unit high and `width` wide, y pointing down.
# A stroke is a polyline, or ("arc", cx, cy, r, start, end) in degrees (clockwise, as PIL).
Stroke = tuple[Point, ...] | tuple[str, float, float, float, float, float]
GLYPHS: dict[str, tuple[float, tuple[Stroke, ...]]] = {
    "E": (0.62, (((0.62, 0.0), (0.0, 0.0), (0.0, 1.0), (0.62, 1.0)), ((0.0, 0.5), (0.5, 0.5)))),
    "V": (0.78, (((0.0, 0.0), (0.39, 1.0), (0.78, 0.0)),)),
    "2": (
        0.74,
        (
            ("arc", 0.33, 0.31, 0.31, 180.0, 20.0),
            ((0.62, 0.42), (0.0, 1.0), (0.66, 1.0)),
        ),
    ),
    "G": (1.0, (("arc", 0.5, 0.5, 0.5, 10.0, 318.0), ((0.56, 0.57), (0.99, 0.57)))),
    " ": (0.34, ()),
}


def _scaled(points: tuple[Point, ...], size: float, x: float = 0, y: float = 0) -> list[Point]:
    return [(x + px * size, y + py * size) for px, py in points]


def _dot(draw: ImageDraw.ImageDraw, centre: Point, radius: float, fill: RGBA) -> None:
    draw.ellipse(
        (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), fill=fill
    )


def _round_line(draw: ImageDraw.ImageDraw, points: list[Point], width: float, fill: RGBA) -> None:
    """A polyline with round joints and caps."""
    draw.line(points, fill=fill, width=round(width), joint="curve")
    for point in points:
        _dot(draw, point, width / 2, fill)


def _arrow_arc(
    draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], span: tuple[float, float],
    *, width: float, fill: RGBA,
) -> None:  # fmt: skip
    """An arc over `span` (start, end in degrees, clockwise) with an arrowhead at its end."""
    start, end = span
    left, top, right, bottom = box
    cx, cy, r = (left + right) / 2, (top + bottom) / 2, (right - left) / 2
    draw.arc(box, start, end, fill=fill, width=round(width))
    mid = r - width / 2  # PIL draws an arc's width inwards from its box
    tail = math.radians(start)
    _dot(draw, (cx + mid * math.cos(tail), cy + mid * math.sin(tail)), width / 2, fill)
    tip_angle = math.radians(end)
    tip = (cx + mid * math.cos(tip_angle), cy + mid * math.sin(tip_angle))
    tangent = (-math.sin(tip_angle), math.cos(tip_angle))  # clockwise direction of travel
    normal = (math.cos(tip_angle), math.sin(tip_angle))
    head = width * 1.9
    point = (tip[0] + tangent[0] * head, tip[1] + tangent[1] * head)
    outer = (tip[0] + normal[0] * head * 0.95, tip[1] + normal[1] * head * 0.95)
    inner = (tip[0] - normal[0] * head * 0.95, tip[1] - normal[1] * head * 0.95)
    draw.polygon([outer, point, inner], fill=fill)


def mark(size: int, palette: Palette) -> Image.Image:
    """The square mark, `size` pixels a side, on a transparent background."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, big - 1, big - 1), fill=palette.rim)
    inset = big * 0.035
    draw.ellipse((inset, inset, big - 1 - inset, big - 1 - inset), fill=palette.badge)
    ring = big * 0.2
    box = (ring, ring, big - ring, big - ring)
    width = big * 0.05
    _arrow_arc(draw, box, (200.0, 320.0), width=width, fill=palette.mark)
    _arrow_arc(draw, box, (20.0, 140.0), width=width, fill=palette.mark)
    bolt = _scaled(BOLT, big * 0.56, big * 0.22, big * 0.22)
    draw.polygon(bolt, fill=palette.mark)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def _glyph_width(text: str) -> float:
    return sum(GLYPHS[char][0] for char in text) + 0.22 * (len(text) - 1)


def wordmark(height: int, text: str, palette: Palette) -> Image.Image:
    """The text in strokes, `height` pixels high (its caps), trimmed to what is drawn."""
    big = height * SUPERSAMPLE
    stroke = big * 0.15
    pad = stroke
    width = round(_glyph_width(text) * big + 2 * pad)
    image = Image.new("RGBA", (width, round(big + 2 * pad)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    x = pad
    for char in text:
        advance, strokes = GLYPHS[char]
        for part in strokes:
            if isinstance(part[0], str):
                _, cx, cy, r, start, end = part
                centre = (x + cx * big, pad + cy * big)  # type: ignore[operator]
                outer = r * big + stroke / 2  # type: ignore[operator]
                box = (centre[0] - outer, centre[1] - outer, centre[0] + outer, centre[1] + outer)
                draw.arc(box, start, end, fill=palette.text, width=round(stroke))  # type: ignore[arg-type]
                for angle in (math.radians(start), math.radians(end)):  # type: ignore[arg-type]
                    end_point = (
                        centre[0] + r * big * math.cos(angle),  # type: ignore[operator]
                        centre[1] + r * big * math.sin(angle),  # type: ignore[operator]
                    )
                    _dot(draw, end_point, stroke / 2, palette.text)
            else:
                _round_line(draw, _scaled(part, big, x, pad), stroke, palette.text)  # type: ignore[arg-type]
        x += (advance + 0.22) * big
    image = image.crop(image.getbbox())
    scale = height / (big + stroke)
    return image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
        Image.Resampling.LANCZOS,
    )


def logo(height: int, palette: Palette) -> Image.Image:
    """The mark with the wordmark to its right, `height` pixels high, trimmed."""
    badge = mark(height, palette)
    text = wordmark(round(height * 0.46), "EV V2G", palette)
    gap = round(height * 0.16)
    image = Image.new("RGBA", (height + gap + text.width, height), (0, 0, 0, 0))
    image.alpha_composite(badge, (0, 0))
    image.alpha_composite(text, (height + gap, (height - text.height) // 2))
    return image


def main() -> None:
    """Write the eight images Home Assistant's brands view serves."""
    BRAND.mkdir(parents=True, exist_ok=True)
    for prefix, palette in (("", LIGHT), ("dark_", DARK)):
        mark(256, palette).save(BRAND / f"{prefix}icon.png", optimize=True)
        mark(512, palette).save(BRAND / f"{prefix}icon@2x.png", optimize=True)
        logo(128, palette).save(BRAND / f"{prefix}logo.png", optimize=True)
        logo(256, palette).save(BRAND / f"{prefix}logo@2x.png", optimize=True)
    print(f"brand images written to {BRAND.relative_to(BRAND.parents[2])}")


if __name__ == "__main__":
    main()
