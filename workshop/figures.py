"""The app's pictures as SVG text, drawn by the browser.

Measured on the workshop laptops' class of machine, rendering a 2x3 grid of matplotlib charts to PNG
takes over 100 ms even when the figure is reused, which with a model step breaks the 200 ms budget for
a step plus redraw. Writing the same pictures as SVG takes a few milliseconds and they stay sharp on a
projector, so the app draws SVG; colours and tick positions still come from matplotlib (colormaps,
``MaxNLocator``), without building figures. ``benchmarks/workshop_speed.py`` measures the budget.

All text that comes from the model is escaped. Functions are pure: a :class:`View` in, a string out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator

from workshop.session import View

CELL = 100.0  # SVG units per neighbourhood cell
HEALTH_MAX_WEEKS = 52.0  # green at a year or more of reserves
N_SHADES = 21
LONELY_SHADES = tuple(to_hex(c) for c in colormaps["coolwarm"](np.linspace(0, 1, N_SHADES)))
HEALTH_SHADES = tuple(to_hex(c) for c in colormaps["RdYlGn"](np.linspace(0, 1, N_SHADES)))
KIND_LABEL = {"club": "club", "befriending": "befriending", "faith": "faith group",
              "goodgym": "GoodGym-style", "volunteer_centre": "volunteer centre"}
RUN_COLOURS = ("#1f77b4", "#d62728")
RUN_DASH = ("", ' stroke-dasharray="5 3"')
LOCAL_COLOUR = "#2ca02c"
OUTSIDE_COLOUR = "#8c8c8c"


@dataclass(frozen=True, slots=True)
class Chart:
    column: str  # timeseries column
    title: str
    scale: float = 1.0  # multiply for display (shares -> %)
    fixed: tuple[float, float] | None = None  # a fixed y range (else fitted to the data)


CHARTS: tuple[Chart, ...] = (
    Chart("lonely_share", "Lonely residents (%)", 100.0),
    Chart("mean_close_ties", "Close ties per resident"),
    Chart("active_groups", "Active community groups"),
    Chart("volunteer_share", "Volunteering monthly (%)", 100.0),
    Chart("local_funding_share", "Council money to local groups (%)", 100.0, (0.0, 100.0)),
)


def shade(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Index into a shade table (0..N_SHADES-1) for each value on [lo, hi]."""
    x = (np.asarray(values, dtype=float) - lo) / (hi - lo)
    return np.clip(np.rint(np.nan_to_num(x, nan=0.0) * (N_SHADES - 1)), 0, N_SHADES - 1).astype(int)


def group_radius(members: float) -> float:
    """Marker radius (SVG units) for a group with ``members`` members: area grows with members."""
    return 2.0 + 0.45 * math.sqrt(max(0.0, float(members)))


def _marker(kind: str, x: float, y: float, r: float, fill: str, tip: str) -> str:
    a = f' fill="{fill}" stroke="#222" stroke-width="0.8"><title>{tip}</title>'
    if kind == "befriending":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}"{a}</rect>'
    if kind == "faith":
        pts = f"{x:.1f},{y - 1.2 * r:.1f} {x + 1.1 * r:.1f},{y + 0.8 * r:.1f} {x - 1.1 * r:.1f},{y + 0.8 * r:.1f}"
        return f'<polygon points="{pts}"{a}</polygon>'
    if kind == "goodgym":
        pts = f"{x:.1f},{y - 1.2 * r:.1f} {x + 1.2 * r:.1f},{y:.1f} {x:.1f},{y + 1.2 * r:.1f} {x - 1.2 * r:.1f},{y:.1f}"
        return f'<polygon points="{pts}"{a}</polygon>'
    if kind == "volunteer_centre":
        t = r * 0.45
        d = (f"M{x - t:.1f},{y - r:.1f}h{2 * t:.1f}v{r - t:.1f}h{r - t:.1f}v{2 * t:.1f}h{t - r:.1f}"
             f"v{r - t:.1f}h{-2 * t:.1f}v{t - r:.1f}h{t - r:.1f}v{-2 * t:.1f}h{r - t:.1f}z")
        return f'<path d="{d}"{a}</path>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"{a}</circle>'


