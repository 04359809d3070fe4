"""The app's pictures as SVG text, drawn by the browser.

Measured on the workshop laptops' class of machine, rendering a 2x3 grid of matplotlib charts to PNG
takes over 100 ms even when the figure is reused, which with a model step breaks the 200 ms budget for
a step plus redraw. Writing the same pictures as SVG takes a few milliseconds and they stay sharp on a
projector, so the app draws SVG; tick positions and the place map's colour ramps still come from
matplotlib (colormaps, ``MaxNLocator``), without building figures, and the runs' and the money's
colours from ``experiments.palette``, the palette of the report's and compare's figures. ``benchmarks/workshop_speed.py`` measures the budget.

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

from experiments.palette import RUN_COLOURS, SPEND_COLOURS
from model.model import WEEKS_PER_YEAR
from workshop.session import View

CELL = 100.0  # SVG units per neighbourhood cell
HEALTH_MAX_WEEKS = 52.0  # green at a year or more of reserves
N_SHADES = 21
LONELY_SHADES = tuple(to_hex(c) for c in colormaps["coolwarm"](np.linspace(0, 1, N_SHADES)))
HEALTH_SHADES = tuple(to_hex(c) for c in colormaps["RdYlGn"](np.linspace(0, 1, N_SHADES)))
KIND_LABEL = {"club": "club", "befriending": "befriending", "faith": "faith group",
              "goodgym": "GoodGym-style", "volunteer_centre": "volunteer centre",
              "community_hub": "community hub"}
RUN_DASH = ("", ' stroke-dasharray="5 3"')
LOCAL_COLOUR = SPEND_COLOURS["local_groups"]
OUTSIDE_COLOUR = SPEND_COLOURS["outside_providers"]


@dataclass(frozen=True, slots=True)
class Chart:
    column: str  # timeseries column
    title: str
    scale: float = 1.0  # multiply for display (shares -> %)
    fixed: tuple[float, float] = (0.0, 1.0)  # the y range shown at least (from zero: a count or a share)
    limit: float | None = None  # the most the value can be (a share of money: 100%); the axis stops there


# Every axis starts at zero and shows at least a fixed range, so one group closing or a week's noise
# in the lonely share does not look like a crash; the range grows only if the data go beyond it.
# Upper bounds: about twice what the small place shows at the start (lonely ~15-20%, 2-3 close ties,
# 7 groups, ~10% volunteering); shares of money always 0-100%.
CHARTS: tuple[Chart, ...] = (
    Chart("lonely_share", "Lonely residents (%)", 100.0, (0.0, 40.0)),
    Chart("mean_close_ties", "Close ties per resident", 1.0, (0.0, 5.0)),
    Chart("active_groups", "Groups open", 1.0, (0.0, 15.0)),
    Chart("volunteer_share", "Volunteering (%)", 100.0, (0.0, 25.0)),
    Chart("local_funding_share", "Money to local groups (%)", 100.0, (0.0, 100.0), limit=100.0),
)
FONT = 16.5  # chart text in SVG units; the charts are drawn at about their viewBox width (>= 16 px)


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
    if kind == "community_hub":  # a house: its own building
        pts = (f"{x:.1f},{y - 1.25 * r:.1f} {x + 1.1 * r:.1f},{y - 0.2 * r:.1f} {x + 1.1 * r:.1f},{y + r:.1f} "
               f"{x - 1.1 * r:.1f},{y + r:.1f} {x - 1.1 * r:.1f},{y - 0.2 * r:.1f}")
        return f'<polygon points="{pts}"{a}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}"{a}</circle>'


def place_svg(view: View, *, show_network: bool = False, title: str | None = None, labels: bool = True) -> str:
    """The place: residents as dots in their neighbourhood (blue connected, red lonely); groups as
    larger markers (size = members, colour = weeks of reserves, shape = kind); closed groups as grey
    crosses where they were; close ties as faint lines when ``show_network``. A group's details show on
    hover and, for touch screens and projectors, on click or tap (the marker takes focus). The legend is
    :func:`place_legend_html`, in HTML below the map so that its text stays readable."""
    cols = max((x for x, _ in view.cells), default=0.0) + 1.0
    rows = max((y for _, y in view.cells), default=0.0) + 1.0
    width, height = cols * CELL, rows * CELL
    legend_h = 0.0
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
        if labels:
            out.append(f'<text x="{sx(x0) + 3:.1f}" y="{sy(y0 + 1) + 12:.1f}" font-size="12" fill="#444">'
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
        text = f"{KIND_LABEL.get(kind, kind)}, {members:.0f} members; reserves: {reserves}"
        gx, gy = float(sx(view.group_xy[k, 0])), float(sy(view.group_xy[k, 1]))
        out.append('<g class="grp" tabindex="0">'
                   + _marker(kind, gx, gy, group_radius(members), HEALTH_SHADES[hidx[k]], escape(text))
                   + _tip(text, gx, gy, width, top + height) + "</g>")
    out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _tip(text: str, x: float, y: float, width: float, height: float) -> str:
    """A group's details in a box beside its marker (two lines), shown on hover or focus (a click or a
    tap) by CSS. 16 units: at least 16 px wherever the map is drawn 200 units or wider."""
    lines = [part.strip() for part in text.split(";")]
    fs = 16.0
    w = min(width - 2, 8.6 * max(len(t) for t in lines) + 10)
    h = 20.0 * len(lines) + 6
    bx = min(max(1.0, x - w / 2), width - w - 1)
    by = y - h - 8 if y - h - 8 > 0 else y + 10
    texts = "".join(f'<text x="{bx + 5:.1f}" y="{by + 19 + 20 * k:.1f}" font-size="{fs:.0f}">{escape(t)}</text>'
                    for k, t in enumerate(lines))
    return (f'<g class="tip"><rect x="{bx:.1f}" y="{by:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" fill="#fffde7" '
            f'stroke="#333" stroke-width="0.8"/>{texts}</g>')


def place_legend_html() -> str:
    """The map's legend in HTML: every shade the residents and groups are drawn in (the same tables
    as the map), the closed-group cross and the group kinds' shapes."""

    def ramp(shades: Sequence[str]) -> str:
        return '<span class="ramp">' + "".join(f'<span style="background:{c}"></span>' for c in shades) + "</span>"

    def icon(inner: str) -> str:
        return f'<svg viewBox="0 0 10 10" width="16" height="16" style="vertical-align:middle">{inner}</svg>'

    parts = [f"<span>connected {ramp(LONELY_SHADES)} lonely</span>",
             f"<span>group reserves: none {ramp(HEALTH_SHADES)} a year</span>",
             "<span>" + icon('<path d="M2 2L8 8M2 8L8 2" stroke="#8a8a8a" stroke-width="1.6"/>') + " group closed</span>"]
    for kind, label in KIND_LABEL.items():
        parts.append("<span>" + icon(_marker(kind, 5, 5, 3.6, "#ffffff", escape(label))) + f" {escape(label)}</span>")
    parts.append("<span>bigger marker = more members; click a group for details</span>")
    return "".join(parts)


