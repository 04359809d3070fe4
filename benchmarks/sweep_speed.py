"""Wall time and parallel efficiency of the headline sweep on this machine.

    python benchmarks/sweep_speed.py                       # the headline: 8 regimes x 20 replicates, town
    python benchmarks/sweep_speed.py --replicates 2        # a quicker look at the same sweep

Prints one ``name: value`` per line. Parallel efficiency = single-run time x runs / cores / wall,
where the single-run time is measured alone (one run of status_quo, before the sweep) and, as a
second figure, as the mean time of the sweep's own replicates (from its runs table).
Targets (issue 3): the headline in <= 300 s; efficiency >= 0.80.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def single_run_seconds(place: str, horizon: float | None, regime: str = "status_quo") -> float:
    from model import make_params, simulate

    overrides = {} if horizon is None else {"horizon_years": horizon}
    params = make_params(place=place, regime=regime, overrides=overrides)
    t0 = time.perf_counter()
    simulate(params, seed=12345)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--experiment", default="headline")
    ap.add_argument("--replicates", type=int, default=None, help="override the experiment's replicates")
    ap.add_argument("--horizon-years", type=float, default=None, help="override the experiment's horizon")
    ap.add_argument("--place", default="town")
    ap.add_argument("--keep", type=Path, default=None, help="keep the sweep in this folder")
    args = ap.parse_args(argv)

    cores = os.cpu_count() or 1
    single = single_run_seconds(args.place, args.horizon_years)
    print(f"cores: {cores}")
    print(f"single_run_seconds: {single:.2f}")

    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="sweep_speed_")
        sweep = Path(tmp.name) / "sweep"
    else:
        sweep = args.keep.resolve()
    overrides = [f"experiment={args.experiment}", f"place={args.place}", f"hydra.sweep.dir={sweep}",
                 "hydra.callbacks.results.compare=false", "progress=false"]
    if args.replicates is not None:
        overrides.append(f"replicates={args.replicates}")
    if args.horizon_years is not None:
        overrides.append(f"horizon_years={args.horizon_years}")
    script = Path(sys.executable).parent / "resilience"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "experiments.cli"]
    t0 = time.perf_counter()
    res = subprocess.run([*cmd, "run", "-m", *overrides], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        print(res.stderr[-2000:], file=sys.stderr)
        return res.returncode
    runs = pd.read_parquet(sweep / "runs.parquet")
    n_runs = len(runs)
    n_jobs = runs["job"].nunique()
    in_sweep = float(runs["wall_seconds"].mean())
    print(f"experiment: {args.experiment}")
    print(f"jobs: {n_jobs}")
    print(f"runs: {n_runs}")
    print(f"wall_seconds: {wall:.1f}")
    print(f"mean_replicate_seconds_in_sweep: {in_sweep:.2f}")
    print(f"parallel_efficiency: {single * n_runs / cores / wall:.3f}")
    print(f"parallel_efficiency_from_sweep_replicates: {runs['wall_seconds'].sum() / cores / wall:.3f}")
    print(f"overhead_seconds: {wall - runs['wall_seconds'].sum() / cores:.1f}")
    print(f"target_wall_seconds: {300 if args.experiment == 'headline' else 'n/a'}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
