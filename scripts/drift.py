"""Measure the drift of the baseline: yearly slopes of loneliness, close ties and disability.

    python scripts/drift.py --place town --seeds 10 [--regime status_quo] [--funding stable]

Runs the model on each seed (burn-in, then the recorded horizon), takes each year's mean of
``lonely_share`` and ``mean_close_ties`` over the recorded years, and the disabled share at each
year's end (burn-in included), fits a straight line per seed and prints the mean slope over seeds
with its 95% t-interval:

- ``lonely_share``: points (percentage points) a year; target |slope| < 0.05 (issue 15, item 7)
- ``mean_close_ties``: percent of its mean a year; target |slope| < 0.5
- ``disabled_share``: points a year over the recorded years (steady: near 0), and over the burn-in

Also prints each kind's count of active groups at the start and the end of the burn-in (mean over
seeds). Bad input gets one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from validate import InputError, parse_sets  # noqa: E402

from model.params import GROUP_KINDS, WEEKS_PER_YEAR, ConfigError, make_params  # noqa: E402


def run_one(params, seed: int) -> dict[str, np.ndarray]:
    """Yearly series for one seed: recorded-year means and year-end disability, burn-in included."""
    from model.model import CommunityModel

    m = CommunityModel(params, seed=seed)
    kinds0 = np.bincount(np.asarray(m._kind_codes)[m.active_gids()], minlength=len(GROUP_KINDS))
    dis, years = [], []
    while m.week < m.horizon_weeks:
        m.step()
        if m.week % WEEKS_PER_YEAR == 0:
            dis.append(float(m.res.disabled.mean()))
            years.append(m.week // WEEKS_PER_YEAR)
        if m.week == 0:
            kinds_end = np.bincount(np.asarray(m._kind_codes)[m.active_gids()], minlength=len(GROUP_KINDS))
    ts = m.timeseries()
    final = ts[ts["week"] >= ts["week"].max() - WEEKS_PER_YEAR + 1][list(TARGETS)].mean()
    by_year = ts.groupby(ts["week"] // WEEKS_PER_YEAR)[["lonely_share", "mean_close_ties"]].mean()
    return {"year": by_year.index.to_numpy(float), "lonely": by_year["lonely_share"].to_numpy(),
            "ties": by_year["mean_close_ties"].to_numpy(), "dis_year": np.asarray(years, float),
            "dis": np.asarray(dis), "final": final.to_numpy(), "kinds0": kinds0, "kinds_end": kinds_end}


TARGETS = ("lonely_share", "mean_close_ties", "isolated_share", "volunteer_share")  # docs/validation.md


def slope(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(x, y, 1)[0])


def mean_ci(values: list[float]) -> tuple[float, float, float]:
    from scipy import stats

    v = np.asarray(values, float)
    if v.size < 2:
        return float(v.mean()), float("nan"), float("nan")
    half = stats.t.ppf(0.975, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--place", default="town")
    ap.add_argument("--regime", default="status_quo")
    ap.add_argument("--funding", default="stable")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="seeds run at once (processes)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a parameter override, e.g. residents.loneliness_rise=0.05 (repeatable)")
    a = ap.parse_args(argv)
    try:
        if a.seeds < 1 or a.jobs < 1:
            raise ConfigError(f"--seeds and --jobs must be at least 1 (got {a.seeds}, {a.jobs})")
        params = make_params(a.place, a.regime, a.funding, parse_sets(a.set))
    except (ConfigError, InputError) as e:
        print(f"drift.py: {e}", file=sys.stderr)
        return 2
    seeds = [a.first_seed + k for k in range(a.seeds)]
    if a.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=a.jobs) as ex:
            runs = list(ex.map(run_one, [params] * len(seeds), seeds))
    else:
        runs = [run_one(params, s) for s in seeds]
    lon = [100 * slope(r["year"], r["lonely"]) for r in runs]
    ties = [100 * slope(r["year"], r["ties"]) / r["ties"].mean() for r in runs]
    rec = [r["dis_year"] >= 0 for r in runs]
    dis = [100 * slope(r["dis_year"][k], r["dis"][k]) for r, k in zip(runs, rec, strict=True)]
    bdis = [100 * slope(r["dis_year"][~k], r["dis"][~k]) for r, k in zip(runs, rec, strict=True)
            if (~k).sum() >= 2]
    print(f"{a.place}, {a.regime}, {a.funding} funding, {a.seeds} seeds; mean slope [95% CI] over the "
          f"recorded years")
    for name, vals, unit in (("lonely_share", lon, "points/yr (target |.| < 0.05)"),
                             ("mean_close_ties", ties, "%/yr (target |.| < 0.5)"),
                             ("disabled_share", dis, "points/yr"),
                             ("disabled_share, burn-in", bdis, "points/yr")):
        if vals:
            m, lo, hi = mean_ci(vals)
            print(f"  {name:24s} {m:+.3f} [{lo:+.3f}, {hi:+.3f}] {unit}")
    first = np.mean([[r["lonely"][0], r["ties"][0], r["dis"][r["dis_year"] >= 0][0]] for r in runs], axis=0)
    last = np.mean([[r["lonely"][-1], r["ties"][-1], r["dis"][-1]] for r in runs], axis=0)
    print(f"  first -> last recorded year: lonely {100 * first[0]:.2f}% -> {100 * last[0]:.2f}%, close ties "
          f"{first[1]:.2f} -> {last[1]:.2f}, disabled {100 * first[2]:.1f}% -> {100 * last[2]:.1f}%")
    fin = np.mean([r["final"] for r in runs], axis=0)
    print("  final year (validation targets): " + ", ".join(f"{k} {v:.3f}" for k, v in zip(TARGETS, fin, strict=True)))
    k0 = np.mean([r["kinds0"] for r in runs], axis=0)
    k1 = np.mean([r["kinds_end"] for r in runs], axis=0)
    print("  groups by kind, start -> end of burn-in (mean over seeds): "
          + ", ".join(f"{k} {x:.1f} -> {y:.1f}" for k, x, y in zip(GROUP_KINDS, k0, k1, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
