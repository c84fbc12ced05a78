"""Inline SVG charts for the HTML report, as small pure functions of their values.

Why hand-written SVG and not a charting library: the report must open with no network (no CDN
script or font) and stay one small file that any browser, mail client or file share renders.
Drawing a handful of bar shapes in Python is a few lines per chart, needs no JavaScript, and is
easy to test: every bar carries its value in ``data-value`` and its length is proportional to it.

Every text value that reaches the markup goes through :func:`markupsafe.escape` (the same
escaper as the pages' Jinja2 autoescape, quotes included), and every chart is returned as
:class:`markupsafe.Markup`, so a template inserts it as it is. Each chart is well-formed XML
(``<svg xmlns=...>``), with a ``<title>`` for screen readers and a ``<title>`` tooltip per shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
    "#000000",
)
MARKER_COLOUR = "#D55E00"
AXIS_COLOUR = "#6b6b6b"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
CHAR_WIDTH = 6.6  # rough width of one character at font-size 12, to size the label column
MAX_LABEL_CHARS = 30

Formatter = Callable[[float], str]


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def _plain(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _short(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _label_width(labels: Sequence[str]) -> float:
    longest = max((len(_short(str(label))) for label in labels), default=0)
    return min(20 + longest * CHAR_WIDTH, 20 + MAX_LABEL_CHARS * CHAR_WIDTH)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _svg(width: float, height: float, title: str, body: list[str], kind: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" style="{FONT}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


LEGEND_ROW = 18.0


def _legend(names: Sequence[str], left: float, right: float) -> tuple[list[str], float]:
    """One swatch and name per series, in rows from ``left`` that wrap before ``right``;
    returns the markup and the height it takes (including a gap below it)."""
    parts: list[str] = []
    x, y = left, 14.0
    for i, name in enumerate(names):
        item_w = 30 + len(name) * CHAR_WIDTH
        if x > left and x + item_w > right:
            x, y = left, y + LEGEND_ROW
        parts.append(
            f'<g class="legend-item"><rect x="{_num(x)}" y="{_num(y - 9)}" width="10" '
            f'height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{_num(x + 14)}" y="{_num(y)}" font-size="12">{escape(name)}</text></g>'
        )
        x += item_w
    return parts, (y + 10 if names else 0.0)


@dataclass(frozen=True)
class Series:
    """One named row of values, aligned with a chart's categories (None = no value)."""

    name: str
    values: Sequence[float | None]


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    value_format: Formatter = _plain,
    width: float = 720,
    bar_height: float = 14,
) -> Markup:
    """Horizontal bars, one group per category and one bar per series (e.g. two attribution
    models side by side). Bar length is proportional to the value from a zero baseline;
    negative values extend left of it. Missing or infinite values draw no bar and read "n/a"."""
    if not series:
        raise ValueError("bar_chart needs at least one series")
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(
                f"bar_chart: series {s.name!r} has {len(s.values)} values "
                f"for {len(categories)} categories"
            )
    values = [v for s in series for v in s.values if _finite(v)]
    low, high = min([0.0, *values]), max([0.0, *values])
    span = (high - low) or 1.0
    left = _label_width(categories)
    right = 90.0  # room for the value text after the longest bar
    plot = max(width - left - right, 50.0)
    legend, legend_h = (
        _legend([s.name for s in series], left, width) if len(series) > 1 else ([], 0)
    )
    group_h = bar_height * len(series) + 10
    height = legend_h + group_h * len(categories) + 12

    def x_of(value: float) -> float:
        return left + (value - low) / span * plot

    zero = x_of(0.0)
    body: list[str] = list(legend)
    for ci, category in enumerate(categories):
        top = legend_h + ci * group_h + 5
        body.append(
            f'<text class="category" x="{_num(left - 8)}" '
            f'y="{_num(top + group_h / 2)}" font-size="12" text-anchor="end" '
            f'dominant-baseline="middle">{escape(_short(str(category)))}'
            f"<title>{escape(category)}</title></text>"
        )
        for si, s in enumerate(series):
            value = s.values[ci]
            y = top + si * bar_height
            colour = PALETTE[si % len(PALETTE)]
            if not _finite(value):
                body.append(
                    f'<text class="value missing" x="{_num(zero + 4)}" '
                    f'y="{_num(y + bar_height / 2)}" font-size="11" fill="{AXIS_COLOUR}" '
                    f'dominant-baseline="middle">n/a</text>'
                )
                continue
            x0, x1 = sorted((zero, x_of(value)))
            label = value_format(value)
            body.append(
                f'<rect class="bar" data-series="{escape(s.name)}" '
                f'data-category="{escape(category)}" data-value="{value!r}" x="{_num(x0)}" '
                f'y="{_num(y)}" width="{_num(x1 - x0)}" '
                f'height="{_num(bar_height - 2)}" fill="{colour}">'
                f"<title>{escape(category)} · {escape(s.name)}: {escape(label)}</title></rect>"
            )
            body.append(
                f'<text class="value" x="{_num(max(x1, zero) + 4)}" '
                f'y="{_num(y + bar_height / 2)}" font-size="11" '
                f'dominant-baseline="middle">{escape(label)}</text>'
            )
    body.append(
        f'<line class="baseline" x1="{_num(zero)}" x2="{_num(zero)}" y1="{_num(legend_h)}" '
        f'y2="{_num(height - 4)}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    return _svg(width, height, title, body, "bar")


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    value_format: Formatter = _plain,
    width: float = 720,
    bar_height: float = 18,
) -> Markup:
    """Horizontal bars made of segments, one per series, stacked in series order (e.g. the
    disqualification rate of a channel split by reason). A bar's total length is proportional to
    the sum of its segments. Values must not be negative; missing values count as zero."""
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(
                f"stacked_bar_chart: series {s.name!r} has {len(s.values)} values "
                f"for {len(categories)} categories"
            )
        bad = [v for v in s.values if _finite(v) and v < 0]
        if bad:
            raise ValueError(f"stacked_bar_chart: series {s.name!r} has negative value {bad[0]}")
    totals = [
        sum(s.values[i] for s in series if _finite(s.values[i])) for i in range(len(categories))
    ]
    top_total = max(totals, default=0.0) or 1.0
    left = _label_width(categories)
    plot = max(width - left - 90, 50.0)
    legend, legend_h = _legend([s.name for s in series], left, width)
    row_h = bar_height + 8
    height = legend_h + row_h * len(categories) + 10
    body = list(legend)
    for ci, category in enumerate(categories):
        y = legend_h + ci * row_h + 4
        body.append(
            f'<text class="category" x="{_num(left - 8)}" y="{_num(y + bar_height / 2)}" '
            f'font-size="12" text-anchor="end" dominant-baseline="middle">'
            f"{escape(_short(str(category)))}<title>{escape(category)}</title></text>"
        )
        x = left
        for si, s in enumerate(series):
            value = s.values[ci]
            if not _finite(value) or value == 0:
                continue
            w = value / top_total * plot
            body.append(
                f'<rect class="bar segment" data-series="{escape(s.name)}" '
                f'data-category="{escape(category)}" data-value="{value!r}" x="{_num(x)}" '
                f'y="{_num(y)}" width="{_num(w)}" height="{_num(bar_height)}" '
                f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(category)} · '
                f"{escape(s.name)}: {escape(value_format(value))}</title></rect>"
            )
            x += w
        body.append(
            f'<text class="value total" x="{_num(x + 4)}" y="{_num(y + bar_height / 2)}" '
            f'font-size="11" dominant-baseline="middle">{escape(value_format(totals[ci]))}</text>'
        )
    return _svg(width, height, title, body, "stacked")


