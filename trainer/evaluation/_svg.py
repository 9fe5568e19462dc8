"""Inline SVG charts for the HTML report: grouped horizontal bars with interval whiskers, a forest plot
of deltas, and grouped histograms. Pure functions returning SVG text; every label is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family=\"-apple-system,Segoe UI,Helvetica,Arial,sans-serif\""
LABEL_W = 190
LABEL_CHARS = 27
"""Characters of a row label that fit in `LABEL_W` at 12 px (longer ones end in an ellipsis)."""
CHAR_W = 6.5
"""Average width of an 11 px character, for laying out legends."""
ROW_H = 26
AXIS_H = 28


@dataclass(frozen=True)
class Bar:
    """One value with its interval (low/high may equal value when there is none)."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    bars: Sequence[Bar | None]
    """One per group; None = not applicable."""


def _clip(text: str, chars: int) -> str:
    """`text` cut to `chars` characters with an ellipsis, escaped."""
    return escape(text if len(text) <= chars else text[:max(1, chars - 1)] + "\u2026")


def _group_label(name: str, x: float, y: float) -> str:
    """A row label right-aligned at `x`: cut to fit the label column, the full name in a tooltip."""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="12" fill="#111827" text-anchor="end" '
            f'dominant-baseline="middle"><title>{escape(name)}</title>{_clip(name, LABEL_CHARS)}</text>')


def _x(value: float, lo: float, hi: float, left: float, width: float) -> float:
    return left + (min(max(value, lo), hi) - lo) / (hi - lo) * width


def _ticks(lo: float, hi: float, left: float, width: float, top: float, bottom: float, fmt: str) -> list[str]:
    steps = 4
    out = []
    for k in range(steps + 1):
        v = lo + (hi - lo) * k / steps
        x = _x(v, lo, hi, left, width)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 14}" font-size="11" fill="#6b7280" text-anchor="middle">'
                   f'{fmt.format(v)}</text>')
    return out


def _legend(series: Sequence[Series], x: float, y: float, width: float) -> list[str]:
    """One swatch and name per series on one line; names are cut so the line fits in `width`."""
    out = []
    room = int((width - x) / max(1, len(series)) / CHAR_W) - 4
    for s in series:
        shown = _clip(s.name, room)
        out.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" rx="2" fill="{s.color}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{y}" font-size="11" fill="#374151"><title>{escape(s.name)}</title>'
                   f"{shown}</text>")
        x += 22 + CHAR_W * min(len(s.name), room)
    return out


