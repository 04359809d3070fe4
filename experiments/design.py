"""Designs over named parameter ranges: Latin hypercube, scrambled Sobol, Morris trajectories, Saltelli.

A study folder::

    <study_dir>/
      study.yaml              method, n, replicates, seed, seeds, regimes, place, horizon, ranges, ...
      points.parquet          one row per design point: ``point`` + one column per parameter
      runs/point_<k>.parquet  written atomically when point k finishes: one row per (regime, replicate)
      runs.parquet            every finished point gathered (rewritten atomically)
      manifest.json, status.log

Every design point runs R replicates with the same R seeds, in every regime (common random numbers), so
contrasts between regimes and between points are paired. Points run in parallel (joblib) and a study
that stops part-way resumes at the first unfinished point. ``run_study(..., chunk=(i, K))`` runs only the
i-th of K contiguous chunks of points: the unit of work of a cluster array task (``chunk_task``).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from experiments.config import CONFIG_DIR, replicate_seeds
from experiments.interrupts import prepare_for_runs, raise_if_interrupt
from model.params import PLACES, ConfigError, Params, make_params, numeric_fields

METHODS = ("lhs", "sobol", "morris", "saltelli")
# The status of a finished run in a study's runs: "ok" where a design ran it, "completed" where a
# calibration wave did (experiments/calibrate.py); the analysis tools read both
FINISHED = ("ok", "completed")
MORRIS_LEVELS = 4  # grid levels of Morris trajectories (SALib's default; Saltelli et al. 2008 advise 4)
RANGES_DIR = CONFIG_DIR / "ranges"


# --------------------------------------------------------------------------------------------
# Range files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    name: str  # dotted parameter name, as in model.Params
    low: float
    high: float
    integer: bool  # an int field: sampled values are rounded
    source: str
    label: str  # plain name for figures


def plain_label(name: str) -> str:
    """``residents.loneliness_rise`` -> ``loneliness rise`` (the last part, in words)."""
    return name.rsplit(".", 1)[-1].replace("_per_year", " /yr").replace("_", " ")


def _numeric_defaults() -> dict[str, Any]:
    return {where: value for where, _name, value in numeric_fields(Params())}


def load_ranges(path: str | Path, place: str | None = None) -> dict[str, Any]:
    """Read and check a range file; return ``{"ranges": [Range...], "regimes": [...]|None, "place":...,
    "raw": <the file's mapping>}``. Raises ConfigError (one line) on any problem: unknown parameter,
    non-numeric parameter, low >= high, or a low or high the model refuses."""
    path = Path(path)
    if not path.is_file():
        alt = RANGES_DIR / f"{path}.yaml"
        if alt.is_file():
            path = alt
        else:
            raise ConfigError(f"no such range file: {path}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("parameters"), dict) or not raw["parameters"]:
        raise ConfigError(f"{path}: needs a 'parameters' mapping of name: {{low, high, source}}")
    extra = set(raw) - {"parameters", "regimes", "place", "funding"}
    if extra:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(extra))}; "
                          f"allowed: parameters, regimes, place, funding")
    place = place or raw.get("place")
    if place is not None and place not in PLACES:
        raise ConfigError(f"{path}: unknown place '{place}'; allowed: {', '.join(PLACES)}")
    defaults = _numeric_defaults()
    ranges = []
    for name, spec in raw["parameters"].items():
        name = str(name)
        if not isinstance(spec, dict) or "low" not in spec or "high" not in spec:
            raise ConfigError(f"{path}: parameter '{name}' needs low and high")
        extra = set(spec) - {"low", "high", "source", "label"}
        if extra:
            raise ConfigError(f"{path}: parameter '{name}' has unknown key(s) {', '.join(sorted(extra))}")
        if not str(spec.get("source", "")).strip():
            raise ConfigError(f"{path}: parameter '{name}' needs a source (where the range comes from)")
        _lookup(name, place)  # an unknown name is refused here, in one line
        default = defaults.get(name)
        if default is None or isinstance(default, tuple):
            raise ConfigError(f"{path}: parameter '{name}' is not a single number; designs vary numbers only")
        try:
            low, high = float(spec["low"]), float(spec["high"])
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: parameter '{name}' low/high must be numbers") from None
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise ConfigError(f"{path}: parameter '{name}' needs low < high (got {low:g}, {high:g})")
        integer = isinstance(default, int)
        for value in (low, high):
            try:
                make_params(place, overrides={name: int(round(value)) if integer else value})
            except ConfigError as exc:
                raise ConfigError(f"{path}: range of '{name}' [{low:g}, {high:g}] is not allowed: {exc}") from None
        ranges.append(Range(name, low, high, integer, str(spec["source"]).strip(),
                            str(spec.get("label") or plain_label(name))))
    labels = [r.label for r in ranges]
    if len(set(labels)) < len(labels):  # two parameters with one short name: use the full names
        ranges = [Range(r.name, r.low, r.high, r.integer, r.source,
                        r.label if labels.count(r.label) == 1 else r.name) for r in ranges]
    regimes = raw.get("regimes")
    if regimes is not None and (not isinstance(regimes, list) or not regimes):
        raise ConfigError(f"{path}: regimes must be a non-empty list")
    return {"ranges": ranges, "regimes": regimes, "place": place, "funding": raw.get("funding"),
            "raw": raw, "path": str(path)}


def _value(params: Any, name: str) -> Any:
    """The value of a dotted parameter in a Params (KeyError/AttributeError when there is none)."""
    obj = params
    for part in name.split("."):
        if isinstance(obj, dict):
            obj = obj[part]
        elif hasattr(obj, "__dataclass_fields__") and part in obj.__dataclass_fields__:
            obj = getattr(obj, part)
        else:
            raise AttributeError(part)
    return obj


def _lookup(name: str, place: str | None) -> Any:
    """The current value of a dotted parameter (raises ConfigError for an unknown name)."""
    try:
        return _value(make_params(place), name)
    except (KeyError, AttributeError):
        raise ConfigError(f"unknown parameter '{name}'; see every parameter with: resilience run --cfg job"
                          ) from None


# --------------------------------------------------------------------------------------------
# Samplers
# --------------------------------------------------------------------------------------------


def salib_problem(ranges: list[Range]) -> dict[str, Any]:
    return {"num_vars": len(ranges), "names": [r.name for r in ranges],
            "bounds": [[r.low, r.high] for r in ranges]}


def min_size(method: str, d: int) -> int:
    """The smallest n a method accepts for d parameters, with the reason in ``check_size``."""
    return {"lhs": d + 1, "sobol": d + 1, "morris": 2, "saltelli": 2}[method]


def check_size(method: str, n: int, d: int) -> None:
    if method not in METHODS:
        raise ConfigError(f"unknown design method '{method}'; choose from: {', '.join(METHODS)}")
    need = min_size(method, d)
    if n < need:
        why = {"lhs": "at least one point more than parameters, or no emulator or regression can be fitted",
               "sobol": "at least one point more than parameters, or no emulator or regression can be fitted",
               "morris": "at least 2 trajectories, or the spread (sigma) of elementary effects is undefined",
               "saltelli": "at least 2 base samples for Sobol indices"}[method]
        raise ConfigError(f"design too small: --n {n} for {method} with {d} parameters; needs n >= {need} "
                          f"({why})")
    if method in ("sobol", "saltelli") and n & (n - 1):
        up = 1 << (n - 1).bit_length()
        raise ConfigError(f"{method} designs need n a power of 2 for the Sobol sequence's balance "
                          f"(got {n}; try {up})")


def sample(method: str, ranges: list[Range], n: int, seed: int) -> np.ndarray:
    """The design matrix (points x parameters) in the parameters' own units.

    lhs: ``scipy.stats.qmc.LatinHypercube`` (n points); sobol: scrambled ``qmc.Sobol`` (n points);
    morris: SALib's Morris trajectories (n trajectories, n (d + 1) points, 4 levels);
    saltelli: SALib's ``sample.sobol`` (n base samples, n (d + 2) points, first and total order).
    """
    d = len(ranges)
    check_size(method, n, d)
    lows = np.array([r.low for r in ranges])
    highs = np.array([r.high for r in ranges])
    if method in ("lhs", "sobol"):
        from scipy.stats import qmc

        engine = (qmc.LatinHypercube(d, seed=seed) if method == "lhs"
                  else qmc.Sobol(d, scramble=True, seed=seed))
        X = qmc.scale(engine.random(n), lows, highs)
    elif method == "morris":
        from SALib.sample import morris as morris_sample

        X = morris_sample.sample(salib_problem(ranges), n, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        from SALib.sample import sobol as saltelli_sample

        X = saltelli_sample.sample(salib_problem(ranges), n, calc_second_order=False, seed=seed)
    for j, r in enumerate(ranges):
        if r.integer:
            X[:, j] = np.round(X[:, j])
    return X


# --------------------------------------------------------------------------------------------
# Study folders
# --------------------------------------------------------------------------------------------


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``key=value`` words (values read as YAML: numbers, booleans, strings) into a flat mapping."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override '{item}' must be key=value (e.g. horizon_years=2)")
        key, text = item.split("=", 1)
        try:
            out[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError:
            out[key.strip()] = text
    return out


def create_study(
    ranges_path: str | Path,
    out: str | Path | None = None,
    *,
    method: str = "lhs",
    n: int = 16,
    replicates: int = 2,
    seed: int = 0,
    regimes: list[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Path:
    """Check everything, then write study.yaml and points.parquet (nothing is written on bad input).

    ``overrides``: fixed settings for every run (``place``, ``funding``, ``horizon_years``, any dotted
    parameter). An existing folder with the same study is reused as is (resume); a different one is
    refused."""
    from model import MODEL_VERSION

    overrides = dict(overrides or {})
    place = overrides.pop("place", None)
    funding = overrides.pop("funding", None)
    if isinstance(overrides.get("regime"), str):  # as in `resilience run regime=grants`
        raise ConfigError(f"a design chooses its regimes with --regimes {overrides['regime']} "
                          "(or the range file's 'regimes'), not regime=")
    if replicates < 1:
        raise ConfigError(f"--replicates must be at least 1 (got {replicates})")
    if seed < 0:
        raise ConfigError(f"--seed must be non-negative (got {seed})")
    spec = load_ranges(ranges_path, place=place)
    place = place or spec["place"]
    funding = funding or spec["funding"]
    ranges: list[Range] = spec["ranges"]
    regimes = list(regimes or spec["regimes"] or [make_params().regime.name])
    varied = {r.name for r in ranges}
    clash = varied & set(overrides)
    if clash:
        raise ConfigError(f"{', '.join(sorted(clash))} both fixed by an override and varied by the design")
    for reg in regimes:  # every regime and the fixed overrides must make valid parameters
        base = make_params(place, reg, funding, overrides=overrides)
    check_size(method, n, len(ranges))
    X = sample(method, ranges, n, seed)
    points = pd.DataFrame(X, columns=[r.name for r in ranges])
    for r in ranges:
        if r.integer:
            points[r.name] = points[r.name].astype(int)
    points.insert(0, "point", np.arange(len(points), dtype=int))
    study = {
        "method": method, "n": int(n), "n_points": len(points), "replicates": int(replicates),
        "seed": int(seed), "seeds": replicate_seeds(seed, replicates), "regimes": regimes,
        "place": place or base.place.name, "funding": funding or base.funding.path,
        "horizon_years": float(base.horizon_years), "overrides": overrides,
        "calc_second_order": False if method == "saltelli" else None,
        "morris_levels": MORRIS_LEVELS if method == "morris" else None,
        "range_file": spec["path"],
        "ranges": {r.name: {"low": r.low, "high": r.high, "integer": r.integer, "label": r.label,
                            "source": r.source} for r in ranges},
        "model_version": MODEL_VERSION,
    }
    if out is None:
        stamp = _dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
        out = Path("results") / "design" / Path(spec["path"]).stem / f"{method}_{stamp}"
    out = Path(out)
    if (out / "study.yaml").exists():
        old = yaml.safe_load((out / "study.yaml").read_text())
        keys = [k for k in study if k != "range_file"]
        differ = [k for k in keys if old.get(k) != json.loads(json.dumps(study[k]))]
        if differ:
            raise ConfigError(f"{out} holds a different study ({', '.join(differ)} differ); "
                              f"choose another --out")
        return out  # the same study: resume
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} exists and is not a study folder; choose another --out")
    study["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    _atomic_parquet(points, out / "points.parquet")
    _atomic_write_bytes(out / "study.yaml", yaml.safe_dump(study, sort_keys=False).encode())
    _write_manifest(out, study, done=0)
    _log(out, f"created: {method} design, {len(points)} points x {len(regimes)} regime(s) x "
              f"{replicates} replicates")
    return out


def _log(study_dir: Path, text: str) -> None:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    with open(study_dir / "status.log", "a") as fh:  # one short line per append: atomic in practice
        fh.write(f"{stamp} {text}\n")


def _write_manifest(study_dir: Path, study: dict[str, Any], done: int, **extra: Any) -> None:
    import mesa

    manifest = {"points_total": study["n_points"], "points_done": done,
                "runs_per_point": len(study["regimes"]) * study["replicates"],
                "model_version": study["model_version"], "mesa": mesa.__version__, "numpy": np.__version__,
                "updated": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), **extra}
    _atomic_write_bytes(study_dir / "manifest.json", json.dumps(manifest, indent=2).encode())


def read_study(study_dir: str | Path) -> tuple[dict[str, Any], pd.DataFrame]:
    study_dir = Path(study_dir)
    if not (study_dir / "study.yaml").is_file() or not (study_dir / "points.parquet").is_file():
        raise ConfigError(f"{study_dir} is not a study folder (no study.yaml/points.parquet)")
    return yaml.safe_load((study_dir / "study.yaml").read_text()), pd.read_parquet(study_dir / "points.parquet")


def point_file(study_dir: Path, k: int) -> Path:
    return study_dir / "runs" / f"point_{k}.parquet"


def done_points(study_dir: Path) -> set[int]:
    return {int(p.stem.split("_")[1]) for p in (study_dir / "runs").glob("point_*.parquet")}


def _shapes_burn_in(names: list[str]) -> bool:
    from model.model import AFTER_BURN_IN  # parts of Params (or dotted fields) that act only after it

    return any(not any(name == a or name.startswith(a + ".") for a in AFTER_BURN_IN) for name in names)


def _simulate_summary(params: Params, seed: int, cache: Path | None) -> dict[str, float]:
    from model import simulate

    return simulate(params, seed, burn_in_cache=cache).summary


def run_point(study_dir: Path, study: dict[str, Any], row: Mapping[str, Any],
              simulator: Callable[[Params, int, Path | None], Mapping[str, float]] | None = None) -> int:
    """Run one design point (every regime x replicate) and write its rows atomically; return failures."""
    from model.api import burn_in_key

    simulator = simulator or _simulate_summary
    k = int(row["point"])
    values = {name: row[name] for name in study["ranges"]}
    values = {n: (int(v) if study["ranges"][n]["integer"] else float(v)) for n, v in values.items()}
    shaping = _shapes_burn_in(list(values))
    # runs of one point in several regimes share each seed's burn-in; when no varied parameter shapes
    # the burn-in, every point shares it (the model's cache key decides what may be shared)
    cache = study_dir / "burn_in" if (len(study["regimes"]) > 1 or not shaping) else None
    prepare_for_runs()  # Ctrl-C: ignored in a worker, deferred while numba compiles (experiments/interrupts.py)
    rows, failed, used = [], 0, set()
    for regime in study["regimes"]:
        params = make_params(study["place"], regime, study["funding"],
                             overrides={**study["overrides"], **values})
        for r, seed in enumerate(study["seeds"]):
            ids = {"point": k, "regime": regime, "replicate": r, "seed": int(seed)}
            try:
                summary = dict(simulator(params, int(seed), cache))
                rows.append({**ids, "status": "ok", "error": "", **summary})
            except Exception as exc:  # one failed run is recorded and does not stop the study
                raise_if_interrupt(exc)  # Ctrl-C that numba reported as another error: stop
                failed += 1
                rows.append({**ids, "status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500]})
            if cache is not None and shaping:
                used.add(cache / f"burn_in_{burn_in_key(params, int(seed))}.pkl")
    _atomic_parquet(pd.DataFrame(rows), point_file(study_dir, k))
    for path in used:  # a point's own burn-ins are never needed again
        path.unlink(missing_ok=True)
    return failed


def chunk_points(n_points: int, chunk: int, chunks: int) -> range:
    """The i-th of K contiguous, near-equal chunks of 0..n-1."""
    if not 0 <= chunk < chunks:
        raise ConfigError(f"chunk must be in 0..{chunks - 1} (got {chunk})")
    size = math.ceil(n_points / chunks)
    return range(min(chunk * size, n_points), min((chunk + 1) * size, n_points))


def run_study(study_dir: str | Path, *, n_jobs: int = -1, chunk: tuple[int, int] | None = None,
              simulator: Callable[..., Mapping[str, float]] | None = None,
              progress: bool = False, gather: bool = True) -> dict[str, Any]:
    """Run the unfinished points of a study (or of one chunk of it) in parallel; gather runs.parquet.

    Returns ``{"ran": points run now, "skipped": already finished, "failed_runs": n, "seconds": t}``."""
    from joblib import Parallel, delayed

    study_dir = Path(study_dir)
    study, points = read_study(study_dir)
    todo_range = chunk_points(len(points), *chunk) if chunk else range(len(points))
    finished = done_points(study_dir)
    todo = [k for k in todo_range if k not in finished]
    where = f" (chunk {chunk[0] + 1}/{chunk[1]})" if chunk else ""
    _log(study_dir, f"start{where}: {len(todo)} point(s) to run, {len(todo_range) - len(todo)} already done")
    t0 = time.perf_counter()
    records = points.to_dict("records")
    failed = 0
    if todo:
        jobs = (delayed(run_point)(study_dir, study, records[k], simulator) for k in todo)
        par = Parallel(n_jobs=n_jobs, return_as="generator_unordered", verbose=0)
        for i, f in enumerate(par(jobs), 1):
            failed += f
            if progress:
                print(f"[design] {i}/{len(todo)} points{where} ({time.perf_counter() - t0:.0f} s)",
                      file=__import__("sys").stderr, flush=True)
    seconds = time.perf_counter() - t0
    _log(study_dir, f"end{where}: ran {len(todo)} point(s) in {seconds:.1f} s, {failed} failed run(s)")
    if gather:
        gather_runs(study_dir)
    return {"ran": len(todo), "skipped": len(todo_range) - len(todo), "failed_runs": failed,
            "seconds": seconds}


def gather_runs(study_dir: str | Path) -> pd.DataFrame:
    """Gather every finished point's rows into runs.parquet (atomically) and update the manifest."""
    study_dir = Path(study_dir)
    study, _ = read_study(study_dir)
    files = sorted((study_dir / "runs").glob("point_*.parquet"), key=lambda p: int(p.stem.split("_")[1]))
    runs = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True) if files else pd.DataFrame()
    _atomic_parquet(runs, study_dir / "runs.parquet")
    n_failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
    _write_manifest(study_dir, study, done=len(files), runs=len(runs), failed_runs=n_failed,
                    complete=len(files) == study["n_points"])
    return runs


