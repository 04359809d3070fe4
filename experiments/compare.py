"""Compare regimes: means with 95% CIs, paired differences against a baseline, cost per outcome.

Replicate k of every regime ran with the same seed, so regimes are compared on matched runs: a row
of one regime is paired with the row of the baseline regime that agrees on the seed and on every
other condition column (place, funding, any swept parameter). Differences get a bootstrap 95% CI
(``scipy.stats.bootstrap`` on the paired differences, fixed seed) and a Wilcoxon signed-rank p-value.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments.store import SEED_COLUMNS, atomic_write_parquet, atomic_write_text, condition_names, load
from model import DIRECTION, OUTCOME_NAMES
from model.regimes import all_regimes
from model.regimes import regime_order as _regime_order

DEFAULT_METRICS = (
    "lonely_share",
    "chronic_lonely_share",
    "mean_close_ties",
    "isolated_share",
    "volunteer_share",
    "membership_share",
    "active_groups",
    "local_funding_share",
    "council_spend",
)
# The fixed order of regimes in every table and figure (unknown names follow, alphabetically),
# derived from the regime registry (model/regimes.py).
REGIME_ORDER = tuple(all_regimes())
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 20240611  # fixed, so the same results give the same intervals
BOOTSTRAP_RESAMPLES = 9999
COST_FOOTNOTE = (
    "Cost per lonely-person-year averted = sum over matched seeds of (council spend over the horizon "
    "under the regime - the same under `none`) / sum over matched seeds of (lonely share under `none` "
    "- lonely share under the regime) x residents x horizon years; spend is the mean yearly "
    "`council_spend` x horizon years and lonely shares are averaged over the horizon. 95% CI: paired "
    "percentile bootstrap over seeds. Blank when the regime averted no loneliness on average."
)


@dataclass(slots=True)
class CompareResult:
    table: pd.DataFrame
    cost: pd.DataFrame
    baseline: str
    csv: Path
    markdown: Path
    cost_csv: Path
    figures_dir: Path
    figures: list[Path] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Columns
# --------------------------------------------------------------------------------------------


def key_columns(runs: pd.DataFrame) -> list[str]:
    """Columns that identify a row's conditions and seed (regime, other conditions, seeds)."""
    return condition_names(runs)


def strata_columns(runs: pd.DataFrame) -> list[str]:
    """Condition columns other than the regime and the seeds that take more than one value."""
    return [c for c in key_columns(runs)
            if c != "regime" and c not in SEED_COLUMNS and runs[c].nunique(dropna=False) > 1]


def regime_order(regimes: Sequence[str]) -> list[str]:
    return _regime_order(regimes)


def default_baseline(regimes: Sequence[str]) -> str:
    order = regime_order(regimes)
    for name in ("none", "status_quo"):
        if name in order:
            return name
    return order[0]


