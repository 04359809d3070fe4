"""Dose-response: a numeric setting swept over three or more values is a curve, not a set of strata.

For a numeric condition column (``council.budget_per_resident_per_year=range(0,13,3)``) each outcome's
mean [95% CI] is given at every value, per regime (and per stratum of any other condition that
varies), with the paired difference to the lowest value on the same seeds, and the cost per
lonely-person-year averted against ``none`` at every value (when ``none`` was run).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import stats as st
from experiments.store import SEED_COLUMNS

MIN_VALUES = 3  # fewer values are strata of a table, not a curve
COST = "cost_per_lonely_person_year_averted"
COLUMNS = ("parameter", "value", "regime", "metric", "n", "mean", "ci_low", "ci_high", "n_pairs",
           "diff_mean", "diff_ci_low", "diff_ci_high", "fixed_by_design")
FIG_WIDTH = 7.0  # inches: one page column-and-a-half; panels share it


def dose_columns(runs: pd.DataFrame) -> list[str]:
    """Numeric condition columns (not seeds) with at least :data:`MIN_VALUES` distinct values."""
    from experiments.compare import key_columns

    out = []
    for c in key_columns(runs):
        if c in SEED_COLUMNS or c == "regime":
            continue
        col = runs[c]
        if (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
                and col.dropna().nunique() >= MIN_VALUES):
            out.append(c)
    return out


def dose_response(runs: pd.DataFrame, metrics: Sequence[str], column: str) -> pd.DataFrame:
    """Rows of (value, regime, other strata, metric): mean [95% CI within the metric's range], the
    paired difference to the lowest value on the same seeds (and other conditions), and rows of
    metric ``cost_per_lonely_person_year_averted`` (mean = the ratio, paired bootstrap CI) against
    ``none`` at each value."""
    from experiments.compare import (
        _fill_keys,
        _strata,
        completed,
        cost_effectiveness,
        key_columns,
        strata_columns,
    )

    ok = completed(runs)
    ok = ok[ok[column].notna()]
    keys = key_columns(ok)
    others = strata_columns(ok, column, also=("regime",))
    match = [c for c in keys if c not in (column, "regime", *others)]
    ok = _fill_keys(ok, [k for k in keys if k != column])
    values = sorted(ok[column].unique())
    low = values[0]
    rows = []
    for stratum, part in _strata(ok, ["regime", *others]):
        base = part[part[column] == low]
        for metric in metrics:
            for v in values:
                cur = part[part[column] == v]
                m, lo, hi = st.mean_ci(cur[metric], bounds=st.value_range(metric))
                row = {"parameter": column, "value": v, **stratum, "metric": metric,
                       "n": int(cur[metric].notna().sum()), "mean": m, "ci_low": lo, "ci_high": hi,
                       "n_pairs": 0, "diff_mean": math.nan, "diff_ci_low": math.nan,
                       "diff_ci_high": math.nan, "fixed_by_design": False}
                if v != low:
                    pairs = cur[[*match, metric]].merge(base[[*match, metric]], on=match,
                                                        suffixes=("", "_low"), validate="one_to_one")
                    d = pairs[metric].to_numpy(float) - pairs[f"{metric}_low"].to_numpy(float)
                    res = st.paired_difference(d)
                    row.update({k: res[k] for k in ("n_pairs", "diff_mean", "diff_ci_low", "diff_ci_high",
                                                    "fixed_by_design")})
                rows.append(row)
    cost = cost_effectiveness(runs)
    if not cost.empty and column in cost.columns:
        for r in cost.to_dict("records"):
            rows.append({"parameter": column, "value": r[column], "regime": r["level"],
                         **{c: r[c] for c in others}, "metric": COST, "n": r["n_pairs"],
                         "mean": r[COST], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                         "n_pairs": r["n_pairs"], "diff_mean": math.nan, "diff_ci_low": math.nan,
                         "diff_ci_high": math.nan, "fixed_by_design": False})
    cols = [*COLUMNS[:3], *others, *COLUMNS[3:]]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------------------------
# Figure
# --------------------------------------------------------------------------------------------


def _colours(regimes: Sequence[str]) -> dict[str, str]:
    """One colour per regime: the project's palette in the registry's order (experiments.style), the
    same colour a regime has in every other figure and in the workshop."""
    from experiments.style import regime_style

    return {r: regime_style(r, regimes)["color"] for r in regimes}


def dose_figures(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """One figure per numeric parameter (and stratum of other conditions): ``dose_response.png|pdf``
    (suffixed by parameter and stratum when there are several)."""
    made: list[Path] = []
    if table is None or table.empty:
        return made
    groups = []
    for param, part in table.groupby("parameter", sort=True):
        others = [c for c in part.columns if c not in (*COLUMNS, ) and part[c].notna().any()]
        if others:
            for key, sub in part.groupby(others, sort=True, dropna=False):
                key = key if isinstance(key, tuple) else (key,)
                groups.append((param, ", ".join(f"{c}={v}" for c, v in zip(others, key, strict=True)), sub))
        else:
            groups.append((param, "", part))
    many = len(groups) > 1
    for param, label, part in groups:
        name = "dose_response" + (f"_{_slug(param)}" + (f"_{_slug(label)}" if label else "") if many else "")
        made += dose_figure(part, out_dir / name, title=label)
    return made


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _band(line: pd.DataFrame, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The band of a curve: for outcomes, the mean at the lowest value plus the paired 95% CI of the
    change from it (paired on seeds, so the band shows what the parameter does, not how seeds
    differ); for the cost per outcome, its own bootstrap CI. Unbounded ends are left open."""
    if metric == COST:
        lo, hi = line["ci_low"].to_numpy(float), line["ci_high"].to_numpy(float)
    else:
        start = float(line["mean"].iloc[0])
        lo = np.where(line["n_pairs"] > 0, start + line["diff_ci_low"].to_numpy(float), start)
        hi = np.where(line["n_pairs"] > 0, start + line["diff_ci_high"].to_numpy(float), start)
    return lo, np.where(np.isinf(hi), np.nan, hi)


def dose_figure(table: pd.DataFrame, out: Path, title: str = "") -> list[Path]:
    """Small multiples: one panel per outcome, x = the parameter, one line per regime (its mean) with
    a band of the paired 95% CI of the change from the lowest value (see :func:`_band`); shares in %,
    money in GBP. Written as PNG (300 dpi) and PDF."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

    from experiments import style  # noqa: F401 (the project's figure style: sizes, fonts, Agg)
    from model import LABEL
    from model.regimes import regime_label, regime_order

    param = str(table["parameter"].iloc[0])
    metrics = [m for m in dict.fromkeys(table["metric"]) if table.loc[table["metric"] == m, "mean"].notna().any()]
    regimes = regime_order(table["regime"].unique())
    colours = _colours(regimes)
    ncol = min(3, len(metrics))
    nrow = math.ceil(len(metrics) / ncol)
    height = 2.1 * nrow + 0.9
    fig, axes = plt.subplots(nrow, ncol, figsize=(FIG_WIDTH, height), squeeze=False, sharex=True)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        part = table[table["metric"] == metric]
        for regime in regimes:
            line = part[part["regime"] == regime].sort_values("value")
            if line["mean"].notna().sum() == 0:
                continue
            x = line["value"].to_numpy(float)
            y = line["mean"].to_numpy(float)
            ax.plot(x, y, marker="o", ms=3, lw=1.4, color=colours[regime], label=regime_label(regime))
            lo, hi = _band(line, metric)
            ax.fill_between(x, lo, hi, color=colours[regime], alpha=0.18, lw=0)
        lo_b, hi_b = st.value_range(metric)
        if "share" in metric and (lo_b, hi_b) == (0.0, 1.0):
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))  # 1 decimal suffices
            span = np.subtract(*ax.get_ylim()[::-1])
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0 if span >= 0.05 else 1))
        elif metric == COST or metric == "council_spend":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"£{v:,.0f}"))
        ax.set_title(LABEL.get(metric, "Cost per lonely-person-year averted\nagainst no funding (GBP)"
                               if metric == COST else metric), fontsize=8)
        ax.tick_params(labelsize=7, labelbottom=True)
        ax.grid(alpha=0.3, lw=0.5)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 4), frameon=False, fontsize=8,
               bbox_to_anchor=(0.5, 1.0))
    fig.supxlabel(f"{param}  (bands: 95% CI of the change from {_fmt(table['value'].min())}, paired on "
                  f"seeds; cost: paired bootstrap)", fontsize=7.5)
    if title:
        fig.suptitle(title, y=1.03, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / height))
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = [out.with_suffix(".png"), out.with_suffix(".pdf")]
    fig.savefig(paths[0], dpi=300, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    plt.close(fig)
    return paths