def _fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v / 1000:.0f}k" if abs(v) >= 10_000 else f"{v / 1000:.1f}k"
    if float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.2f}".rstrip("0").rstrip(".")


def line_chart_svg(title: str, series: Sequence[tuple[np.ndarray, np.ndarray]], *, key: str = "",
                   fixed: tuple[float, float] | None = None, limit: float | None = None,
                   w: float = 300.0, h: float = 165.0) -> str:
    """A small line chart against years: one polyline per run (solid blue, then dashed red), y from the
    fixed range (grown to the data if they leave it, never past ``limit``, the most the value can be),
    x at least the first year."""
    left, right, top, bottom = 36.0, 10.0, 22.0, 20.0
    pw, ph = w - left - right, h - top - bottom
    xs_all = [x for x, _ in series if len(x)]
    ys_all = [y[np.isfinite(y)] for _, y in series if len(y)]
    ys_all = [y for y in ys_all if len(y)]
    x0 = min((float(x[0]) for x in xs_all), default=0.0)
    x1 = max([float(x[-1]) for x in xs_all] + [x0 + 1.0])
    y0 = min((float(y.min()) for y in ys_all), default=0.0)
    y1 = max((float(y.max()) for y in ys_all), default=1.0)
    if fixed is not None:
        y0, y1 = min(y0, fixed[0]), max(y1 * 1.05, fixed[1])
    if limit is not None:
        y1 = max(min(y1, limit), y0)
    if y1 - y0 < 1e-9:
        pad = max(abs(y1) * 0.1, 0.5)
        y0, y1 = y0 - pad, y1 + pad
    ticks = [t for t in MaxNLocator(4, steps=[1, 2, 2.5, 5, 10]).tick_values(y0, y1)]
    y0, y1 = min(y0, ticks[0]), max(y1, ticks[-1])
    xticks = [t for t in MaxNLocator(4, integer=True).tick_values(x0, x1) if x0 <= t <= x1 + 1e-9]

    def px(x):
        return left + (np.asarray(x, dtype=float) - x0) / (x1 - x0) * pw

    def py(y):
        return top + ph - (np.asarray(y, dtype=float) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" class="chart" data-chart="{escape(key)}" '
           f'style="width:100%;height:auto;font-family:sans-serif">',
           f'<text x="{w / 2:.0f}" y="{FONT:.0f}" font-size="{FONT}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#bbb" stroke-width="0.6"/>']
    for t in ticks:
        y = float(py(t))
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4" stroke-width="0.6"/>'
                   f'<text x="{left - 3}" y="{y + 5:.1f}" font-size="{FONT}" text-anchor="end" fill="#333">{_fmt(t)}</text>')
    for t in xticks:
        x = float(px(t))
        out.append(f'<text x="{x:.1f}" y="{top + ph + 16:.1f}" font-size="{FONT}" text-anchor="middle" fill="#333">{_fmt(t)}</text>')
    for k, (x, y) in enumerate(series):
        if not len(x):
            continue
        ok = np.isfinite(y)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(x[ok]).tolist(), py(y[ok]).tolist(), strict=True))
        out.append(f'<polyline class="series-{k}" points="{pts}" fill="none" stroke="{RUN_COLOURS[k % 2]}" '
                   f'stroke-width="2.6"{RUN_DASH[k % 2]}/>')
    out.append("</svg>")
    return "".join(out)