def place_svg(view: View, *, show_network: bool = False, title: str | None = None) -> str:
    """The place: residents as dots in their neighbourhood (blue connected, red lonely); groups as
    larger markers (size = members, colour = weeks of reserves, shape = kind); closed groups as grey
    crosses where they were; close ties as faint lines when ``show_network``."""
    cols = max((x for x, _ in view.cells), default=0.0) + 1.0
    rows = max((y for _, y in view.cells), default=0.0) + 1.0
    width, height = cols * CELL, rows * CELL
    legend_h = 17.0
    top = 12.0 if title else 0.0

    def sx(x: np.ndarray | float):
        return np.asarray(x) * CELL

    def sy(y: np.ndarray | float):  # model y goes up, SVG y goes down
        return top + (rows - np.asarray(y)) * CELL

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-1 -1 {width + 2:.0f} {top + height + legend_h + 2:.0f}" '
           f'class="place-svg" style="width:100%;height:auto;font-family:sans-serif">']
    if title:
        out.append(f'<text x="{width / 2:.1f}" y="9" font-size="7" text-anchor="middle" font-weight="bold">'
                   f"{escape(title)}</text>")
    for k, (x0, y0) in enumerate(view.cells):
        out.append(f'<rect x="{sx(x0) + 1:.1f}" y="{sy(y0 + 1) + 1:.1f}" width="{CELL - 2:.1f}" height="{CELL - 2:.1f}" '
                   f'rx="3" fill="#f4f1ea" stroke="#cfc8b8" stroke-width="0.6"/>')
        out.append(f'<text x="{sx(x0) + 3:.1f}" y="{sy(y0 + 1) + 6.5:.1f}" font-size="4.5" fill="#555">'
                   f"Neighbourhood {k + 1}</text>")
    xs, ys = sx(view.xy[:, 0]), sy(view.xy[:, 1])
    if show_network and view.ties is not None and len(view.ties[0]):
        a, b = view.ties
        d = "".join(f"M{xs[i]:.1f} {ys[i]:.1f}L{xs[j]:.1f} {ys[j]:.1f}" for i, j in zip(a.tolist(), b.tolist(), strict=True))
        out.append(f'<path class="network" d="{d}" stroke="#444" stroke-opacity="0.18" stroke-width="0.25" fill="none"/>')
    idx = shade(view.loneliness, 0.0, 1.0)
    out.append('<g class="residents">')
    for s in np.unique(idx).tolist():
        sel = idx == s
        dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.1"/>' for x, y in zip(xs[sel].tolist(), ys[sel].tolist(), strict=True))
        out.append(f'<g fill="{LONELY_SHADES[s]}">{dots}</g>')
    out.append("</g>")
    out.append('<g class="closed-groups" stroke="#8a8a8a" stroke-width="1.3">')
    for x, y in view.gone_xy.tolist():
        px, py = float(sx(x)), float(sy(y))
        out.append(f'<path d="M{px - 3:.1f} {py - 3:.1f}L{px + 3:.1f} {py + 3:.1f}M{px - 3:.1f} {py + 3:.1f}L{px + 3:.1f} {py - 3:.1f}">'
                   "<title>a group that closed</title></path>")
    out.append("</g>")
    hidx = shade(np.minimum(view.group_health, HEALTH_MAX_WEEKS), 0.0, HEALTH_MAX_WEEKS)
    out.append('<g class="groups">')
    for k in range(len(view.group_kind)):
        kind = str(view.group_kind[k])
        members = float(view.group_members[k])
        weeks = float(view.group_health[k])
        reserves = "a year or more" if weeks >= HEALTH_MAX_WEEKS else f"{max(weeks, 0):.0f} weeks"
        tip = escape(f"{KIND_LABEL.get(kind, kind)}: {members:.0f} members, reserves for {reserves}")
        out.append(_marker(kind, float(sx(view.group_xy[k, 0])), float(sy(view.group_xy[k, 1])),
                           group_radius(members), HEALTH_SHADES[hidx[k]], tip))
    out.append("</g>")
    out.append(_place_legend(width, top + height + 3))
    out.append("</svg>")
    return "".join(out)


