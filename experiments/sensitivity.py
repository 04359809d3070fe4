"""Global sensitivity analysis of a design study (SALib): Morris screening and Sobol indices.

The quantity analysed is an outcome in one regime (``metric``), or a paired contrast between two
regimes (``"competitive_tender - grants on active_groups"``): computed per seed (the same seed in both
regimes and at every point: common random numbers), then averaged over replicates at each point.
The share of variance due to replicate noise is reported: the mean within-point variance over
replicates divided by the total variance of the per-replicate values.

Morris needs a Morris design; direct Sobol indices need a Saltelli design (``--method saltelli`` in
``resilience design``). ``emulator=True`` fits a Gaussian-process emulator to any design
(``experiments.emulator.fit_emulator``) and computes Sobol indices on it from a large Saltelli sample.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.design import FINISHED, load_study
from model.params import ConfigError

CONTRAST = re.compile(r"^\s*(?P<a>[\w.]+)\s+-\s+(?P<b>[\w.]+)\s+on\s+(?P<metric>[\w.]+)\s*$")
EMULATOR_N = 4096  # Saltelli base sample on the emulator: (d + 2) N cheap predictions; the CI of each
# index from the sample is then ~0.01, well below the emulator's own error
RESAMPLES = 1000  # bootstrap resamples for the confidence intervals (SALib's default)


@dataclass
class Quantity:
    """The analysed quantity: per-point means ``y`` and per-replicate values ``values`` (points x R)."""

    name: str
    slug: str
    y: np.ndarray
    values: np.ndarray
    noise: dict[str, float] = field(default_factory=dict)
    metric: str = ""  # the outcome (its unit and plain label in figures)
    title: str = ""  # in plain words, for figures


def noise_share(values: np.ndarray) -> dict[str, float]:
    """Replicate noise in a (points x replicates) table of per-seed values, by the one-way ANOVA
    variance components: within-point variance s2_w (mean of each point's sample variance) and
    between-point variance s2_b = var(point means) - s2_w / R (floored at 0).

    ``noise_share``: s2_w / (s2_w + s2_b), the share of the variance of single runs due to replicate
    noise; ``noise_share_of_means``: (s2_w / R) / var(point means), its share in the point means that
    the indices are computed from.
    """
    v = values[np.all(np.isfinite(values), axis=1)]
    nan = float("nan")
    if v.ndim != 2 or v.shape[1] < 2 or len(v) < 2:
        return {"noise_share": nan, "noise_share_of_means": nan, "within_var": nan, "between_var": nan}
    R = v.shape[1]
    within = float(np.mean(np.var(v, axis=1, ddof=1)))
    var_means = float(np.var(v.mean(axis=1), ddof=1))
    between = max(0.0, var_means - within / R)
    total = within + between
    return {"noise_share": within / total if total > 0 else nan,
            "noise_share_of_means": min(1.0, within / R / var_means) if var_means > 0 else nan,
            "within_var": within, "between_var": between}


def quantity(study: dict[str, Any], points: pd.DataFrame, runs: pd.DataFrame, *, metric: str | None = None,
             contrast: str | None = None, regime: str | None = None) -> Quantity:
    """The per-point quantity of a metric (in one regime) or a paired contrast between two regimes."""
    regimes = list(study["regimes"])
    if len(runs) == 0:
        raise ConfigError("the study has no finished runs yet; run resilience design first")
    ok = runs[runs["status"].isin(FINISHED)]  # a design's finished runs, or a calibration wave's
    if contrast is not None:
        m = CONTRAST.match(contrast)
        if not m:
            raise ConfigError(f"contrast '{contrast}' must read 'REGIME_A - REGIME_B on METRIC'")
        a, b, metric = m["a"], m["b"], m["metric"]
        for reg in (a, b):
            if reg not in regimes:
                raise ConfigError(f"regime '{reg}' is not in the study; it has: {', '.join(regimes)}")
        if a == b:
            raise ConfigError("a contrast needs two different regimes")
    if metric is None:
        raise ConfigError("choose --metric M or --contrast 'A - B on M'")
    if metric not in runs.columns:
        known = [c for c in runs.columns if c not in ("point", "regime", "replicate", "seed", "status", "error")]
        raise ConfigError(f"unknown metric '{metric}'; the runs have: {', '.join(known)}")
    R = int(study["replicates"])
    n = len(points)

    def table(reg: str) -> np.ndarray:
        sub = ok[ok["regime"] == reg]
        out = np.full((n, R), np.nan)
        out[sub["point"].to_numpy(int), sub["replicate"].to_numpy(int)] = sub[metric].to_numpy(float)
        return out

    if contrast is not None:
        values = table(a) - table(b)  # paired: the same seed, the same point
        name, slug = f"{a} - {b} on {metric}", f"{a}-minus-{b}_{metric}"
    else:
        if regime is None:
            if len(regimes) > 1:
                raise ConfigError(f"the study has regimes {', '.join(regimes)}; choose one with --regime "
                                  f"or use --contrast")
            regime = regimes[0]
        if regime not in regimes:
            raise ConfigError(f"regime '{regime}' is not in the study; it has: {', '.join(regimes)}")
        values = table(regime)
        name = metric if len(regimes) == 1 else f"{metric} ({regime})"
        slug = metric if len(regimes) == 1 else f"{regime}_{metric}"
    with np.errstate(all="ignore"):
        y = np.where(np.all(np.isfinite(values), axis=1), values.mean(axis=1), np.nan)
    from experiments import style

    label = style.outcome_label(metric, unit=False)
    if contrast is not None:
        title = f"{style.regime_label(a)} minus {style.regime_label(b)}: {label}"
    else:
        title = label if len(regimes) == 1 else f"{label}, {style.regime_label(regime)}"
    return Quantity(name, slug, y, values, noise_share(values), metric, title)


def _problem(study: dict[str, Any]) -> dict[str, Any]:
    names = list(study["ranges"])
    return {"num_vars": len(names), "names": names,
            "bounds": [[study["ranges"][k]["low"], study["ranges"][k]["high"]] for k in names]}


def _require_complete(q: Quantity, what: str) -> None:
    missing = np.flatnonzero(~np.isfinite(q.y))
    if len(missing):
        shown = ", ".join(str(k) for k in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ConfigError(f"{what} needs every design point; {len(missing)} unfinished or failed "
                          f"(points {shown}); finish the study (re-run resilience design) or use --emulator")


def morris_indices(problem: dict[str, Any], X: np.ndarray, y: np.ndarray, *, levels: int = 4,
                   seed: int = 0) -> pd.DataFrame:
    """Morris screening (SALib): mu, mu* with its 95% CI, sigma; sorted by mu*."""
    from SALib.analyze import morris

    res = morris.analyze(problem, np.asarray(X, float), np.asarray(y, float), num_resamples=RESAMPLES,
                         conf_level=0.95, num_levels=levels, seed=seed)
    df = pd.DataFrame({"parameter": problem["names"], "mu": res["mu"], "mu_star": res["mu_star"],
                       "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})
    return df.sort_values("mu_star", ascending=False, ignore_index=True)


def sobol_indices(problem: dict[str, Any], y: np.ndarray, *, seed: int = 0) -> pd.DataFrame:
    """Sobol first-order and total indices (SALib, from a Saltelli sample without second order) with
    95% CIs; sorted by ST."""
    from SALib.analyze import sobol

    res = sobol.analyze(problem, np.asarray(y, float), calc_second_order=False, num_resamples=RESAMPLES,
                        conf_level=0.95, seed=seed)
    df = pd.DataFrame({"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                       "ST": res["ST"], "ST_conf": res["ST_conf"]})
    for k in ("S1", "ST"):
        df[f"{k}_low"] = df[k] - df[f"{k}_conf"]
        df[f"{k}_high"] = df[k] + df[f"{k}_conf"]
    return df.sort_values("ST", ascending=False, ignore_index=True)


def emulator_sobol(problem: dict[str, Any], X: np.ndarray, y: np.ndarray, *, n: int = EMULATOR_N,
                   seed: int = 0) -> tuple[pd.DataFrame, dict[str, float]]:
    """Fit the GP emulator to (X, y) and compute Sobol indices on it from a Saltelli sample of base
    size ``n``. Returns the indices and the emulator's cross-validated accuracy."""
    from SALib.sample import sobol as saltelli

    from experiments.emulator import fit_emulator

    bounds = np.asarray(problem["bounds"], float)
    emu, cv = fit_emulator(X, y, bounds, seed=seed)
    unit = {"num_vars": problem["num_vars"], "names": problem["names"],
            "bounds": [[0.0, 1.0]] * problem["num_vars"]}
    U = saltelli.sample(unit, n, calc_second_order=False, seed=seed)
    return sobol_indices(problem, emu.predict_unit(U), seed=seed), cv


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _label(study: dict[str, Any], name: str) -> str:
    return study["ranges"].get(name, {}).get("label") or name


def _save(fig, base: Path) -> list[Path]:
    """PNG (the project's 300 dpi) and PDF (TrueType fonts), each written atomically."""
    from experiments import style

    out = []
    for ext in ("png", "pdf"):
        path = base.with_suffix(f".{ext}")
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=f".{ext}")
        os.close(fd)
        fig.savefig(tmp, dpi=style.DPI, bbox_inches="tight", pad_inches=0.03, format=ext)
        os.replace(tmp, path)
        out.append(path)
    return out