def bar_chart(groups: Sequence[str], series: Sequence[Series], *, lo: float, hi: float, fmt: str = "{:.1f}",
              width: int = 640, title: str = "") -> str:
    """Horizontal bars per group (one per series), with whiskers for the intervals."""
    plot_w = width - LABEL_W - 60
    band = ROW_H * max(1, len(series)) + 8
    top = (24 if title else 4) + (20 if len(series) > 1 else 0)
    height = top + band * len(groups) + AXIS_H
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" '
             f'viewBox="0 0 {width} {height}" {FONT} role="img" aria-label="{escape(title)}">']
    if title:
        parts.append(f'<text x="0" y="14" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>')
    if len(series) > 1:
        parts.extend(_legend(series, 0, top - 8, width))
    parts.extend(_ticks(lo, hi, LABEL_W, plot_w, top, top + band * len(groups), fmt))
    for g, group in enumerate(groups):
        y0 = top + g * band + 4
        parts.append(_group_label(group, LABEL_W - 8, y0 + band / 2))
        for s_i, s in enumerate(series):
            bar = s.bars[g] if g < len(s.bars) else None
            y = y0 + s_i * ROW_H
            if bar is None:
                parts.append(f'<text x="{LABEL_W + 4}" y="{y + ROW_H / 2:.1f}" font-size="11" fill="#9ca3af" '
                             'dominant-baseline="middle">n/a</text>')
                continue
            x1 = _x(bar.value, lo, hi, LABEL_W, plot_w)
            parts.append(f'<rect x="{LABEL_W}" y="{y + 4}" width="{max(x1 - LABEL_W, 1):.1f}" height="{ROW_H - 8}" '
                         f'rx="3" fill="{s.color}" opacity="0.85"><title>{escape(s.name)}: '
                         f'{fmt.format(bar.value)} [{fmt.format(bar.low)}, {fmt.format(bar.high)}]</title></rect>')
            xl, xh = _x(bar.low, lo, hi, LABEL_W, plot_w), _x(bar.high, lo, hi, LABEL_W, plot_w)
            mid = y + ROW_H / 2
            parts.append(f'<path d="M{xl:.1f} {mid:.1f}H{xh:.1f}M{xl:.1f} {mid - 5:.1f}V{mid + 5:.1f}'
                         f'M{xh:.1f} {mid - 5:.1f}V{mid + 5:.1f}" stroke="#111827" stroke-width="1.2" fill="none"/>')
            parts.append(f'<text x="{max(x1, xh) + 6:.1f}" y="{mid:.1f}" font-size="11" fill="#374151" '
                         f'dominant-baseline="middle">{fmt.format(bar.value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def forest_plot(groups: Sequence[str], deltas: Sequence[Bar | None], *, span: float, fmt: str = "{:+.2f}",
                width: int = 640, title: str = "") -> str:
    """A point with its interval per group on a symmetric axis around zero; green right of zero, red left."""
    plot_w = width - LABEL_W - 60
    top = 30 if title else 8
    height = top + ROW_H * len(groups) + AXIS_H
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" '
             f'viewBox="0 0 {width} {height}" {FONT} role="img" aria-label="{escape(title)}">']
    if title:
        parts.append(f'<text x="0" y="14" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>')
    bottom = top + ROW_H * len(groups)
    parts.extend(_ticks(-span, span, LABEL_W, plot_w, top, bottom, fmt))
    zero = _x(0.0, -span, span, LABEL_W, plot_w)
    parts.append(f'<line x1="{zero:.1f}" y1="{top}" x2="{zero:.1f}" y2="{bottom}" stroke="#6b7280" '
                 'stroke-width="1.5"/>')
    for g, (group, d) in enumerate(zip(groups, deltas, strict=True)):
        mid = top + g * ROW_H + ROW_H / 2
        parts.append(_group_label(group, LABEL_W - 14, mid))  # clear of a point drawn on the axis's left end
        if d is None:
            parts.append(f'<text x="{LABEL_W + 4}" y="{mid:.1f}" font-size="11" fill="#9ca3af" '
                         'dominant-baseline="middle">n/a</text>')
            continue
        color = "#15803d" if d.low > 0 else "#b91c1c" if d.high < 0 else "#6b7280"
        xl, xh = _x(d.low, -span, span, LABEL_W, plot_w), _x(d.high, -span, span, LABEL_W, plot_w)
        x = _x(d.value, -span, span, LABEL_W, plot_w)
        parts.append(f'<line x1="{xl:.1f}" y1="{mid:.1f}" x2="{xh:.1f}" y2="{mid:.1f}" stroke="{color}" '
                     'stroke-width="2"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{mid:.1f}" r="5" fill="{color}"><title>{escape(group)}: '
                     f'{fmt.format(d.value)} [{fmt.format(d.low)}, {fmt.format(d.high)}]</title></circle>')
        parts.append(f'<text x="{max(xh, x) + 8:.1f}" y="{mid:.1f}" font-size="11" fill="#374151" '
                     f'dominant-baseline="middle">{fmt.format(d.value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice_peak(share: float) -> float:
    """The top of a share axis: the next multiple of 20% (of 4% below 20%), so its 4 steps are round."""
    step = 0.04 if share <= 0.2 else 0.2
    return max(step, math.ceil(share / step - 1e-9) * step)  # 1e-9: 0.2 / 0.04 is 5.000000000000001


def histogram(bins: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]], *, width: int = 640,
              height: int = 220, title: str = "") -> str:
    """Grouped vertical bars: for each bin, one bar per series (name, color, counts), as shares of the series."""
    top, bottom, left = (24 if title else 4) + (20 if len(series) > 1 else 0) + 6, height - 26, 40
    plot_w, plot_h = width - left - 10, bottom - top
    shares = [[c / max(1, sum(counts)) for c in counts] for _, _, counts in series]
    peak = _nice_peak(max((v for s in shares for v in s), default=0.0))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" '
             f'viewBox="0 0 {width} {height}" {FONT} role="img" aria-label="{escape(title)}">']
    if title:
        parts.append(f'<text x="0" y="14" font-size="13" font-weight="600" fill="#111827">{escape(title)}</text>')
    if len(series) > 1:
        parts.extend(_legend([Series(n, c, ()) for n, c, _ in series], left, top - 14, width))
    for k in range(5):
        y = bottom - plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" fill="#6b7280" text-anchor="end">'
                     f'{100 * peak * k / 4:.0f}%</text>')
    slot = plot_w / max(1, len(bins))
    bar_w = (slot - 10) / max(1, len(series))
    for b, label in enumerate(bins):
        x0 = left + b * slot + 5
        for s_i, (name, color, counts) in enumerate(series):
            h = plot_h * shares[s_i][b] / peak
            parts.append(f'<rect x="{x0 + s_i * bar_w:.1f}" y="{bottom - h:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{h:.1f}" rx="2" fill="{color}" opacity="0.85"><title>{escape(name)}, '
                         f'{escape(label)}: {counts[b]} ({100 * shares[s_i][b]:.0f}%)</title></rect>')
        parts.append(f'<text x="{x0 + (slot - 10) / 2:.1f}" y="{bottom + 16}" font-size="11" fill="#374151" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