def load_study(path: str | Path) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """``(study, points, runs)`` of a study folder: the study.yaml mapping, the design points and every
    finished run (gathered from runs/ if runs.parquet is missing or older)."""
    path = Path(path)
    study, points = read_study(path)
    runs_file = path / "runs.parquet"
    files = list((path / "runs").glob("point_*.parquet"))
    if runs_file.exists() and all(f.stat().st_mtime <= runs_file.stat().st_mtime for f in files):
        runs = pd.read_parquet(runs_file)
    else:
        runs = pd.concat([pd.read_parquet(p) for p in files], ignore_index=True) if files else pd.DataFrame()
    return study, points, runs


# --------------------------------------------------------------------------------------------
# Cluster: Hydra array tasks, each a chunk of points
# --------------------------------------------------------------------------------------------


def chunk_task(cfg: Any) -> int:
    """Hydra task for ``configs/design.yaml``: run chunk ``cfg.chunk`` of ``cfg.chunks`` of a study."""
    res = run_study(cfg.study, n_jobs=int(cfg.n_jobs), chunk=(int(cfg.chunk), int(cfg.chunks)),
                    gather=False)
    return res["failed_runs"]


def launch_chunks(study_dir: Path, launcher: str, chunks: int, n_jobs: int,
                  hydra_overrides: list[str] | None = None) -> None:
    """Run a study as ``chunks`` Hydra multirun jobs (array tasks under submitit), then gather."""
    import sys

    import hydra

    study_dir = Path(study_dir).resolve()
    argv = ["-m", f"study={study_dir}", f"chunk=range(0,{chunks})", f"chunks={chunks}",
            f"n_jobs={n_jobs}", f"hydra/launcher={launcher}", *(hydra_overrides or [])]
    app = hydra.main(config_path=str(CONFIG_DIR), config_name="design", version_base="1.3")(chunk_task)
    saved = sys.argv
    sys.argv = ["resilience design", *argv]
    try:
        app()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise ConfigError(f"the {launcher} launcher stopped (exit {exc.code}); "
                              f"see {study_dir}/hydra and status.log") from None
    finally:
        sys.argv = saved
    gather_runs(study_dir)