def _noise_note(df: pd.DataFrame) -> str:
    """What replicate noise leaves of the signal: the reader's caveat under a figure."""
    single = float(df["noise_share"].iloc[0]) if "noise_share" in df else math.nan
    means = float(df["noise_share_of_means"].iloc[0]) if "noise_share_of_means" in df else math.nan
    if not (math.isfinite(single) and math.isfinite(means)):
        return ""
    return (f"Replicate noise: {single:.0%} of the variance of single runs, {means:.0%} of the variance "
            f"of the point means the indices are computed from.")


def _spread_labels(fig, texts: list, obstacles: Sequence = ()) -> None:
    """Move point labels a line at a time, up then down, until none overlaps another label or an
    obstacle and each stays inside its panel (labels of points that lie close together were drawn
    over each other); the lowest point's label stays put. A label with no clear place in eight
    lines either way stays where it was drawn."""
    from matplotlib.text import Text

    if not texts:
        return
    renderer = fig.canvas.get_renderer()
    panel = texts[0].axes.get_window_extent(renderer)
    placed = [o.get_window_extent(renderer) for o in obstacles]
    for t in sorted(texts, key=lambda t: (t.xy[1], t.xy[0])):
        x0, y0 = t.xyann
        line = Text.get_window_extent(t, renderer).height * 72 / fig.dpi + 1  # points
        for step in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8):
            t.xyann = (x0, y0 + step * line)
            box = Text.get_window_extent(t, renderer)  # the text alone, not its leader line
            if (box.y1 <= panel.y1 + 1 and box.y0 >= panel.y0 - 1
                    and not any(box.overlaps(b) for b in placed)):
                break
        else:
            t.xyann = (x0, y0)
        placed.append(Text.get_window_extent(t, renderer))


