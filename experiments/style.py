"""One style for every figure of the project (compare, report, workshop).

Sizes: figures are drawn at the width they are printed at, 7 in (two-column page) or 3.5 in (one
column), so the 8-9 pt text set here stays 8-9 pt on paper. PDFs embed TrueType fonts
(``pdf.fonttype: 42``), never Type 3, which many journals reject. Regimes appear under their plain
names (``model.regimes.regime_label``) in the fixed order of ``model.regimes.regime_order``, each
with a colour from a colour-blind-safe palette (Okabe & Ito 2008, plus Paul Tol's wine, olive and
grey) and a line style and marker as a second cue. Shares are shown in %, money in £ with thousands
separators, time in years.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, also on machines without a display

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from model import DIRECTION, LABEL  # noqa: E402
from model.regimes import regime_label, regime_order  # noqa: E402

WIDTH_DOUBLE = 7.0  # inches: a two-column (full-width) journal figure
WIDTH_SINGLE = 3.5  # inches: a one-column figure
DPI = 300  # PNG resolution (journals ask for >= 300 dpi for line art with text)
FONT_SIZE = 8.5  # pt at print size: inside the 8-10 pt journals ask for
SMALL_SIZE = 8.0  # ticks and legends: the smallest text on a figure
CONFIDENCE_TEXT = "95% CI of the mean"

RC = {
    "pdf.fonttype": 42,  # TrueType, embedded; never Type 3
    "ps.fonttype": 42,
    "svg.fonttype": "path",  # SVGs carry outlines, so they look the same everywhere
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib: the same glyphs on every machine
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": SMALL_SIZE,
    "ytick.labelsize": SMALL_SIZE,
    "legend.fontsize": SMALL_SIZE,
    "legend.title_fontsize": SMALL_SIZE,
    "figure.titlesize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.2,
    "savefig.dpi": DPI,
    "figure.dpi": 100,
}

from experiments.palette import COLOURS, LINESTYLES, MARKERS  # noqa: E402,F401 (one palette, shared with the workshop)


def apply() -> None:
    """Set the project's matplotlib style (idempotent)."""
    matplotlib.rcParams.update(RC)
    # fontTools reports every table it subsets at INFO once Hydra has configured logging
    logging.getLogger("fontTools").setLevel(logging.WARNING)


apply()


# --------------------------------------------------------------------------------------------
# Regimes
# --------------------------------------------------------------------------------------------


def _rank(name: str, names: Sequence[str]) -> int:
    """A regime's fixed place: its place among all known regimes, so a colour never changes
    between figures; unknown names follow in the order given."""
    from model.regimes import all_regimes

    known = all_regimes()
    if name in known:
        return known.index(name)
    extra = [n for n in regime_order(names) if n not in known]
    return len(known) + extra.index(name)


def regime_style(name: str, names: Sequence[str] = ()) -> dict:
    """Colour, line style, marker and plain label of a regime (the same in every figure)."""
    k = _rank(str(name), [*names, name])
    return {"color": COLOURS[k % len(COLOURS)], "linestyle": LINESTYLES[k % len(LINESTYLES)],
            "marker": MARKERS[k % len(MARKERS)], "label": regime_label(name)}


def palette(names: Sequence[str]) -> dict[str, str]:
    """A fixed colour per regime."""
    return {n: regime_style(n, names)["color"] for n in regime_order(names)}


# --------------------------------------------------------------------------------------------
# Outcomes: label, unit, direction
# --------------------------------------------------------------------------------------------


def is_share(metric: str) -> bool:
    """True when an outcome is a share (0-1), shown in %. Derived from its name and label until
    outcome declarations carry a unit field; the one place to switch."""
    return "share" in metric or "(share)" in LABEL.get(metric, "")


def is_money(metric: str) -> bool:
    """True when an outcome is an amount of money (GBP)."""
    return "GBP" in LABEL.get(metric, "") or metric in ("spend_total", "council_spend")


def outcome_label(metric: str, unit: bool = True) -> str:
    """The outcome's plain label with its unit as readers see it: (%) for shares, (£) for money."""
    text = LABEL.get(metric, metric.replace("_", " ").capitalize())
    text = text.replace("(share)", "").replace("(GBP per year)", "").replace("(GBP)", "").strip()
    text = re.sub(r"\s+", " ", text)
    if not unit:
        return text
    if is_share(metric):
        return f"{text} (%)"
    if is_money(metric):
        return f"{text} (£ per year)" if "per year" in LABEL.get(metric, "") else f"{text} (£)"
    return text


def diff_unit(metric: str) -> str:
    """The unit of a difference of the outcome: percentage points for shares."""
    if is_share(metric):
        return "percentage points"
    if is_money(metric):
        return "£"
    return ""


def scale(metric: str) -> float:
    """Factor from the stored value to the displayed one (x100 for shares)."""
    return 100.0 if is_share(metric) else 1.0


def direction_text(metric: str) -> str:
    return {"lower": "lower is better", "higher": "higher is better"}.get(DIRECTION.get(metric) or "",
                                                                           "descriptive")


def money(x: float, decimals: int = 0) -> str:
    """£1,234 (negative: -£1,234)."""
    sign = "\u2212" if x < 0 else ""
    return f"{sign}£{abs(x):,.{decimals}f}"


def format_axis(ax: plt.Axes, metric: str, axis: str = "y") -> None:
    """Tick labels in the outcome's unit: % for shares (values stored as 0-1), £ for money."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if is_money(metric):
        target.set_major_formatter(FuncFormatter(lambda v, _: money(v)))


# --------------------------------------------------------------------------------------------
# Legends, notes, saving
# --------------------------------------------------------------------------------------------


def regime_handles(names: Sequence[str], marker: bool = True) -> tuple[list, list[str]]:
    from matplotlib.lines import Line2D

    order = regime_order(names)
    handles = []
    for n in order:
        s = regime_style(n, order)
        handles.append(Line2D([], [], color=s["color"], linestyle=s["linestyle"],
                              marker=s["marker"] if marker else None, markersize=4, lw=1.2))
    return handles, [regime_label(n) for n in order]


def legend_below(fig: plt.Figure, handles: list, labels: list[str], ncol: int | None = None,
                 title: str | None = None) -> None:
    """One legend for the whole figure, centred below the panels (outside every axes)."""
    ncol = ncol or min(len(labels), 4)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
               frameon=False, title=title, handlelength=2.6, columnspacing=1.5)


def legend_right(ax: plt.Axes, handles: list | None = None, labels: list[str] | None = None,
                 title: str | None = None) -> None:
    """A legend to the right of one axes, outside its data area."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
              title=title, handlelength=2.6)


def ci_note(n: int | str, what: str = "shaded") -> str:
    """The sentence that says what a band or bar is: 'Shaded: 95% CI of the mean over N replicates'."""
    return f"{what.capitalize()}: {CONFIDENCE_TEXT} over {n} replicates"


def save(fig: plt.Figure, path: Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write the figure as PNG (300 dpi) and PDF (TrueType fonts) next to each other."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with matplotlib.rc_context(RC):
        for fmt in formats:
            p = path.with_suffix(f".{fmt}")
            fig.savefig(p, dpi=DPI, bbox_inches="tight", pad_inches=0.03)
            out.append(p)
    plt.close(fig)
    return out
