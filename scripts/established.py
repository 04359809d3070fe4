"""Do established groups fall? Closures over the study of the groups that were old at its start.

    python scripts/established.py --place town --seeds 10 [--regimes none grants competitive_tender]
                                  [--min-age-years 5] [--jobs 2] [--set NAME=VALUE ...]

For each regime, runs seeds 0..N-1 (paired: each seed's burn-in is the same under every regime)
and counts the groups open at the study's start that were founded at least ``--min-age-years``
before it, and how many of them close during the study, by cause. Prints, per regime, the mean
count of such groups a seed, the share that closes, and the causes (pooled over seeds); with
``--set``, every regime runs with the overrides (e.g. ``groups.volunteer_approach_per_year=0``).
docs/validation.md quotes it ("Organisations"). Bad input gets one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from validate import InputError, parse_sets  # noqa: E402

from model.params import WEEKS_PER_YEAR, ConfigError, make_params  # noqa: E402


def run_one(params, seed: int, min_age_weeks: int) -> tuple[int, Counter]:
    """Old groups open at the study's start, and the causes of those that closed during it."""
    from model import simulate

    g = simulate(params, seed=seed).groups
    open_at_start = ~g["closed"] | (g["closed_week"] >= 0)
    old = g[(g["founded_week"] <= -min_age_weeks) & open_at_start]
    closed = old[old["closed"]]
    return len(old), Counter(closed["cause"].tolist())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--place", default="town")
    ap.add_argument("--regimes", nargs="+", default=["none", "grants", "competitive_tender"])
    ap.add_argument("--funding", default="stable")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--min-age-years", type=float, default=5.0)
    ap.add_argument("--jobs", type=int, default=2, help="runs at once (processes)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a parameter override for every regime (repeatable)")
    a = ap.parse_args(argv)
    try:
        if a.seeds < 1 or a.jobs < 1 or a.min_age_years < 0:
            raise ConfigError("--seeds and --jobs must be at least 1 and --min-age-years at least 0 "
                              f"(got {a.seeds}, {a.jobs}, {a.min_age_years:g})")
        params = {r: make_params(a.place, r, a.funding, parse_sets(a.set)) for r in a.regimes}
    except (ConfigError, InputError) as e:
        print(f"established.py: {e}", file=sys.stderr)
        return 2
    min_age = int(round(a.min_age_years * WEEKS_PER_YEAR))
    jobs = [(r, s) for r in a.regimes for s in range(a.seeds)]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=a.jobs) as ex:
        res = list(ex.map(run_one, [params[r] for r, _ in jobs], [s for _, s in jobs], [min_age] * len(jobs)))
    print(f"{a.place}, {a.funding} funding, seeds 0-{a.seeds - 1}: groups open at the study's start and "
          f"founded {a.min_age_years:g}+ years before it; closed during the study"
          + (f" ({', '.join(a.set)})" if a.set else ""))
    for r in a.regimes:
        rows = [x for (reg, _), x in zip(jobs, res, strict=True) if reg == r]
        n = sum(k for k, _ in rows)
        causes = sum((c for _, c in rows), Counter())
        closed = sum(causes.values())
        share = closed / n if n else float("nan")
        print(f"  {r:24s} {n / a.seeds:5.1f} a seed; closed {closed / a.seeds:4.1f} a seed = {share:.1%}; "
              f"causes: {dict(sorted(causes.items())) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
