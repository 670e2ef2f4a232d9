"""Server-rendered inline SVG charts: a line chart for series and a bar chart for histograms.

The pages work without JavaScript, so charts are plain SVG built here from numbers the
selectors return. Every label goes through Django's escaping; the SVG scales with its
container (viewBox + width 100%) and takes its colours from the theme's CSS variables.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 64
PAD_RIGHT = 12
PAD_TOP = 14
PAD_BOTTOM = 30


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a series: the x label (a date or height) and its value."""

    label: str
    value: float


def _plain(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _scale(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    low = min(low, 0.0)
    if high == low:
        high = low + 1.0
    return low, high


def _empty(title: str) -> SafeString:
    return format_html(
        '<figure class="chart chart-empty"><figcaption>{}</figcaption><p>No data yet.</p></figure>',
        title,
    )


def line_chart(
    title: str,
    points: Sequence[Point],
    *,
    fmt: Callable[[float], str] = _plain,
    axis_fmt: Callable[[float], str] | None = None,
    chart_id: str = "",
) -> SafeString:
    """A line chart of `points` in order, with min/max axis labels (`axis_fmt`, default
    `fmt`) and a tooltip per point."""
    tick = axis_fmt or fmt
    if not points:
        return _empty(title)
    low, high = _scale([p.value for p in points])
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        x = PAD_LEFT + (i * step if len(points) > 1 else plot_w / 2)
        y = PAD_TOP + plot_h - (value - low) / (high - low) * plot_h
        return round(x, 1), round(y, 1)

    coords = [xy(i, p.value) for i, p in enumerate(points)]
    line = " ".join(f"{x},{y}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="3"><title>{escape(p.label)}: {escape(fmt(p.value))}'
        "</title></circle>"
        for (x, y), p in zip(coords, points, strict=True)
    )
    base_y = PAD_TOP + plot_h
    axes = (
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{base_y}"/>'
        f'<line class="axis" x1="{PAD_LEFT}" y1="{base_y}" x2="{WIDTH - PAD_RIGHT}" '
        f'y2="{base_y}"/>'
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end">'
        f"{escape(tick(high))}</text>"
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{base_y}" text-anchor="end">'
        f"{escape(tick(low))}</text>"
        f'<text class="tick" x="{PAD_LEFT}" y="{HEIGHT - 8}">{escape(points[0].label)}</text>'
        f'<text class="tick" x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 8}" text-anchor="end">'
        f"{escape(points[-1].label)}</text>"
    )
    id_attr = f' id="{escape(chart_id)}"' if chart_id else ""
    svg = (
        f'<figure class="chart"{id_attr}><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f"{axes}"
        f'<polyline class="series" fill="none" points="{line}"/>{dots}</svg>'
        f'<p class="chart-last">Latest: {escape(points[-1].label)} = '
        f"{escape(fmt(points[-1].value))}</p></figure>"
    )
    return mark_safe(svg)  # noqa: S308 - every interpolated text above is escaped


def bar_chart(
    title: str,
    bars: Sequence[Point],
    *,
    fmt: Callable[[float], str] = _plain,
    chart_id: str = "",
) -> SafeString:
    """A bar chart (e.g. the mempool fee histogram: label = fee-rate bucket, value = bytes)."""
    if not bars or all(b.value == 0 for b in bars):
        return _empty(title)
    high = max(b.value for b in bars) or 1.0
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / len(bars)
    width = max(slot * 0.8, 1.0)
    parts = []
    base_y = PAD_TOP + plot_h
    for i, bar in enumerate(bars):
        h = bar.value / high * plot_h
        x = PAD_LEFT + i * slot + (slot - width) / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{base_y - h:.1f}" width="{width:.1f}" '
            f'height="{h:.1f}"><title>{escape(bar.label)}: {escape(fmt(bar.value))}</title></rect>'
            f'<text class="tick" x="{x + width / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{escape(bar.label)}</text>"
        )
    id_attr = f' id="{escape(chart_id)}"' if chart_id else ""
    svg = (
        f'<figure class="chart"{id_attr}><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<line class="axis" x1="{PAD_LEFT}" y1="{base_y}" x2="{WIDTH - PAD_RIGHT}" '
        f'y2="{base_y}"/>'
        f'<text class="tick" x="{PAD_LEFT - 6}" y="{PAD_TOP + 4}" text-anchor="end">'
        f"{escape(fmt(high))}</text>{''.join(parts)}</svg></figure>"
    )
    return mark_safe(svg)  # noqa: S308 - every interpolated text above is escaped