def _keys_filled(runs: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    out = runs.copy()
    for c in cols:
        out[c] = out[c].astype(object).where(out[c].notna(), "")
    return out


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def mean_ci(x: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and its t-based confidence interval (NaN interval below two values)."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return math.nan, math.nan, math.nan
    m = float(a.mean())
    if a.size < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return m, m - half, m + half


def paired_difference(d: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, float]:
    """Mean paired difference, its bootstrap CI and the Wilcoxon signed-rank p-value."""
    a = np.asarray(d, dtype=float)
    a = a[np.isfinite(a)]
    out = {"n_pairs": int(a.size), "diff_mean": math.nan, "diff_ci_low": math.nan,
           "diff_ci_high": math.nan, "p_value": math.nan}
    if a.size == 0:
        return out
    out["diff_mean"] = float(a.mean())
    if a.size < 2:
        return out
    if np.all(a == a[0]):  # no spread: the interval is the value; no evidence of a shift if zero
        out["diff_ci_low"] = out["diff_ci_high"] = float(a[0])
        out["p_value"] = 1.0 if a[0] == 0 else _wilcoxon(a)
        return out
    lo, hi = _bootstrap_mean(a, confidence)
    out["diff_ci_low"], out["diff_ci_high"] = lo, hi
    out["p_value"] = _wilcoxon(a)
    return out


def _bootstrap_mean(a: np.ndarray, confidence: float) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in ("BCa", "percentile"):
            res = stats.bootstrap((a,), np.mean, confidence_level=confidence, method=method,
                                  n_resamples=BOOTSTRAP_RESAMPLES, vectorized=True,
                                  rng=np.random.default_rng(BOOTSTRAP_SEED))
            lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
            if math.isfinite(lo) and math.isfinite(hi):
                return lo, hi
    return math.nan, math.nan


def _wilcoxon(a: np.ndarray) -> float:
    if np.all(a == 0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(a).pvalue)


def verdict(metric: str, row: dict[str, float], alpha: float = 0.05) -> str:
    """'better', 'worse' or '' (no clear difference, or no direction) for a regime vs the baseline."""
    direction = DIRECTION.get(metric)
    lo, hi, p = row.get("diff_ci_low"), row.get("diff_ci_high"), row.get("p_value")
    if direction is None or not all(isinstance(v, float) and math.isfinite(v) for v in (lo, hi, p)):
        return ""
    if p >= alpha or (lo <= 0 <= hi):
        return ""
    up = lo > 0
    return "better" if up == (direction == "higher") else "worse"


def paired_table(
    runs: pd.DataFrame, metric: str, regime: str, baseline: str, match: Sequence[str]
) -> pd.DataFrame:
    """Matched pairs (regime, baseline) of one metric, joined on the match columns."""
    a = runs.loc[runs["regime"] == regime, [*match, metric]]
    b = runs.loc[runs["regime"] == baseline, [*match, metric]]
    return a.merge(b, on=list(match), suffixes=("", "_baseline"), validate="one_to_one")


def _completed_strata(runs: pd.DataFrame):
    """Completed runs, split by stratum (the other swept settings): yields the stratum's values, its
    runs, and the columns that match a regime's replicate to the baseline's (seed and settings)."""
    ok = runs[runs["status"] == "completed"] if "status" in runs else runs
    keys = key_columns(ok)
    strata = strata_columns(ok)
    match = [c for c in keys if c != "regime"]
    ok = _keys_filled(ok, keys)
    groups = ok.groupby(strata, sort=True, dropna=False) if strata else [((), ok)]
    for skey, part in groups:
        skey = skey if isinstance(skey, tuple) else (skey,)
        yield dict(zip(strata, skey, strict=True)), part, match


def summarise(runs: pd.DataFrame, metrics: Sequence[str], baseline: str) -> pd.DataFrame:
    """Per stratum, regime and metric: mean [95% CI], and the paired difference to the baseline."""
    rows = []
    for stratum, part, match in _completed_strata(runs):
        for metric in metrics:
            for regime in regime_order(part["regime"].unique()):
                vals = part.loc[part["regime"] == regime, metric]
                m, lo, hi = mean_ci(vals)
                row = {**stratum, "metric": metric, "regime": regime,
                       "baseline": baseline, "n": int(vals.notna().sum()), "mean": m,
                       "ci_low": lo, "ci_high": hi}
                if regime != baseline and baseline in set(part["regime"]):
                    pairs = paired_table(part, metric, regime, baseline, match)
                    d = pairs[metric].to_numpy(float) - pairs[f"{metric}_baseline"].to_numpy(float)
                    row.update(paired_difference(d))
                else:
                    row.update({"n_pairs": 0, "diff_mean": math.nan, "diff_ci_low": math.nan,
                                "diff_ci_high": math.nan, "p_value": math.nan})
                row["verdict"] = verdict(metric, row)
                rows.append(row)
    return pd.DataFrame(rows)


def cost_effectiveness(runs: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Cost per lonely-person-year averted against `none` on the same seeds (see COST_FOOTNOTE)."""
    need = {"spend_total", "lonely_person_years", "regime"}
    if not need <= set(runs.columns) or "none" not in set(runs["regime"]):
        return pd.DataFrame()
    rows = []
    for stratum, part, match in _completed_strata(runs):
        for regime in regime_order(part["regime"].unique()):
            if regime == "none":
                continue
            cols = [*match, "spend_total", "lonely_person_years"]
            a = part.loc[part["regime"] == regime, cols]
            b = part.loc[part["regime"] == "none", cols]
            pairs = a.merge(b, on=match, suffixes=("", "_none"), validate="one_to_one").dropna(
                subset=["spend_total", "lonely_person_years", "spend_total_none",
                        "lonely_person_years_none"])
            spend = pairs["spend_total"].to_numpy(float) - pairs["spend_total_none"].to_numpy(float)
            averted = (pairs["lonely_person_years_none"].to_numpy(float)
                       - pairs["lonely_person_years"].to_numpy(float))
            row = {**stratum, "regime": regime, "n_pairs": len(pairs),
                   "spend_over_horizon": float(spend.mean()) if len(pairs) else math.nan,
                   "lonely_person_years_averted": float(averted.mean()) if len(pairs) else math.nan,
                   "cost_per_lonely_person_year_averted": math.nan, "ci_low": math.nan,
                   "ci_high": math.nan}
            if len(pairs) and averted.mean() > 0:
                row["cost_per_lonely_person_year_averted"] = float(spend.sum() / averted.sum())
                if len(pairs) >= 2:
                    row["ci_low"], row["ci_high"] = _ratio_ci(spend, averted, confidence)
            rows.append(row)
    return pd.DataFrame(rows)


def _ratio_ci(num: np.ndarray, den: np.ndarray, confidence: float) -> tuple[float, float]:
    def ratio(n: np.ndarray, d: np.ndarray, axis: int = -1) -> np.ndarray:
        dm = d.mean(axis=axis)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(dm > 0, n.mean(axis=axis) / dm, np.inf)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap((num, den), ratio, paired=True, vectorized=True, method="percentile",
                              confidence_level=confidence, n_resamples=BOOTSTRAP_RESAMPLES,
                              rng=np.random.default_rng(BOOTSTRAP_SEED))
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return lo, (hi if math.isfinite(hi) else math.inf)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def markdown(table: pd.DataFrame, cost: pd.DataFrame, baseline: str, source: str) -> str:
    """The comparison as Markdown for people: written by ``experiments.tables``."""
    from experiments.tables import markdown as _markdown

    return _markdown(table, cost, baseline, source)


def compare(
    path: Path,
    baseline: str | None = None,
    metrics: Sequence[str] | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    figures: bool = True,
) -> CompareResult:
    """Write ``compare/comparison.csv``, ``comparison.md``, ``cost_effectiveness.csv`` and figures
    for the sweep (or single run) at ``path``."""
    path = Path(path)
    tables = tables if tables is not None else load(path)
    runs = tables["runs"]
    if runs.empty or "regime" not in runs.columns:
        raise ValueError(f"no completed runs to compare in {path}")
    metrics = list(metrics or [m for m in DEFAULT_METRICS if m in runs.columns])
    unknown = [m for m in metrics if m not in runs.columns]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; choose from: {', '.join(OUTCOME_NAMES)}")
    regimes = regime_order(runs["regime"].dropna().unique())
    baseline = baseline or default_baseline(regimes)
    if baseline not in regimes:
        raise ValueError(f"baseline regime '{baseline}' is not in these results; choose from: "
                         f"{', '.join(regimes)}")
    table = summarise(runs, metrics, baseline)
    cost = cost_effectiveness(runs)
    out = path / "compare"
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "comparison.csv"
    atomic_write_text(csv, table.to_csv(index=False))
    cost_csv = out / "cost_effectiveness.csv"
    atomic_write_text(cost_csv, cost.to_csv(index=False))
    atomic_write_parquet(out / "comparison.parquet", table)
    md = out / "comparison.md"
    atomic_write_text(md, markdown(table, cost, baseline, path.name))
    fig_dir = out / "figures"
    made: list[Path] = []
    if figures:
        from experiments.figures import all_figures
        from experiments.tables import normalise

        made = all_figures(tables, fig_dir, metrics=metrics, comparison=normalise(table))
    return CompareResult(table, cost, baseline, csv, md, cost_csv, fig_dir, made)