IN_HOUSE_COLOUR = SPEND_COLOURS["in_house"]
MONEY = (("local_groups", "local groups", LOCAL_COLOUR), ("outside_providers", "providers", OUTSIDE_COLOUR),
         ("in_house", "council staff", IN_HOUSE_COLOUR))


def local_share(spend: dict[str, float]) -> float:
    """The share of council spend that reached local groups (NaN before anything was spent): the same
    quantity, over the same window, as the model's ``local_funding_share``."""
    total = sum(spend.get(k, 0.0) for k, _, _ in MONEY)
    return spend.get("local_groups", 0.0) / total if total > 0 else float("nan")


def money_svg(views: Sequence[View], labels: Sequence[str], *, w: float = 300.0, h: float = 165.0) -> str:
    """Council money over the past year (the window of the money line), split between local groups,
    outside providers and the council's own staff."""
    left, right, top = 4.0, 4.0, 62.0
    bar_h = min(26.0, (h - top) / max(1, len(views)) - 24.0)
    totals = [[v.spend.get(k, 0.0) for k, _, _ in MONEY] for v in views]
    biggest = max([sum(t) for t in totals] + [1.0])
    pw = w - left - right
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.0f} {h:.0f}" class="chart" data-chart="money" '
           'style="width:100%;height:auto;font-family:sans-serif">',
           f'<text x="{w / 2:.0f}" y="{FONT:.0f}" font-size="{FONT}" text-anchor="middle" font-weight="bold">'
           "Council money, past year</text>"]
    for k, (_, name, colour) in enumerate(MONEY):  # the key, two rows under the title
        x, y = left + (k % 2) * 140, 22 + (k // 2) * 19
        out.append(f'<rect x="{x:.0f}" y="{y + 3}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 15:.0f}" y="{y + 15}" font-size="{FONT}">{name}</text>')
    for k, (parts, label) in enumerate(zip(totals, labels, strict=True)):
        y = top + k * (bar_h + 24)
        share = local_share(views[k].spend)
        text = (f"£{sum(parts) / 1000:.1f}k, {share:.0%} to local groups" if math.isfinite(share)
                else "nothing spent yet")
        if label:
            text = f"{label}: {text}"
        out.append(f'<text x="{left}" y="{y + 16:.1f}" font-size="{FONT}" fill="#333" class="money-text-{k}">'
                   f"{escape(text)}</text>")
        x = left
        for value, (key, _, colour) in zip(parts, MONEY, strict=True):
            width = value / biggest * pw
            out.append(f'<rect class="bar-{key}" x="{x:.1f}" y="{y + 21:.1f}" width="{width:.1f}" height="{bar_h:.1f}" '
                       f'fill="{colour}"/>')
            x += width
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
                series.append((ts["week"].to_numpy(dtype=float) / WEEKS_PER_YEAR,
                               ts[chart.column].to_numpy(dtype=float) * chart.scale))
            else:
                series.append((np.empty(0), np.empty(0)))
        cells.append(line_chart_svg(chart.title, series, key=chart.column, fixed=chart.fixed, limit=chart.limit))
    short = [str(lbl).split(":", 1)[0] for lbl in labels] if labels and len(views) > 1 else [""] * len(views)
    cells.append(money_svg(views, short))
    legend = ""
    if labels and len(views) > 1:
        legend = '<div class="chart-legend">' + " ".join(
            f'<span style="color:{RUN_COLOURS[k % 2]}">{"━━" if k % 2 == 0 else "╍╍"} {escape(lbl)}</span>'
            for k, lbl in enumerate(labels)) + "</div>"
    return (legend + '<div class="charts-grid" style="display:grid;grid-template-columns:repeat(2,1fr);gap:2px 8px">'
            + "".join(f"<div>{c}</div>" for c in cells) + "</div>")
