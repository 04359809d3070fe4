"""Model speed and memory. Prints one `name: value` line per figure.

Timings exclude the one-off compilation of the numba kernels (model/kernels/): each timed
process first loads them from numba's on-disk cache; the cost of compiling them from nothing is
printed at the end (import_and_warm_up_seconds_cold_cache).

    python benchmarks/model_speed.py [--quick] [--repeats R] [--sizes N N ...] [--set KEY=VALUE ...]
                                     [--markdown]

``--markdown`` prints the same figures as a Markdown table (for benchmarks/README.md).

Each timing is repeated (``--repeats``, default 3) and printed as the fastest run, with the median
beside it (``*_median``): on a shared machine the slower runs measure the neighbours as much as
the model.

- town_10y_*: the default town (10k adults), status quo, 10 years after the default burn-in (each
  repeat starts from a copy of the same burnt-in model).
- town_10y_phase_<phase>_ms_per_week: one further run of the same ten years with the model's
  per-phase timer (``CommunityModel.start_timer``), milliseconds per week in each phase of the plan.
- scale_<n>_*: one simulated year (no burn-in) at n residents, each run in a fresh process so peak
  memory (max RSS) is that run's own; ``*_ns_per_resident_week`` is the time per resident and week
  (flat if time grows linearly). ``scale_<n>_plain_read_*`` is the machine's own scaling for the
  same data: one numpy pass that only reads that run's final tie arrays (the fastest of 5, so from
  cache at sizes whose ties fit in it). Every weekly pass over the ties costs at least that much,
  and ``plain_read_ratio`` shows how much the cache alone makes such a pass grow between sizes.
  ``--set`` changes a parameter of the one-year runs only (e.g. ``--set ties.bridging_share=0``
  for a network without ties across neighbourhoods), to test what a scaling step depends on.
- per_agent_mesa_* and speedup_vs_per_agent_mesa: the resident weekly rule (contact along ties,
  then the loneliness balance) as one Mesa Agent per resident vs the model's vectorised phases, on
  the same 10k-resident state.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

import mesa
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import make_params  # noqa: E402
from model.model import WEEKS_PER_YEAR, CommunityModel  # noqa: E402


def warm_up() -> None:
    """Load the compiled kernels (numba's on-disk cache) before anything is timed; their one-off
    compile cost is measured separately (compile_seconds_cold_cache)."""
    p = make_params("small", "none", overrides={"burn_in_years": 0, "horizon_years": 1})
    m = CommunityModel(p, seed=0)
    for _ in range(4):
        m.step()


def compile_cost() -> None:
    """Kernels compiled from nothing: a fresh process with an empty numba cache runs the warm-up."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        code = ("import sys, time; t = time.perf_counter(); sys.path.insert(0, sys.argv[1]); "
                "import benchmarks.model_speed as b; b.warm_up(); print(time.perf_counter() - t)")
        cold = subprocess.run([sys.executable, "-c", code, str(ROOT)], env=env, capture_output=True, text=True,
                              check=True)
        warm = subprocess.run([sys.executable, "-c", code, str(ROOT)], env=env, capture_output=True, text=True,
                              check=True)
    print(f"import_and_warm_up_seconds_cold_cache: {float(cold.stdout.split()[-1]):.2f}")
    print(f"import_and_warm_up_seconds_warm_cache: {float(warm.stdout.split()[-1]):.2f}")


def town_ten_years(repeats: int) -> None:
    warm_up()
    p = make_params("town", "status_quo")
    t0 = time.perf_counter()
    m = CommunityModel(p, seed=0)
    m.burn_in()
    burn_in = time.perf_counter() - t0
    start = pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL)
    times = []
    for _ in range(repeats):
        m = pickle.loads(start)
        t1 = time.perf_counter()
        while m.week < m.horizon_weeks:
            m.step()
        times.append(time.perf_counter() - t1)
    best, weeks = min(times), m.horizon_weeks
    print(f"town_burn_in_seconds: {burn_in:.2f}")
    print(f"town_10y_seconds: {best:.2f}")
    print(f"town_10y_seconds_median: {float(np.median(times)):.2f}")
    print(f"town_10y_resident_weeks_per_second: {p.place.n_residents * weeks / best:.3g}")
    print(f"town_10y_with_burn_in_seconds: {burn_in + best:.2f}")
    # one more run with the model's per-phase timer (CommunityModel.start_timer): where a week goes
    m = pickle.loads(start)
    timer = m.start_timer()
    m.run()
    for name, seconds in timer.items():
        print(f"town_10y_phase_{name}_ms_per_week: {1000 * seconds / weeks:.3f}")


