"""Figures of a sweep, in the project's one style (``experiments.style``).

Every figure is drawn at print size (7 in wide) and written as PNG (300 dpi) and PDF (TrueType
fonts). Figures take data (the runs, time-series and group tables of a sweep, and the comparison
table) and compute nothing that the tables report differently: the statistics live in
``experiments.compare`` (which calls these functions), never here.

- ``timeseries_figure``: yearly means of a few outcomes per regime, thin 95% CI bands, one legend
  below the panels;
- ``final_year_figure``: final-year means with 95% CIs and every replicate, up to 8 panels;
  quantities constant by design (council spend, local funding share) are left to a table;
- ``forest_figure``: paired differences against the baseline with 95% CIs, a zero line and the
  direction in which each outcome is better;
- ``survival_figure``: Kaplan-Meier curves, separately for groups founded during the study and
  groups already open at its start (these enter the risk set at the study start).
"""

from __future__ import annotations

import math
import re
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments import style, tables
from experiments.store import SEED_COLUMNS, condition_names
from experiments.tables import strata_of as comparison_strata
from model import DIRECTION
from model.regimes import regime_label, regime_order

plt = style.plt
TIMESERIES_METRICS = ("lonely_share", "mean_close_ties", "active_groups", "volunteer_share")
DESIGN_QUANTITIES = tables.DESIGN_QUANTITIES  # set by the council: a table, not a panel
MAX_PANELS = 8  # more panels than this at 7 in wide makes each too small to read
WEEKS_PER_YEAR = 52
palette = style.palette  # one colour per regime, kept here for older callers


# --------------------------------------------------------------------------------------------
# Data helpers
# --------------------------------------------------------------------------------------------


def strata_columns(runs: pd.DataFrame) -> list[str]:
    """Condition columns other than the regime and the seeds that take more than one value."""
    return [c for c in condition_names(runs)
            if c != "regime" and c not in SEED_COLUMNS and runs[c].nunique(dropna=False) > 1]


def strata(df: pd.DataFrame, cols: Sequence[str]) -> list[tuple[str, pd.DataFrame]]:
    """(plain name, rows) per stratum ("funding = austerity"); one unnamed stratum if none vary."""
    cols = [c for c in cols if c in df.columns]
    if not cols:
        return [("", df)]
    out = []
    for key, part in df.groupby(cols, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        out.append((", ".join(f"{c} = {v}" for c, v in zip(cols, key, strict=True)), part))
    return out


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text.replace(" = ", "-")).strip("-")


def constant_by_design(runs: pd.DataFrame, metric: str) -> bool:
    """True when no regime's replicates differ in this outcome (e.g. council spend is set by the
    budget): such a quantity is reported in a table, not drawn as a panel of identical dots."""
    if metric not in runs.columns or runs[metric].notna().sum() == 0:
        return False
    for _, vals in runs.groupby("regime")[metric]:
        v = vals.dropna().to_numpy(float)
        if v.size > 1 and np.ptp(v) > 1e-9 * max(1.0, float(np.abs(v).max())):
            return False
    return True


def replicates(df: pd.DataFrame) -> int:
    """Replicates per regime (the smallest, when regimes differ)."""
    if df.empty or "regime" not in df.columns:
        return 0
    key = "seed" if "seed" in df.columns else "replicate"
    return int(df.groupby("regime")[key].nunique().min())


def _time_axis(ts: pd.DataFrame) -> pd.Series:
    if "week" in ts.columns:  # weeks since the study (recording) began
        return ts["week"].astype(float) / WEEKS_PER_YEAR
    return ts["year"].astype(float)