def funnel_chart(
    stages: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: Formatter = lambda v: f"{v:,.0f}",
    width: float = 720,
    bar_height: float = 30,
) -> Markup:
    """A funnel: one centred bar per stage, width proportional to the stage's count, with the
    conversion from the stage before (``→ 42.0 %``) written beside it."""
    counts = [c for _, c in stages]
    if any(not _finite(c) or c < 0 for c in counts):
        raise ValueError("funnel_chart: stage counts must be finite and not negative")
    top = max(counts, default=0.0) or 1.0
    left = _label_width([name for name, _ in stages])
    right = 170.0
    plot = max(width - left - right, 50.0)
    centre = left + plot / 2
    row_h = bar_height + 6
    height = row_h * len(stages) + 6
    body: list[str] = []
    for i, (name, count) in enumerate(stages):
        y = 3 + i * row_h
        w = count / top * plot
        step = ""
        if i > 0:
            before = stages[i - 1][1]
            step = f"→ {count / before:.1%}".replace("%", " %") if before else "→ n/a"
        body.append(
            f'<text class="category" x="{_num(left - 8)}" y="{_num(y + bar_height / 2)}" '
            f'font-size="12" text-anchor="end" dominant-baseline="middle">'
            f"{escape(_short(name))}<title>{escape(name)}</title></text>"
        )
        body.append(
            f'<rect class="bar stage" data-category="{escape(name)}" data-value="{count!r}" '
            f'x="{_num(centre - w / 2)}" y="{_num(y)}" width="{_num(w)}" '
            f'height="{_num(bar_height)}" fill="{PALETTE[0]}" rx="2">'
            f"<title>{escape(name)}: {escape(value_format(count))}</title></rect>"
        )
        body.append(
            f'<text class="value" x="{_num(left + plot + 8)}" y="{_num(y + bar_height / 2)}" '
            f'font-size="12" dominant-baseline="middle">{escape(value_format(count))}'
            + (f'<tspan fill="{AXIS_COLOUR}" dx="8">{escape(step)}</tspan>' if step else "")
            + "</text>"
        )
    return _svg(width, height, title, body, "funnel")