def plain_read_seconds(m: CommunityModel) -> float:
    """The fastest of 5 numpy passes that only read the tie arrays (``i``, ``j``, ``w``)."""
    i, j, w = m.ties.i, m.ties.j, m.ties.w
    times = []
    for _ in range(5):
        t = time.perf_counter()
        i.sum(), j.sum(), w.sum()
        times.append(time.perf_counter() - t)
    return min(times)


def scale_params(n: int, extra: dict | None = None):
    """The one-year scaling run's parameters at n residents: 1,250 residents a neighbourhood and
    6 groups per 1,000 (the town's proportions), plus ``extra`` overrides (``--set``)."""
    nb = max(4, n // 1250)
    groups = max(10, n * 6 // 1000)
    return make_params(overrides={"place.n_residents": n, "place.n_neighbourhoods": nb, "place.n_groups": groups,
                                  "burn_in_years": 0, "horizon_years": 1, "place.name": f"scale_{n}",
                                  **(extra or {})})


def parse_sets(items: list[str]) -> dict:
    """``KEY=VALUE`` pairs as parameter overrides; values are read as YAML scalars (0.1, 3, true)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set expects KEY=VALUE, got '{item}'")
        out[key.strip()] = yaml.safe_load(value)
    return out


def one_year(n: int, extra: dict | None = None) -> dict:
    p = scale_params(n, extra)
    warm_up()
    t0 = time.perf_counter()
    m = CommunityModel(p, seed=0)
    t1 = time.perf_counter()
    m.run()
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB on Linux
    return {"n": n, "init_s": t1 - t0, "year_s": t2 - t1, "peak_mib": peak, "read_s": plain_read_seconds(m)}


class ResidentAgent(mesa.Agent):
    """One resident as a Mesa agent running the same weekly rule as the vectorised phases."""

    def __init__(self, model, need, prone, loneliness):
        super().__init__(model)
        self.need, self.prone, self.loneliness = need, prone, loneliness
        self.ties: list[tuple[ResidentAgent, float]] = []
        self.contact = 0.0

    def step(self):
        p = self.model.p
        rng = self.model.rng
        for other, w in self.ties:
            recip = 0.8 if self.loneliness >= 0.5 else 1.0
            recip_o = 0.8 if other.loneliness >= 0.5 else 1.0
            if rng.random() < p.ties.contact_prob * w * min(recip, recip_o) * 0.5:
                self.contact += 1.0
                other.contact += 1.0

    def advance(self):
        r = self.model.p.residents
        s = self.contact / self.need
        short, met = min(1.0, max(0.0, 1.0 - s)), min(1.0, s)
        L = self.loneliness
        L += r.loneliness_rise * self.prone * short * (1 - L) - r.loneliness_fall / self.prone * met * L
        L += r.loneliness_noise_sd * self.model.rng.standard_normal()
        self.loneliness = min(1.0, max(0.0, L))
        self.contact = 0.0


class PerAgentModel(mesa.Model):
    def __init__(self, src: CommunityModel):
        super().__init__(rng=0)
        self.p = src.params
        r = src.res
        agents = [ResidentAgent(self, r.need[k], r.prone[k], r.loneliness[k]) for k in range(r.n)]
        for i, j, w in zip(src.ties.i.tolist(), src.ties.j.tolist(), src.ties.w.tolist(), strict=True):
            agents[i].ties.append((agents[j], w))
        self.residents = self.agents_by_type[ResidentAgent]

    def step(self):
        self.residents.do("step")
        self.residents.do("advance")


def per_agent_comparison(weeks: int) -> None:
    src = CommunityModel(make_params("town", "none", overrides={"burn_in_years": 0}), seed=0)
    n = src.res.n
    pa = PerAgentModel(src)
    t0 = time.perf_counter()
    for _ in range(weeks):
        pa.step()
    t_agent = (time.perf_counter() - t0) / weeks
    t0 = time.perf_counter()
    for _ in range(weeks * 5):
        src._contact = np.zeros(n)
        src._phase_tie_contact()
        src._phase_loneliness()
    t_vec = (time.perf_counter() - t0) / (weeks * 5)
    print(f"per_agent_mesa_agent_steps_per_second: {n / t_agent:.3g}")
    print(f"vectorised_agent_steps_per_second: {n / t_vec:.3g}")
    print(f"speedup_vs_per_agent_mesa: {t_agent / t_vec:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 1M-resident year")
    ap.add_argument("--repeats", type=int, default=3, help="runs per timing (default 3)")
    ap.add_argument("--sizes", type=int, nargs="+",
                    help="resident counts for the one-year runs (default 10000 100000 1000000)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a parameter override for the one-year runs, e.g. ties.bridging_share=0 (repeatable)")
    ap.add_argument("--markdown", action="store_true", help="print the figures as a Markdown table")
    ap.add_argument("--one-year", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.repeats < 1 or (a.sizes and min(a.sizes) < 1000):
        ap.error("--repeats must be at least 1 and every --sizes entry at least 1000")
    try:
        extra = parse_sets(a.set)
        scale_params(10_000, extra)  # a bad name or value fails here, before anything runs
    except (ValueError, yaml.YAMLError) as e:
        ap.error(str(e).splitlines()[0])
    if a.one_year:
        print(json.dumps(one_year(a.one_year, extra)))
        return
    if a.markdown:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            measure(a, extra)
        print(markdown_table(buffer.getvalue(), a))
        return
    measure(a, extra)


def markdown_table(lines: str, a: argparse.Namespace) -> str:
    """The figures (``name: value`` lines) as a Markdown table, with when and how they were made."""
    from datetime import UTC, datetime

    from model.api import MODEL_VERSION, model_source_hash

    cmd = "python benchmarks/model_speed.py --markdown" + (" --quick" if a.quick else "") + \
        (f" --repeats {a.repeats}" if a.repeats != 3 else "") + "".join(f" --set {s}" for s in a.set)
    head = [f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores with `{cmd}` "
            f"(model version {MODEL_VERSION}, source {model_source_hash()}); each timing is the fastest of "
            f"{a.repeats}, with its median beside it.", "", "| figure | value |", "|---|---|"]
    rows = []
    for line in lines.splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            rows.append(f"| `{name.strip()}` | {value.strip()} |")
    return "\n".join(head + rows)


def measure(a: argparse.Namespace, extra: dict) -> None:
    if extra:
        print("scale_overrides: " + " ".join(f"{k}={v}" for k, v in extra.items()))
    town_ten_years(a.repeats)
    sizes = sorted(a.sizes) if a.sizes else [10_000, 100_000] + ([] if a.quick else [1_000_000])
    prev = None
    for n in sizes:
        runs = []
        for _ in range(a.repeats):
            cmd = [sys.executable, __file__, "--one-year", str(n)] + [f"--set={x}" for x in a.set]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        year, read = min(r["year_s"] for r in runs), min(r["read_s"] for r in runs)
        print(f"scale_{n}_one_year_seconds: {year:.2f}")
        print(f"scale_{n}_one_year_seconds_median: {float(np.median([r['year_s'] for r in runs])):.2f}")
        print(f"scale_{n}_ns_per_resident_week: {1e9 * year / (n * WEEKS_PER_YEAR):.0f}")
        print(f"scale_{n}_init_seconds: {min(r['init_s'] for r in runs):.2f}")
        print(f"scale_{n}_peak_memory_mib: {max(r['peak_mib'] for r in runs):.0f}")
        print(f"scale_{n}_plain_read_ms: {1000 * read:.2f}")
        if prev is not None:
            print(f"scale_{n}_time_ratio_vs_{prev[0]}: {year / prev[1]:.2f} (size ratio {n / prev[0]:.3g})")
            print(f"scale_{n}_plain_read_ratio_vs_{prev[0]}: {read / prev[2]:.2f}")
        prev = (n, year, read)
    per_agent_comparison(weeks=3)
    compile_cost()


if __name__ == "__main__":
    main()
