"""Figures of a sweep: one colour per regime (colour-blind safe, the same in every figure).

Every figure is written as PNG (300 dpi) and PDF. Axis labels come from ``model.outcomes.LABEL``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, also on machines without a display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from scipy import stats  # noqa: E402

from experiments.compare import REGIME_ORDER, regime_order, strata_columns  # noqa: E402
from model import LABEL  # noqa: E402

TIMESERIES_METRICS = ("lonely_share", "mean_close_ties", "active_groups", "volunteer_share")
DPI = 300
WEEKS_PER_YEAR = 52


def palette(regimes: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """A fixed colour per regime: the seaborn colour-blind palette in REGIME_ORDER, then the rest."""
    colours = sns.color_palette("colorblind", 10)
    out = {name: colours[i % len(colours)] for i, name in enumerate(REGIME_ORDER)}
    extra = [r for r in regime_order(regimes) if r not in out]
    for j, name in enumerate(extra):
        out[name] = sns.color_palette("dark", 10)[j % 10]
    return out


def _save(fig: plt.Figure, path: Path) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    paths = [path.with_suffix(".png"), path.with_suffix(".pdf")]
    fig.savefig(paths[0], dpi=DPI, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight")
    plt.close(fig)
    return paths


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def _strata(df: pd.DataFrame, strata: list[str]) -> list[tuple[str, pd.DataFrame]]:
    cols = [c for c in strata if c in df.columns]
    if not cols:
        return [("", df)]
    out = []
    for key, part in df.groupby(cols, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        out.append((", ".join(f"{c}={v}" for c, v in zip(cols, key, strict=True)), part))
    return out


def _time_axis(ts: pd.DataFrame) -> pd.Series:
    if "week" in ts.columns:  # weeks since recording began
        return ts["week"].astype(float) / WEEKS_PER_YEAR
    return ts["year"].astype(float)


def _band(ax: plt.Axes, ts: pd.DataFrame, metric: str, colours: dict) -> None:
    """Mean across replicates per regime and time, with a 95% t-interval band."""
    for regime in regime_order(ts["regime"].unique()):
        part = ts[ts["regime"] == regime]
        g = part.groupby("_t")[metric]
        mean, sd, n = g.mean(), g.std(ddof=1), g.count()
        tcrit = stats.t.ppf(0.975, np.maximum(n - 1, 1))
        half = np.where(n > 1, tcrit * sd / np.sqrt(n), np.nan)
        ax.plot(mean.index, mean.to_numpy(), color=colours[regime], label=regime, lw=1.5)
        ax.fill_between(mean.index, mean - half, mean + half, color=colours[regime], alpha=0.2, lw=0)
    ax.set_xlabel("Years since recording began")
    ax.set_ylabel(LABEL.get(metric, metric))


def timeseries_figure(ts: pd.DataFrame, out: Path, metrics: Sequence[str] = TIMESERIES_METRICS,
                      title: str = "") -> list[Path]:
    metrics = [m for m in metrics if m in ts.columns]
    if ts.empty or not metrics:
        return []
    ts = ts.assign(_t=_time_axis(ts))
    colours = palette(ts["regime"].unique())
    ncol = 2 if len(metrics) > 1 else 1
    nrow = math.ceil(len(metrics) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.5 * ncol, 3.6 * nrow), squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        _band(ax, ts, metric, colours)
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=min(len(labels), 5), frameon=False,
               bbox_to_anchor=(0.5, 1.02))
    if title:
        fig.suptitle(title, y=1.07)
    fig.tight_layout()
    return _save(fig, out)


def final_year_figure(runs: pd.DataFrame, metrics: Sequence[str], out: Path, title: str = "") -> list[Path]:
    metrics = [m for m in metrics if m in runs.columns and runs[m].notna().any()]
    if runs.empty or not metrics:
        return []
    order = regime_order(runs["regime"].unique())
    colours = palette(order)
    ncol = min(3, len(metrics))
    nrow = math.ceil(len(metrics) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.8 * ncol, 0.35 * len(order) * nrow + 1.6 * nrow),
                             squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # seaborn 0.13 passes matplotlib's `vert`
            sns.boxplot(data=runs, y="regime", x=metric, hue="regime", order=order, palette=colours,
                        ax=ax, fliersize=0, legend=False, boxprops={"alpha": 0.5})
            sns.stripplot(data=runs, y="regime", x=metric, hue="regime", order=order, palette=colours,
                          ax=ax, size=3, legend=False)
        ax.set_xlabel(f"{LABEL.get(metric, metric)}, final year")
        ax.set_ylabel("")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, out)


def kaplan_meier(durations_years: np.ndarray, closed: np.ndarray) -> stats._survival.ECDFResult | None:
    """Survival of groups: closed groups are events, groups still open are right-censored."""
    durations_years = np.asarray(durations_years, float)
    closed = np.asarray(closed, bool)
    keep = np.isfinite(durations_years)
    durations_years, closed = durations_years[keep], closed[keep]
    if durations_years.size == 0 or not closed.any():
        return None
    data = stats.CensoredData(uncensored=durations_years[closed], right=durations_years[~closed])
    return stats.ecdf(data)


def study_period(groups: pd.DataFrame) -> pd.DataFrame:
    """Group lifetimes within the recorded period (week 0 on): groups that closed during the burn-in
    are left out, and groups already open at week 0 enter then (left truncation), so the curves say
    what happened under each regime, not during the burn-in every regime shares."""
    if "founded_week" not in groups.columns:
        return groups
    end = groups["founded_week"] + groups["duration_weeks"]
    g = groups[end >= 0].copy()
    g["duration_weeks"] = end[end >= 0] - g["founded_week"].clip(lower=0)
    return g


def survival_figure(groups: pd.DataFrame, out: Path, title: str = "") -> list[Path]:
    if groups.empty or not {"duration_weeks", "closed", "regime"} <= set(groups.columns):
        return []
    groups = study_period(groups)
    colours = palette(groups["regime"].unique())
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    drawn = 0
    for regime in regime_order(groups["regime"].unique()):
        part = groups[groups["regime"] == regime]
        years = part["duration_weeks"].to_numpy(float) / WEEKS_PER_YEAR
        res = kaplan_meier(years, part["closed"].to_numpy(bool))
        if res is None:  # no closures: survival stays at 1 over the observed time
            if len(part):
                ax.step([0, np.nanmax(years)], [1, 1], where="post", color=colours[regime], label=regime)
                drawn += 1
            continue
        sf = res.sf
        x = np.concatenate([[0.0], sf.quantiles])
        y = np.concatenate([[1.0], sf.probabilities])
        ax.step(x, y, where="post", color=colours[regime], label=regime, lw=1.5)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # undefined where survival is 0 or 1
            ci = sf.confidence_interval(0.95)
        lo = np.concatenate([[1.0], ci.low.probabilities])
        hi = np.concatenate([[1.0], ci.high.probabilities])
        ax.fill_between(x, lo, hi, step="post", color=colours[regime], alpha=0.15, lw=0)
        drawn += 1
    if not drawn:
        plt.close(fig)
        return []
    ax.set_xlabel("Years since founding (or since recording began)")
    ax.set_ylabel("Groups still open (share, Kaplan-Meier)")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize=8, ncol=2)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, out)


def all_figures(tables: dict[str, pd.DataFrame], out_dir: Path, metrics: Sequence[str]) -> list[Path]:
    runs, ts, groups = tables["runs"], tables["timeseries"], tables["groups"]
    if "status" in runs.columns:
        runs = runs[runs["status"] == "completed"]
    strata = strata_columns(runs) if not runs.empty else []
    made: list[Path] = []
    many = len(_strata(runs, strata)) > 1
    for name, part in _strata(ts, strata) if not ts.empty else []:
        suffix = f"_{_slug(name)}" if many else ""
        made += timeseries_figure(part, out_dir / f"timeseries{suffix}", title=name)
        made += timeseries_figure(part, out_dir / f"local_funding_share{suffix}",
                                  metrics=("local_funding_share",), title=name)
    for name, part in _strata(runs, strata):
        suffix = f"_{_slug(name)}" if many else ""
        made += final_year_figure(part, metrics, out_dir / f"final_year{suffix}", title=name)
    for name, part in _strata(groups, strata) if not groups.empty else []:
        suffix = f"_{_slug(name)}" if many else ""
        made += survival_figure(part, out_dir / f"survival{suffix}", title=name)
    return made