def histogram(
    edges: Sequence[float],
    counts: Sequence[int],
    *,
    title: str,
    overflow: int = 0,
    marker: float | None = None,
    marker_label: str = "",
    edge_format: Formatter = lambda v: f"{v:g}",
    x_label: str = "",
    width: float = 720,
    plot_height: float = 180,
) -> Markup:
    """Vertical bars for the counts between consecutive ``edges`` (bin i holds edges[i] <= x <
    edges[i+1]), plus an optional overflow bar for values at or above the last edge. Bins get
    equal widths (so uneven edges such as 0, 1, 2, 4, 8, 24 h stay readable) and heights
    proportional to their counts. ``marker`` draws a vertical line at that value (e.g. an SLA
    target), placed by linear interpolation inside its bin."""
    if len(edges) != len(counts) + 1:
        raise ValueError(f"histogram: {len(counts)} counts need {len(counts) + 1} edges")
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError("histogram: edges must increase")
    if any(c < 0 for c in counts) or overflow < 0:
        raise ValueError("histogram: counts must not be negative")
    bars = [*counts, overflow] if overflow else list(counts)
    top = max(bars, default=0) or 1
    left, right, top_pad, bottom = 48.0, 16.0, 22.0, 40.0
    plot_w = width - left - right
    bin_w = plot_w / len(bars)
    height = top_pad + plot_height + bottom
    base = top_pad + plot_height
    body: list[str] = [
        f'<line class="axis" x1="{_num(left)}" x2="{_num(left + plot_w)}" y1="{_num(base)}" '
        f'y2="{_num(base)}" stroke="{AXIS_COLOUR}"/>',
        f'<text x="{_num(left - 6)}" y="{_num(top_pad)}" font-size="11" text-anchor="end" '
        f'dominant-baseline="middle">{top:,}</text>',
        f'<text x="{_num(left - 6)}" y="{_num(base)}" font-size="11" text-anchor="end" '
        f'dominant-baseline="middle">0</text>',
    ]
    for i, count in enumerate(bars):
        x = left + i * bin_w
        h = count / top * plot_height
        if i < len(counts):
            name = f"{edge_format(edges[i])}–{edge_format(edges[i + 1])}"
        else:
            name = f"≥ {edge_format(edges[-1])}"
        body.append(
            f'<rect class="bar bin" data-category="{escape(name)}" data-value="{count}" '
            f'x="{_num(x + 1)}" y="{_num(base - h)}" width="{_num(bin_w - 2)}" '
            f'height="{_num(h)}" fill="{PALETTE[7] if i >= len(counts) else PALETTE[0]}">'
            f"<title>{escape(name)}: {count:,}</title></rect>"
        )
        if count:
            body.append(
                f'<text class="value" x="{_num(x + bin_w / 2)}" y="{_num(base - h - 4)}" '
                f'font-size="10" text-anchor="middle">{count:,}</text>'
            )
    for i, edge in enumerate(edges):
        body.append(
            f'<text class="tick" x="{_num(left + i * bin_w)}" y="{_num(base + 14)}" '
            f'font-size="10" text-anchor="middle">{escape(edge_format(edge))}</text>'
        )
    if x_label:
        body.append(
            f'<text class="axis-label" x="{_num(left + plot_w / 2)}" y="{_num(base + 32)}" '
            f'font-size="11" text-anchor="middle" fill="{AXIS_COLOUR}">{escape(x_label)}</text>'
        )
    if marker is not None and edges[0] <= marker <= edges[-1]:
        if marker == edges[-1]:
            x = left + len(counts) * bin_w
        else:
            i = max(j for j in range(len(counts)) if edges[j] <= marker)
            x = left + (i + (marker - edges[i]) / (edges[i + 1] - edges[i])) * bin_w
        body.append(
            f'<line class="marker" data-value="{marker!r}" x1="{_num(x)}" x2="{_num(x)}" '
            f'y1="{_num(top_pad - 6)}" y2="{_num(base)}" stroke="{MARKER_COLOUR}" '
            f'stroke-width="2" stroke-dasharray="5 3"/>'
        )
        body.append(
            f'<text class="marker-label" x="{_num(x + 4)}" y="{_num(top_pad - 8)}" '
            f'font-size="11" fill="{MARKER_COLOUR}">{escape(marker_label)}</text>'
        )
    return _svg(width, height, title, body, "histogram")