def _place_legend(width: float, y: float) -> str:
    """Two rows under the map: colours and crosses, then the group kinds' shapes."""
    char = 2.4  # approximate width of one character at font-size 4.2
    parts = ['<g class="legend" font-size="4.2" fill="#333">']
    x = 2.0
    for s, text in ((2, "connected"), (N_SHADES - 3, "lonely")):
        parts.append(f'<circle cx="{x + 1.5:.1f}" cy="{y + 3:.1f}" r="1.6" fill="{LONELY_SHADES[s]}"/>'
                     f'<text x="{x + 4:.1f}" y="{y + 4.5:.1f}">{text}</text>')
        x += 8 + char * len(text)
    parts.append(f'<path d="M{x:.1f} {y + 1:.1f}l4 4m-4 0l4 -4" stroke="#8a8a8a" stroke-width="1.2"/>'
                 f'<text x="{x + 6:.1f}" y="{y + 4.5:.1f}">group closed</text>')
    x += 10 + char * 12
    for k, s in enumerate((1, N_SHADES // 2, N_SHADES - 2)):
        parts.append(f'<rect x="{x + 4 * k:.1f}" y="{y + 1:.1f}" width="4" height="4" fill="{HEALTH_SHADES[s]}"/>')
    parts.append(f'<text x="{x + 14:.1f}" y="{y + 4.5:.1f}">reserves: none → a year</text>')
    x, y = 2.0, y + 7.5
    for kind, label in KIND_LABEL.items():
        parts.append(_marker(kind, x + 2.5, y + 3, 2.0, "#ffffff", escape(label)))
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 4.5:.1f}">{escape(label)}</text>')
        x += 10 + char * len(label)
    parts.append("</g>")
    return "".join(parts)


def _fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v / 1000:.0f}k" if abs(v) >= 10_000 else f"{v / 1000:.1f}k"
    if float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


def line_chart_svg(title: str, series: Sequence[tuple[np.ndarray, np.ndarray]], *, key: str = "",
                   fixed: tuple[float, float] | None = None, w: float = 240.0, h: float = 150.0) -> str:
    """A small line chart: one polyline per run (solid blue, then dashed red), nice y ticks."""
    left, right, top, bottom = 30.0, 8.0, 18.0, 20.0
    pw, ph = w - left - right, h - top - bottom
    xs_all = [x for x, _ in series if len(x)]
    ys_all = [y[np.isfinite(y)] for _, y in series if len(y)]
    ys_all = [y for y in ys_all if len(y)]
    x0 = min((float(x[0]) for x in xs_all), default=0.0)
    x1 = max((float(x[-1]) for x in xs_all), default=1.0)
    if x1 <= x0:
        x1 = x0 + 1.0
    y0 = min((float(y.min()) for y in ys_all), default=0.0)
    y1 = max((float(y.max()) for y in ys_all), default=1.0)
    if fixed is not None:
        y0, y1 = min(y0, fixed[0]), max(y1, fixed[1])
    if y1 - y0 < 1e-9:
        pad = max(abs(y1) * 0.1, 0.5)
        y0, y1 = y0 - pad, y1 + pad
    ticks = [t for t in MaxNLocator(4).tick_values(y0, y1)]
    y0, y1 = min(y0, ticks[0]), max(y1, ticks[-1])
    xticks = [t for t in MaxNLocator(4, integer=True).tick_values(x0, x1) if x0 <= t <= x1]

    def px(x):
        return left + (np.asarray(x, dtype=float) - x0) / (x1 - x0) * pw

    def py(y):
        return top + ph - (np.asarray(y, dtype=float) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" class="chart" data-chart="{escape(key)}" '
           f'style="width:100%;height:auto;font-family:sans-serif">',
           f'<text x="{w / 2:.0f}" y="12" font-size="10" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb" stroke-width="0.6"/>']
    for t in ticks:
        y = float(py(t))
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4" stroke-width="0.6"/>'
                   f'<text x="{left - 3}" y="{y + 3:.1f}" font-size="8" text-anchor="end" fill="#444">{_fmt(t)}</text>')
    for t in xticks:
        x = float(px(t))
        out.append(f'<text x="{x:.1f}" y="{top + ph + 10:.1f}" font-size="8" text-anchor="middle" fill="#444">{_fmt(t)}</text>')
    out.append(f'<text x="{left + pw / 2:.0f}" y="{h - 2:.0f}" font-size="8" text-anchor="middle" fill="#666">week</text>')
    for k, (x, y) in enumerate(series):
        if not len(x):
            continue
        ok = np.isfinite(y)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(x[ok]).tolist(), py(y[ok]).tolist(), strict=True))
        out.append(f'<polyline class="series-{k}" points="{pts}" fill="none" stroke="{RUN_COLOURS[k % 2]}" '
                   f'stroke-width="1.6"{RUN_DASH[k % 2]}/>')
    out.append("</svg>")
    return "".join(out)