def morris_figure(df: pd.DataFrame, study: dict[str, Any], q: Quantity, base: Path) -> list[Path]:
    import matplotlib
    import matplotlib.pyplot as plt

    from experiments import style

    k = style.scale(q.metric)
    unit = style.diff_unit(q.metric)  # an effect is a difference: percentage points for a share
    d = len(df)
    with matplotlib.rc_context(style.RC):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(style.WIDTH_DOUBLE, max(2.8, 0.9 + 0.22 * d)),
                                       gridspec_kw={"width_ratios": [1.1, 1]}, layout="constrained")
        order = df.iloc[::-1]
        labels = [_label(study, p) for p in order["parameter"]]
        ax1.barh(labels, order["mu_star"] * k, xerr=order["mu_star_conf"] * k, color=style.COLOURS[2],
                 error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333"})
        ax1.set_xlabel("μ*, mean |elementary effect|" + (f" ({unit})" if unit else "") + ", 95% CI")
        ax1.set_xlim(left=0)
        ax2.scatter(df["mu_star"] * k, df["sigma"] * k, s=18, color=style.COLOURS[2])
        top = max(float(df["mu_star"].max()), float(df["sigma"].max()), 1e-12) * k
        ax2.plot([0, top], [0, top], color="#999", lw=0.8, ls="--")
        diagonal = ax2.text(top, top, "σ = μ*", color="#666", va="bottom", ha="right", fontsize=style.SMALL_SIZE)
        texts = [ax2.annotate(_label(study, row["parameter"]), (row["mu_star"] * k, row["sigma"] * k),
                              xytext=(3, 3), textcoords="offset points", fontsize=style.SMALL_SIZE - 0.5,
                              arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "#888",
                                          "shrinkA": 0, "shrinkB": 2})  # a leader once a label moves
                 for _, row in df.head(6).iterrows()]
        ax2.set_xlabel("μ*" + (f" ({unit})" if unit else ""))
        ax2.set_ylabel("σ, spread of the effects\n(interactions, non-linearity)")
        ax2.set_xlim(left=0)
        ax2.set_ylim(bottom=0)
        fig.suptitle(f"Morris screening: {q.title}")
        note = _noise_note(df)
        if note:
            fig.supxlabel(note, fontsize=style.SMALL_SIZE, color="#444")
        fig.canvas.draw()
        _spread_labels(fig, texts, obstacles=[diagonal])
        paths = _save(fig, base)
    plt.close(fig)
    return paths