def yearly_means(ts: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per regime and study year: the mean over replicates of each replicate's yearly mean, and its
    95% t-interval (columns regime, year, mean, ci_low, ci_high, n). Year y covers weeks
    [52(y-1), 52y); shares stay within 0-1 and counts above 0."""
    t = _time_axis(ts)
    year = np.floor(t).astype(int) + 1
    key = "seed" if "seed" in ts.columns else "replicate"
    per = (ts.assign(_year=year).groupby(["regime", key, "_year"])[metric].mean().reset_index())
    rows = []
    for (regime, y), g in per.groupby(["regime", "_year"]):
        v = g[metric].dropna().to_numpy(float)
        m = float(v.mean()) if v.size else math.nan
        half = (float(stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
                if v.size > 1 else math.nan)
        lo, hi = m - half, m + half
        if metric.endswith("share") or style.is_share(metric):
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        elif lo < 0 <= v.min():
            lo = 0.0
        rows.append({"regime": regime, "year": int(y), "mean": m, "ci_low": lo, "ci_high": hi, "n": v.size})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Time series
# --------------------------------------------------------------------------------------------


def timeseries_figure(ts: pd.DataFrame, out: Path, metrics: Sequence[str] = TIMESERIES_METRICS,
                      title: str = "") -> list[Path]:
    """Yearly means per regime with thin 95% CI bands: up to four outcomes in a 2 x 2 grid, 7 in
    wide, one legend below the panels."""
    metrics = [m for m in metrics if m in ts.columns and ts[m].notna().any()][:MAX_PANELS]
    if ts.empty or not metrics:
        return []
    names = regime_order(ts["regime"].unique())
    # regimes with a line to draw (no funding has no council spend, so no local share of it)
    drawn = [r for r in names if ts.loc[ts["regime"] == r, list(metrics)].notna().any().any()]
    ncol = 2 if len(metrics) > 1 else 1
    nrow = math.ceil(len(metrics) / ncol)
    width = style.WIDTH_DOUBLE if ncol == 2 else style.WIDTH_SINGLE
    fig, axes = plt.subplots(nrow, ncol, figsize=(width, 2.1 * nrow + 0.2), squeeze=False,
                             sharex=True, layout="constrained")
    # with many regimes, overlapping bands turn to mud: then only the first (baseline) regime's
    # band, and none when the baseline has no line
    banded = drawn if len(names) <= 3 else [r for r in names[:1] if r in drawn]
    for ax, metric in zip(axes.flat, metrics, strict=False):
        ym = yearly_means(ts, metric)
        k = style.scale(metric)
        for regime in names:
            part = ym[ym["regime"] == regime]
            if part.empty:
                continue
            s = style.regime_style(regime, names)
            ax.plot(part["year"], part["mean"] * k, color=s["color"], linestyle=s["linestyle"],
                    marker=s["marker"], markersize=3, lw=1.1)
            if regime in banded:
                ax.fill_between(part["year"], part["ci_low"] * k, part["ci_high"] * k, color=s["color"],
                                alpha=0.12, lw=0)
        # on two lines when longer than a panel is tall (about 26 characters at 2.1 in a row)
        ax.set_ylabel(textwrap.fill(style.outcome_label(metric), 26, break_long_words=False))
        style.format_axis(ax, metric)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    for ax in axes[-1]:
        ax.set_xlabel("Study year")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    handles, labels = style.regime_handles(names)
    keep = [k for k, r in enumerate(regime_order(names)) if r in drawn]
    handles, labels = [handles[k] for k in keep], [labels[k] for k in keep]
    note = style.ci_note(replicates(ts)) if banded else None
    if banded and banded != drawn:
        note = note.replace("Shaded:", f"Shaded: {regime_label(banded[0])},")
    style.legend_below(fig, handles, labels, title=note, ncol=min(len(labels), 4 if ncol == 2 else 2))
    if title:
        fig.suptitle(title)
    return style.save(fig, out)


# --------------------------------------------------------------------------------------------
# Final year
# --------------------------------------------------------------------------------------------


def final_year_figure(runs: pd.DataFrame, metrics: Sequence[str], out: Path, title: str = "") -> list[Path]:
    """Final-year mean and 95% CI per regime (black) over every replicate (coloured dots); outcomes
    constant by design are left out (they go to a table). At most 8 panels, 7 in wide."""
    metrics = [m for m in metrics if m in runs.columns and runs[m].notna().any()
               and m not in DESIGN_QUANTITIES and not constant_by_design(runs, m)][:MAX_PANELS]
    if runs.empty or not metrics:
        return []
    names = regime_order(runs["regime"].unique())
    ncol = 2 if len(metrics) > 1 else 1
    nrow = math.ceil(len(metrics) / ncol)
    per_panel = 0.16 * len(names) + 0.55
    fig, axes = plt.subplots(nrow, ncol, figsize=(style.WIDTH_DOUBLE, per_panel * nrow + 0.3),
                             squeeze=False, sharey=True, layout="constrained")
    rng = np.random.default_rng(0)  # jitter only: where dots sit vertically, not the data
    ypos = {r: i for i, r in enumerate(names)}
    for ax, metric in zip(axes.flat, metrics, strict=False):
        k = style.scale(metric)
        for regime in names:
            v = runs.loc[runs["regime"] == regime, metric].dropna().to_numpy(float) * k
            if v.size == 0:
                continue
            s = style.regime_style(regime, names)
            y = ypos[regime]
            ax.scatter(v, y + rng.uniform(-0.2, 0.2, v.size), s=9, color=s["color"], alpha=0.7,
                       marker=s["marker"], linewidths=0)
            m = v.mean()
            if v.size > 1:
                half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
                ax.errorbar(m, y, xerr=half, fmt="none", ecolor="black", elinewidth=1.0, capsize=2)
            ax.plot(m, y, marker="|", color="black", markersize=8, mew=1.4)
        ax.set_xlabel(style.outcome_label(metric))
        style.format_axis(ax, metric, axis="x")
        ax.set_yticks(range(len(names)), [regime_label(r) for r in names])
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.grid(axis="x", lw=0.3, color="0.85")
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return style.save(fig, out)


# --------------------------------------------------------------------------------------------
# Forest plot of paired differences
# --------------------------------------------------------------------------------------------


def forest_figure(table: pd.DataFrame, out: Path, metrics: Sequence[str] | None = None,
                  title: str = "") -> list[Path]:
    """Paired differences against the baseline (``diff_mean`` with ``diff_ci_low/high`` of the
    comparison table), one panel per outcome and one row per regime; a filled marker where the
    Holm-adjusted p-value is below 0.05. Rows fixed by design are left out."""
    need = {"level", "baseline", "metric", "diff_mean", "diff_ci_low", "diff_ci_high"}
    if table.empty or not need <= set(table.columns):
        return []
    t = table[(table["level"] != table["baseline"]) & table["diff_mean"].notna()]
    if "fixed_by_design" in t.columns:
        t = t[~t["fixed_by_design"].fillna(False).astype(bool)]
    t = t[~t["metric"].isin(DESIGN_QUANTITIES)]
    order = list(dict.fromkeys(metrics or t["metric"]))
    order = [m for m in order if m in set(t["metric"])][:MAX_PANELS]
    if not order:
        return []
    names = regime_order(t["level"].unique())
    ncol = 2 if len(order) > 1 else 1
    nrow = math.ceil(len(order) / ncol)
    per_panel = 0.17 * len(names) + 0.75
    fig, axes = plt.subplots(nrow, ncol, figsize=(style.WIDTH_DOUBLE, per_panel * nrow + 0.3),
                             squeeze=False, sharey=True, layout="constrained")
    ypos = {r: i for i, r in enumerate(names)}
    for ax, metric in zip(axes.flat, order, strict=False):
        k = style.scale(metric)
        rows = t[t["metric"] == metric]
        for r in rows.itertuples():
            s = style.regime_style(r.level, names)
            lo, hi = r.diff_ci_low * k, r.diff_ci_high * k
            sig = getattr(r, "p_holm", math.nan)
            filled = isinstance(sig, float) and math.isfinite(sig) and sig < 0.05
            if math.isfinite(lo) and math.isfinite(hi):
                ax.plot([lo, hi], [ypos[r.level]] * 2, color=s["color"], lw=1.4,
                        linestyle="-")
            ax.plot(r.diff_mean * k, ypos[r.level], marker=s["marker"], color=s["color"], markersize=4.5,
                    markerfacecolor=s["color"] if filled else "white", mew=1.0)
        ax.axvline(0, color="0.3", lw=0.7, zorder=0)
        unit = style.diff_unit(metric)
        label = f"Difference{f' ({unit})' if unit else ''}"
        d = DIRECTION.get(metric)
        if d == "higher":
            label = f"{label}   better \u2192"
        elif d == "lower":
            label = f"\u2190 better   {label}"
        ax.set_xlabel(label)
        ax.set_title(style.outcome_label(metric, unit=False), loc="left")
        style.format_axis(ax, metric, axis="x")
        lo, hi = ax.get_xlim()
        span = max(abs(lo), abs(hi))
        ax.set_xlim(-span * 1.05, span * 1.05)  # symmetric about zero: both directions have room
        ax.xaxis.set_major_locator(plt.MaxNLocator(5, symmetric=True))
        ax.set_yticks(range(len(names)), [regime_label(r) for r in names])
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.grid(axis="x", lw=0.3, color="0.85")
    for ax in list(axes.flat)[len(order):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return style.save(fig, out)


# --------------------------------------------------------------------------------------------
# Survival of groups
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Survival:
    """A product-limit (Kaplan-Meier) survival curve: S(t) just after each event time."""

    times: np.ndarray  # distinct event times
    survival: np.ndarray  # S(t) at those times
    at_risk: np.ndarray  # number at risk just before each time
    events: np.ndarray  # events at each time

    def evaluate(self, t: Sequence[float] | float) -> np.ndarray:
        """S(t), a right-continuous step function (1 before the first event)."""
        t = np.atleast_1d(np.asarray(t, float))
        idx = np.searchsorted(self.times, t, side="right") - 1
        return np.where(idx >= 0, self.survival[np.clip(idx, 0, None)] if self.times.size else 1.0, 1.0)


def product_limit(exit: Sequence[float], event: Sequence[bool], entry: Sequence[float] | None = None
                  ) -> Survival:
    """Kaplan-Meier estimate with delayed entry (left truncation). A subject is at risk at time t
    when entry < t <= exit; S(t) = prod over event times u <= t of (1 - d(u) / n(u)). With all
    entries at 0 this is the ordinary Kaplan-Meier estimate."""
    exit = np.asarray(exit, float)
    event = np.asarray(event, bool)
    entry = np.zeros_like(exit) if entry is None else np.asarray(entry, float)
    keep = np.isfinite(exit) & np.isfinite(entry) & (exit >= entry)
    exit, event, entry = exit[keep], event[keep], entry[keep]
    times = np.unique(exit[event])
    n = np.array([np.sum((entry < u) & (exit >= u)) for u in times], float)
    d = np.array([np.sum((exit == u) & event) for u in times], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 0, 1.0 - d / n, 1.0)
    return Survival(times, np.cumprod(factor), n.astype(int), d.astype(int))


def kaplan_meier(durations_years: np.ndarray, closed: np.ndarray) -> stats._survival.ECDFResult | None:
    """Survival of groups with every group entering at 0 (scipy's estimator); kept for callers
    that want scipy's confidence intervals."""
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
    are left out, and groups already open at week 0 enter then (left truncation)."""
    if "founded_week" not in groups.columns:
        return groups
    end = groups["founded_week"] + groups["duration_weeks"]
    g = groups[end >= 0].copy()
    g["duration_weeks"] = end[end >= 0] - g["founded_week"].clip(lower=0)
    return g


def survival_cohorts(groups: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The two cohorts with their own clocks (columns regime, entry, exit, closed, in years):
    ``founded``: groups founded during the study, from their founding;
    ``existing``: groups open at the study start, from the study start (they enter the risk set
    there: their years before it are not at risk in this study)."""
    if "founded_week" not in groups.columns:
        g = groups.assign(entry=0.0, exit=groups["duration_weeks"] / WEEKS_PER_YEAR)
        return {"founded": g[["regime", "entry", "exit", "closed"]], "existing": g.iloc[0:0]}
    end = groups["founded_week"] + groups["duration_weeks"]
    alive = groups[end >= 0]
    endw = end[end >= 0]
    new = alive["founded_week"] >= 0
    founded = pd.DataFrame({"regime": alive["regime"][new], "entry": 0.0,
                            "exit": alive["duration_weeks"][new] / WEEKS_PER_YEAR,
                            "closed": alive["closed"][new].astype(bool)})
    existing = pd.DataFrame({"regime": alive["regime"][~new], "entry": 0.0,
                             "exit": endw[~new] / WEEKS_PER_YEAR,
                             "closed": alive["closed"][~new].astype(bool)})
    return {"founded": founded, "existing": existing}


COHORT_TITLES = {"founded": "Groups founded during the study", "existing": "Groups open at the study start"}
COHORT_XLABEL = {"founded": "Years since founding", "existing": "Years since the study start"}


def survival_figure(groups: pd.DataFrame, out: Path, title: str = "") -> list[Path]:
    """Kaplan-Meier curves per regime (replicates pooled), one panel per cohort."""
    if groups.empty or not {"duration_weeks", "closed", "regime"} <= set(groups.columns):
        return []
    cohorts = {k: v for k, v in survival_cohorts(groups).items() if len(v)}
    if not cohorts:
        return []
    names = regime_order(groups["regime"].unique())
    fig, axes = plt.subplots(1, len(cohorts), figsize=(style.WIDTH_DOUBLE, 2.6), squeeze=False,
                             layout="constrained")
    for ax, (name, g) in zip(axes.flat, cohorts.items(), strict=True):
        for regime in names:
            part = g[g["regime"] == regime]
            if part.empty:
                continue
            s = style.regime_style(regime, names)
            km = product_limit(part["exit"], part["closed"], part["entry"])
            end = float(part["exit"].max())
            x = np.concatenate([[0.0], km.times, [end]])
            y = np.concatenate([[1.0], km.survival, [km.survival[-1] if km.times.size else 1.0]]) * 100
            ax.step(x, y, where="post", color=s["color"], linestyle=s["linestyle"], lw=1.1)
        ax.set_title(f"{COHORT_TITLES[name]} (n = {len(g):,})", loc="left")
        ax.set_xlabel(COHORT_XLABEL[name])
        ax.set_ylabel("Groups still open (%)")
        ax.set_ylim(0, 102)
        ax.grid(axis="y", lw=0.3, color="0.85")
    handles, labels = style.regime_handles(names, marker=False)
    style.legend_below(fig, handles, labels, title="Kaplan-Meier estimate, replicates pooled")
    if title:
        fig.suptitle(title)
    return style.save(fig, out)


# --------------------------------------------------------------------------------------------
# All figures of a comparison
# --------------------------------------------------------------------------------------------


def all_figures(tables: dict[str, pd.DataFrame], out_dir: Path, metrics: Sequence[str],
                comparison: pd.DataFrame | None = None) -> list[Path]:
    """Every figure of a sweep, per stratum when other conditions than the regime vary."""
    runs, ts, groups = tables["runs"], tables["timeseries"], tables["groups"]
    if "status" in runs.columns:
        runs = runs[runs["status"] == "completed"]
    cols = strata_columns(runs) if not runs.empty else []
    made: list[Path] = []
    many = len(strata(runs, cols)) > 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, part in strata(ts, cols) if not ts.empty else []:
            suffix = f"_{slug(name)}" if many else ""
            made += timeseries_figure(part, out_dir / f"timeseries{suffix}", title=name)
            made += timeseries_figure(part, out_dir / f"local_funding_share{suffix}",
                                      metrics=("local_funding_share",), title=name)
        for name, part in strata(runs, cols):
            suffix = f"_{slug(name)}" if many else ""
            made += final_year_figure(part, metrics, out_dir / f"final_year{suffix}", title=name)
        if comparison is not None and not comparison.empty:
            # the comparison's own strata: the runs' other conditions when regimes are compared, the
            # regime when funding paths are (compare --by funding); one unnamed figure drew every
            # regime's contrast on one row, unlabelled, as "differences_.png"
            cparts = strata(comparison, comparison_strata(comparison))
            for name, part in cparts:
                suffix = f"_{slug(name)}" if len(cparts) > 1 else ""
                made += forest_figure(part, out_dir / f"differences{suffix}", metrics=metrics,
                                      title=name)
        for name, part in strata(groups, cols) if not groups.empty else []:
            suffix = f"_{slug(name)}" if many else ""
            made += survival_figure(part, out_dir / f"survival{suffix}", title=name)
    return made
