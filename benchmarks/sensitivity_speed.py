"""Speed of a Morris screening of every parameter in a range file, its parallel efficiency, and the
emulator fit + Sobol indices on it.

    python benchmarks/sensitivity_speed.py                       # the full benchmark (~30 min, 2 cores)
    python benchmarks/sensitivity_speed.py --r 2 --horizon 2     # a reduced run, extrapolated

Targets (issue 16): Morris screening of the town, r = 10 trajectories, 3 paired replicates, in 30 min
or less on a 2-core machine; parallel efficiency (1 vs 2 workers) 85% or better; emulator fit and
Sobol indices in under a minute.

What it does: creates a Morris study of the range file on the place (r trajectories, R replicates,
the given horizon), runs it with 2 workers and times it; runs the first ``--eff-points`` points again
with 1 and with 2 workers into fresh folders for the parallel efficiency (T1 / (2 T2)); fits the GP
emulator to the screening's point means of lonely_share and computes Sobol indices on it (Saltelli
N = 4096). For a reduced run it extrapolates to the full one: the time per run (one seed, one point)
measured here, scaled by the horizon (burn-in + horizon years simulated) and by the run count
(10 (d + 1) x 3 for the full benchmark), all printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from experiments import design
from experiments.sensitivity import emulator_sobol, quantity

ROOT = Path(__file__).resolve().parent.parent


def _timed_study(ranges: Path, out: Path, r: int, R: int, overrides: dict, jobs: int,
                 points: int | None = None) -> tuple[float, int]:
    design.create_study(ranges, out, method="morris", n=r, replicates=R, seed=0, overrides=overrides)
    if points is not None:  # keep only the first points (a sub-study for the efficiency measurement)
        _, pts = design.read_study(out)
        chunk_n = max(1, int(np.ceil(len(pts) / points)))
        t0 = time.perf_counter()
        design.run_study(out, n_jobs=jobs, chunk=(0, chunk_n), gather=False)
        return time.perf_counter() - t0, len(design.done_points(out))
    t0 = time.perf_counter()
    design.run_study(out, n_jobs=jobs)
    return time.perf_counter() - t0, len(design.done_points(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranges", default=str(ROOT / "configs" / "ranges" / "screening.yaml"))
    ap.add_argument("--place", default="town")
    ap.add_argument("--r", type=int, default=10, help="Morris trajectories (full benchmark: 10)")
    ap.add_argument("--replicates", type=int, default=3, help="paired replicates (full: 3)")
    ap.add_argument("--horizon", type=float, default=10.0, help="years after burn-in (full: 10)")
    ap.add_argument("--eff-points", type=int, default=8, help="points run with 1 and 2 workers")
    ap.add_argument("--keep", default=None, help="keep the screening study in this folder")
    args = ap.parse_args()
    over = {"place": args.place, "horizon_years": args.horizon}
    spec = design.load_ranges(args.ranges, place=args.place)
    d = len(spec["ranges"])
    burn_in = 8.0  # model.Params.burn_in_years default
    tmp = Path(tempfile.mkdtemp(prefix="sens_bench_"))
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        print(f"range file: {args.ranges} ({d} parameters); place {args.place}; r = {args.r}, "
              f"{args.replicates} replicates, horizon {args.horizon:g} years (+ {burn_in:g} burn-in)")

        # parallel efficiency: the same first points with 1 and with 2 workers
        e = args.eff_points
        t1, n1 = _timed_study(Path(args.ranges), tmp / "eff1", args.r, args.replicates, over, 1, e)
        t2, n2 = _timed_study(Path(args.ranges), tmp / "eff2", args.r, args.replicates, over, 2, e)
        eff = t1 / (2 * t2)
        print(f"parallel efficiency: {n1} points x {args.replicates} replicates: 1 worker {t1:.1f} s, "
              f"2 workers {t2:.1f} s -> T1 / (2 T2) = {eff:.0%} (target 85%)")

        # the screening itself, on 2 workers
        out = Path(args.keep) if args.keep else tmp / "screen"
        if out.exists() and args.keep:
            shutil.rmtree(out)
        ts, npts = _timed_study(Path(args.ranges), out, args.r, args.replicates, over, 2)
        runs = npts * args.replicates
        per_run = ts * 2 / runs  # core-seconds per run
        print(f"Morris screening: {npts} points x {args.replicates} replicates = {runs} runs in "
              f"{ts:.1f} s on 2 workers ({per_run:.2f} core-s per run)")
        full_runs = 10 * (d + 1) * 3
        years = (burn_in + 10.0) / (burn_in + args.horizon)
        est = per_run * years * full_runs / 2
        print(f"extrapolated full screening (r = 10, 3 replicates, 10 years): {per_run:.2f} core-s/run x "
              f"{years:.2f} (years simulated {burn_in + 10:g} / {burn_in + args.horizon:g}) x {full_runs} runs "
              f"/ 2 workers = {est / 60:.1f} min (target 30 min); the per-run time measured here already "
              f"includes the 2-worker efficiency")

        # emulator fit + Sobol on the screening's point means
        study, points, runs_df = design.load_study(out)
        q = quantity(study, points, runs_df, metric="lonely_share")
        problem = {"num_vars": d, "names": list(study["ranges"]),
                   "bounds": [[v["low"], v["high"]] for v in study["ranges"].values()]}
        t0 = time.perf_counter()
        table, cv = emulator_sobol(problem, points[problem["names"]].to_numpy(float), q.y)
        te = time.perf_counter() - t0
        print(f"emulator fit + Sobol (Saltelli N = 4096, {4096 * (d + 2)} predictions) on {len(points)} "
              f"points: {te:.1f} s (target 60 s); CV R^2 {cv['r2']:.2f}, RMSE {cv['rmse']:.4f}")
        print("top parameters by ST (emulator):", ", ".join(
            f"{p} {st:.2f}" for p, st in zip(table["parameter"][:5], table["ST"][:5], strict=True)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