def money_svg(views: Sequence[View], labels: Sequence[str], *, w: float = 240.0, h: float = 150.0) -> str:
    """This year's council money so far, split between local groups and outside providers."""
    left, right, top = 8.0, 8.0, 30.0
    bar_h = min(28.0, (h - top - 26.0) / max(1, len(views)) - 6.0)
    totals = [(v.spend.get("local_groups", 0.0), v.spend.get("outside_providers", 0.0)) for v in views]
    biggest = max([a + b for a, b in totals] + [1.0])
    pw = w - left - right
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" class="chart" data-chart="money" '
           'style="width:100%;height:auto;font-family:sans-serif">',
           f'<text x="{w / 2:.0f}" y="12" font-size="10" text-anchor="middle" font-weight="bold">'
           "Council money this year so far</text>",
           f'<rect x="{left}" y="17" width="8" height="8" fill="{LOCAL_COLOUR}"/>'
           f'<text x="{left + 11}" y="24" font-size="8">local groups</text>'
           f'<rect x="{left + 80}" y="17" width="8" height="8" fill="{OUTSIDE_COLOUR}"/>'
           f'<text x="{left + 91}" y="24" font-size="8">outside providers</text>']
    for k, ((local, outside), label) in enumerate(zip(totals, labels, strict=True)):
        y = top + 4 + k * (bar_h + 16)
        lw, ow = local / biggest * pw, outside / biggest * pw
        share = local / (local + outside) if local + outside > 0 else float("nan")
        text = (f"£{(local + outside) / 1000:.1f}k, {share:.0%} to local groups" if math.isfinite(share)
                else "nothing spent yet")
        if label:
            text = f"{label}: {text}"
        out.append(f'<text x="{left}" y="{y + 8:.1f}" font-size="8" fill="#333">{escape(text)}</text>'
                   f'<rect x="{left}" y="{y + 11:.1f}" width="{lw:.1f}" height="{bar_h:.1f}" fill="{LOCAL_COLOUR}"/>'
                   f'<rect x="{left + lw:.1f}" y="{y + 11:.1f}" width="{ow:.1f}" height="{bar_h:.1f}" fill="{OUTSIDE_COLOUR}"/>')
    out.append("</svg>")
    return "".join(out)


def charts_html(views: Sequence[View], labels: Sequence[str] | None = None) -> str:
    """The live charts (one line per run) and the money chart, as a grid of SVGs."""
    cells = []
    for chart in CHARTS:
        series = []
        for view in views:
            ts = view.timeseries
            if chart.column in ts and len(ts):
                series.append((ts["week"].to_numpy(dtype=float), ts[chart.column].to_numpy(dtype=float) * chart.scale))
            else:
                series.append((np.empty(0), np.empty(0)))
        cells.append(line_chart_svg(chart.title, series, key=chart.column, fixed=chart.fixed))
    short = [str(lbl).split(":", 1)[0] for lbl in labels] if labels and len(views) > 1 else [""] * len(views)
    cells.append(money_svg(views, short))
    legend = ""
    if labels and len(views) > 1:
        legend = '<div class="chart-legend">' + " ".join(
            f'<span style="color:{RUN_COLOURS[k % 2]}">{"━━" if k % 2 == 0 else "╍╍"} {escape(lbl)}</span>'
            for k, lbl in enumerate(labels)) + "</div>"
    return (legend + '<div class="charts-grid" style="display:grid;grid-template-columns:repeat(2,1fr);gap:4px">'
            + "".join(f"<div>{c}</div>" for c in cells) + "</div>")
