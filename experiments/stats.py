"""Pure statistics for comparing runs on paired seeds (no tables, no files, no figures).

Everything here takes arrays and returns numbers, so compare, dose-response and figures share one
set of definitions:

* :func:`mean_ci`: a mean and its t interval, clipped to the quantity's range (a share stays in
  [0, 1], a count never goes below 0) -- see :func:`value_range`;
* :func:`paired_difference`: mean of paired differences, paired bootstrap CI, Wilcoxon signed-rank
  p-value, and whether the differences have no spread at all (fixed by design: no p-value then);
* :func:`interaction`: the difference of paired differences per seed (a two-factor contrast);
* :func:`holm`: Holm's step-down adjustment of a family of p-values;
* :func:`bootstrap_mean_ci`, :func:`bootstrap_ratio_ci`: ``scipy.stats.bootstrap`` with a fixed seed.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
BOOTSTRAP_SEED = 20240611  # fixed, so the same results give the same intervals
BOOTSTRAP_RESAMPLES = 9999
ALPHA = 0.05  # the level at which a difference earns a verdict (after Holm's adjustment)

# Outcomes on a 0-1 scale besides the shares (names ending in _share or holding _share_):
# model/outcomes.py labels them "(0-1 scale)", "(0-1)", transitivity and density are 0-1 by
# definition, and the gap between neighbourhoods is a difference of two shares (max - min >= 0).
UNIT_INTERVAL = ("mean_loneliness", "mean_group_trust", "clustering", "collaboration_density",
                 "lonely_gap_neighbourhoods")


def value_range(metric: str) -> tuple[float, float]:
    """The range a metric's mean can take: [0, 1] for shares and 0-1 scales, [0, inf) for the
    other outcomes (counts, hours, ties, money, rates: none of them can be negative in the model),
    and (-inf, inf) for anything not named as an outcome (a difference, a derived quantity)."""
    from model import OUTCOME_NAMES

    if metric.endswith("_share") or "_share_" in metric or metric in UNIT_INTERVAL:
        return 0.0, 1.0
    if metric in OUTCOME_NAMES:
        return 0.0, math.inf
    return -math.inf, math.inf


def _finite(x: Sequence[float]) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a[np.isfinite(a)]


def mean_ci(x: Sequence[float], confidence: float = CONFIDENCE,
            bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    """Mean and its t-based confidence interval, clipped to ``bounds`` (NaN interval below two
    values). Clipping keeps an interval inside what the quantity can be (a share near 0 with few
    replicates would otherwise reach below 0); the interval's coverage can only improve."""
    a = _finite(x)
    if a.size == 0:
        return math.nan, math.nan, math.nan
    m = float(a.mean())
    if a.size < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    lo, hi = bounds
    return m, max(m - half, lo), min(m + half, hi)


def no_spread(a: np.ndarray) -> bool:
    """True when every value is the same (to within rounding of sums of money and shares)."""
    if a.size < 2:
        return False
    scale = max(1.0, float(np.max(np.abs(a))))
    return bool(np.ptp(a) <= 1e-9 * scale)


def bootstrap_mean_ci(a: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Bootstrap CI of a mean (BCa, falling back to percentile when BCa is undefined)."""
    a = _finite(a)
    if a.size < 2:
        return math.nan, math.nan
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


def bootstrap_ratio_ci(num: np.ndarray, den: np.ndarray,
                       confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Paired percentile bootstrap CI of mean(num) / mean(den); inf where the resampled
    denominator is not positive (nothing averted in that resample)."""
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


def wilcoxon(a: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (1 when all are zero)."""
    a = _finite(a)
    if a.size == 0:
        return math.nan
    if np.all(a == 0):
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.wilcoxon(a).pvalue)


def paired_difference(d: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, float | bool]:
    """Mean paired difference, its bootstrap CI, the Wilcoxon signed-rank p-value, and
    ``fixed_by_design``: the differences have no spread (e.g. council spend set by the budget), so
    the difference is known exactly, the interval is the value and there is no p-value."""
    a = _finite(d)
    out: dict[str, float | bool] = {"n_pairs": int(a.size), "diff_mean": math.nan,
                                    "diff_ci_low": math.nan, "diff_ci_high": math.nan,
                                    "p_value": math.nan, "fixed_by_design": False}
    if a.size == 0:
        return out
    out["diff_mean"] = float(a.mean())
    if a.size < 2:
        return out
    if no_spread(a):
        out["diff_ci_low"] = out["diff_ci_high"] = out["diff_mean"]
        out["fixed_by_design"] = True
        return out
    out["diff_ci_low"], out["diff_ci_high"] = bootstrap_mean_ci(a, confidence)
    out["p_value"] = wilcoxon(a)
    return out


def interaction(a1b1: Sequence[float], a0b1: Sequence[float], a1b0: Sequence[float],
                a0b0: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, float | bool]:
    """The interaction of two factors on matched seeds: per seed (A1B1 - A0B1) - (A1B0 - A0B0),
    i.e. how much more factor A's effect is at level B1 than at B0. Returns ``n_pairs``,
    ``estimate`` (mean over seeds), ``ci_low``/``ci_high`` (bootstrap), ``p_value`` (Wilcoxon) and
    ``fixed_by_design``; the four arrays are aligned by seed."""
    arrays = [np.asarray(x, dtype=float) for x in (a1b1, a0b1, a1b0, a0b0)]
    d = (arrays[0] - arrays[1]) - (arrays[2] - arrays[3])
    res = paired_difference(d, confidence)
    return {"n_pairs": res["n_pairs"], "estimate": res["diff_mean"], "ci_low": res["diff_ci_low"],
            "ci_high": res["diff_ci_high"], "p_value": res["p_value"],
            "fixed_by_design": res["fixed_by_design"]}


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values of one family (NaNs are not part of the family and stay
    NaN). Sorted ascending, the i-th of m p-values becomes max over j <= i of min(1, (m - j) p_j)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, math.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adjusted)
    return out


def verdict(direction: str | None, lo: float, hi: float, p: float, fixed: bool = False,
            diff: float = math.nan, alpha: float = ALPHA) -> str:
    """'better', 'worse' or '' for a difference (level minus baseline) of an outcome whose
    ``direction`` is 'lower' or 'higher' is better. Needs the CI to exclude 0 and ``p`` (Holm-
    adjusted) below ``alpha``; a difference fixed by design is judged by its sign."""
    if direction is None:
        return ""
    if fixed:
        if not math.isfinite(diff) or diff == 0:
            return ""
        up = diff > 0
    else:
        if not all(isinstance(v, float) and math.isfinite(v) for v in (lo, hi, p)):
            return ""
        if p >= alpha or (lo <= 0 <= hi):
            return ""
        up = lo > 0
    return "better" if up == (direction == "higher") else "worse"