def sobol_figure(df: pd.DataFrame, study: dict[str, Any], q: Quantity, base: Path) -> list[Path]:
    import matplotlib
    import matplotlib.pyplot as plt

    from experiments import style

    d = len(df)
    with matplotlib.rc_context(style.RC):
        fig, ax = plt.subplots(figsize=(style.WIDTH_DOUBLE, max(2.5, 0.9 + 0.3 * d)), layout="constrained")
        order = df.iloc[::-1].reset_index(drop=True)
        pos = np.arange(d)
        h = 0.38
        ax.barh(pos + h / 2, order["ST"], h, xerr=order["ST_conf"], label="total (ST)", color=style.COLOURS[2],
                error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.barh(pos - h / 2, order["S1"], h, xerr=order["S1_conf"], label="first order (S1)",
                color=style.COLOURS[1], error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(pos, [_label(study, p) for p in order["parameter"]])
        ax.axvline(0, color="#333", lw=0.6)
        ax.set_xlabel("Sobol index (share of variance), 95% CI")
        ax.legend(frameon=False, loc="lower right")
        ax.set_title(f"Sobol indices: {q.title}")
        note = _noise_note(df)
        if note:
            fig.supxlabel(note, fontsize=style.SMALL_SIZE, color="#444")
        paths = _save(fig, base)
    plt.close(fig)
    return paths


# --------------------------------------------------------------------------------------------
# The whole analysis of a study folder
# --------------------------------------------------------------------------------------------


@dataclass
class Analysis:
    quantity: Quantity
    method: str
    table: pd.DataFrame
    csv: Path
    figures: list[Path]
    cv: dict[str, float] | None = None


def analyse(path: str | Path, *, metric: str | None = None, contrast: str | None = None,
            regime: str | None = None, method: str | None = None, emulator: bool = False,
            figures: bool = True, seed: int = 0) -> Analysis:
    """Morris or Sobol indices of a study's metric or contrast; CSV and figures in PATH/sensitivity/."""
    path = Path(path)
    study, points, runs = load_study(path)
    q = quantity(study, points, runs, metric=metric, contrast=contrast, regime=regime)
    problem = _problem(study)
    X = points[problem["names"]].to_numpy(float)
    design = study["method"]
    method = method or ("morris" if design == "morris" and not emulator else "sobol")
    if method not in ("morris", "sobol"):
        raise ConfigError(f"unknown method '{method}'; choose morris or sobol")
    cv = None
    if method == "morris":
        if emulator:
            raise ConfigError("--emulator computes Sobol indices; use it with --method sobol")
        if design != "morris":
            raise ConfigError(f"Morris screening needs a Morris design (this study is {design}); "
                              f"create one with resilience design RANGES --method morris")
        _require_complete(q, "Morris screening")
        table = morris_indices(problem, X, q.y, levels=int(study.get("morris_levels") or 4), seed=seed)
    elif emulator:
        table, cv = emulator_sobol(problem, X, q.y, seed=seed)
    else:
        if design != "saltelli":
            raise ConfigError(f"direct Sobol indices need a Saltelli design (this study is {design}); "
                              f"add --emulator, or create one with --method saltelli")
        _require_complete(q, "Sobol indices")
        table = sobol_indices(problem, q.y, seed=seed)
    table.insert(1, "label", [_label(study, p) for p in table["parameter"]])
    for k in ("noise_share", "noise_share_of_means"):
        table[k] = q.noise.get(k, float("nan"))
    if cv:
        table["emulator_cv_r2"] = cv["r2"]
        table["emulator_cv_rmse"] = cv["rmse"]
    out = path / "sensitivity"
    out.mkdir(exist_ok=True)
    tag = f"{q.slug}_{method}" + ("_emulator" if emulator else "")
    csv = out / f"{tag}.csv"
    fd, tmp = tempfile.mkstemp(dir=out, suffix=".csv")
    os.close(fd)
    table.to_csv(tmp, index=False)
    os.replace(tmp, csv)
    paths: list[Path] = []
    if figures:
        if emulator:
            q = dataclasses.replace(q, title=q.title + " (from an emulator)")
        paths = (morris_figure(table, study, q, out / tag) if method == "morris"
                 else sobol_figure(table, study, q, out / tag))
    return Analysis(q, method, table, csv, paths, cv)
