"""Calibration with uncertainty: history matching in waves on Gaussian-process emulators.

    resilience calibrate configs/ranges/<study>.yaml --targets configs/targets.yaml --waves 3 --n 40

Each wave runs a Latin hypercube design of ``n`` points inside the space not yet ruled out, with
``R`` paired replicates per point (replicate r uses the same seed at every point: common random
numbers), fits one emulator per target to the replicate means, and rules out every parameter
value whose implausibility

    I(x) = |E[f(x)] - z| / sqrt(Var_emulator(x) + Var_obs + Var_replicate)

exceeds 3 (Pukelsheim's three-sigma rule) for any target (the maximum over targets; with
``measure="second_max"`` the second largest, which tolerates one poorly emulated target). ``z``
and ``sd`` (``Var_obs = sd**2``) come from the targets file; ``Var_replicate`` is by default the
variance of one run around the model's mean (pooled over the design points' replicates), since the
observed world is one realisation, not an average; ``replicate_variance="mean"`` uses the variance
of the mean of the R replicates instead, for a target read as an expected value. The space still in play after the last wave is sampled into a
parameter ensemble (``ensemble.parquet``) that ``resilience run ensemble=PATH`` uses.

Why history matching rather than ABC-SMC (pyabc): history matching needs only scikit-learn and a
few hundred model runs, because it rules out space with an emulator rather than accepting runs one
by one; ABC-SMC would need thousands of runs of a model that takes seconds per run, and a new
dependency. What history matching yields is the set of parameter values not ruled out (with equal
weight), not a posterior: the ensemble says which values remain plausible, not how likely each is.

Each wave's folder is a study folder (CONTRACTS.md: ``study.yaml``, ``points.parquet``,
``runs/point_<k>.parquet`` written atomically when a point finishes, ``runs.parquet``), so an
interrupted calibration restarts where it stopped, and the design tools can read each wave.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from experiments.interrupts import prepare_for_runs, raise_if_interrupt
from model.params import ConfigError

CUTOFF = 3.0  # implausibility cut-off: Pukelsheim's 3-sigma rule holds for any unimodal distribution
CANDIDATES = 20_000  # size of the Latin hypercube from which each wave's space is sampled by rejection
MEASURES = ("max", "second_max")
# Var_replicate: "run" is the variance of one run around the model's mean (the observed world is one
# realisation; Andrianakis et al. 2015), "mean" that of the mean of the R replicates (the target is
# an expected value, e.g. a national average that a place's mean should reproduce).
REPLICATE_VARIANCE = ("run", "mean")

Simulator = Callable[[dict[str, float], int], Mapping[str, float]]


# --------------------------------------------------------------------------------------------
# Inputs: ranges and targets
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Ranges:
    """Named parameter ranges (a range file of configs/ranges/)."""

    names: list[str]
    low: np.ndarray
    high: np.ndarray
    integer: list[bool] = field(default_factory=list)
    regimes: list[str] = field(default_factory=list)
    place: str | None = None
    content: dict[str, Any] = field(default_factory=dict)  # the file's content, kept in results

    def __post_init__(self) -> None:
        self.low = np.asarray(self.low, dtype=float)
        self.high = np.asarray(self.high, dtype=float)
        if not self.integer:
            self.integer = [False] * len(self.names)

    def scale(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.low) / (self.high - self.low)

    def unscale(self, u: np.ndarray) -> np.ndarray:
        x = self.low + np.asarray(u, dtype=float) * (self.high - self.low)
        for j, is_int in enumerate(self.integer):
            if is_int:
                x[:, j] = np.round(x[:, j])
        return x


@dataclass(slots=True)
class Target:
    name: str
    metric: str
    value: float
    sd: float
    low: float | None = None
    high: float | None = None
    source: str = ""


def _read_yaml(path: Path, what: str) -> Any:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no such {what} file: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path} is not valid YAML{where}") from None


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number (got {value!r})")
    return float(value)


def load_ranges(path: Path, check_model: bool = True) -> Ranges:
    """Read a range file (CONTRACTS.md). With ``check_model``, every name must be a numeric model
    parameter and both ends of its range must be allowed values; problems raise ConfigError."""
    data = _read_yaml(path, "range")
    if not isinstance(data, dict) or not isinstance(data.get("parameters"), dict) or not data["parameters"]:
        raise ConfigError(f"{path}: expected a mapping with a non-empty 'parameters' mapping")
    names, low, high, integer = [], [], [], []
    for name, spec in data["parameters"].items():
        if not isinstance(spec, dict) or "low" not in spec or "high" not in spec:
            raise ConfigError(f"{path}: parameter '{name}' needs 'low' and 'high'")
        lo, hi = _number(spec["low"], f"{name}.low"), _number(spec["high"], f"{name}.high")
        if not lo < hi:
            raise ConfigError(f"{path}: parameter '{name}' needs low < high (got {lo:g}, {hi:g})")
        names.append(str(name))
        low.append(lo)
        high.append(hi)
        integer.append(_is_int_parameter(str(name)) if check_model else False)
    regimes = data.get("regimes") or []
    if isinstance(regimes, str):
        regimes = [regimes]
    place = data.get("place")
    if check_model:
        from model import make_params
        from model.regimes import all_regimes

        for r in regimes:
            if r not in all_regimes():
                raise ConfigError(f"{path}: unknown regime '{r}'; allowed: {', '.join(all_regimes())}")
        for name, lo, hi in zip(names, low, high, strict=True):
            for value in (lo, hi):
                try:
                    make_params(place=place, overrides={name: value})
                except ConfigError as exc:
                    raise ConfigError(f"{path}: {exc}") from None
    return Ranges(names, np.array(low), np.array(high), integer, list(regimes), place, data)


def _is_int_parameter(name: str) -> bool:
    from model import Params

    obj: Any = Params()
    for part in name.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
    return isinstance(obj, int) and not isinstance(obj, bool)


def known_metrics() -> tuple[str, ...]:
    from model import OUTCOME_NAMES

    return OUTCOME_NAMES


def load_targets(path: Path, metrics: tuple[str, ...] | None = None,
                 only: list[str] | None = None) -> list[Target]:
    """Read configs/targets.yaml (CONTRACTS.md); ``only`` keeps the named targets."""
    metrics = known_metrics() if metrics is None else metrics
    data = _read_yaml(path, "targets")
    if not isinstance(data, dict) or not isinstance(data.get("targets"), dict) or not data["targets"]:
        raise ConfigError(f"{path}: expected a mapping with a non-empty 'targets' mapping")
    out = []
    for name, spec in data["targets"].items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{path}: target '{name}' must be a mapping")
        metric = spec.get("metric", name)
        if metric not in metrics:
            raise ConfigError(f"{path}: target '{name}' has unknown metric '{metric}'; "
                              f"allowed: {', '.join(metrics)}")
        if "value" not in spec or "sd" not in spec:
            raise ConfigError(f"{path}: target '{name}' needs 'value' and 'sd'")
        sd = _number(spec["sd"], f"{name}.sd")
        if sd <= 0:
            raise ConfigError(f"{path}: target '{name}' needs sd > 0 (got {sd:g})")
        low = _number(spec["low"], f"{name}.low") if spec.get("low") is not None else None
        high = _number(spec["high"], f"{name}.high") if spec.get("high") is not None else None
        out.append(Target(str(name), str(metric), _number(spec["value"], f"{name}.value"), sd, low, high,
                          str(spec.get("source", ""))))
    if only:
        unknown = [n for n in only if n not in {t.name for t in out}]
        if unknown:
            raise ConfigError(f"unknown target(s) {', '.join(unknown)}; in {path}: "
                              f"{', '.join(t.name for t in out)}")
        out = [t for t in out if t.name in only]
    return out


# --------------------------------------------------------------------------------------------
# The model as a simulator of named inputs and named outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelSimulator:
    """``simulate`` on one place, regime and funding path, with fixed overrides; picklable."""

    place: str = "town"
    regime: str = "status_quo"
    funding: str | None = None
    fixed: tuple[tuple[str, Any], ...] = ()

    def params(self, values: Mapping[str, float]):
        from model import make_params

        return make_params(self.place, self.regime, self.funding, overrides={**dict(self.fixed), **values})

    def __call__(self, values: dict[str, float], seed: int) -> Mapping[str, float]:
        from model import simulate

        return simulate(self.params(values), seed).summary


# --------------------------------------------------------------------------------------------
# Emulators: the project's GP (experiments.emulator.gaussian_process) with the variance of its mean
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Emulator:
    """A fitted GP on inputs scaled to [0, 1]: ``predict(u) -> (mean, variance of the mean)``."""

    gp: Any
    noise_var: float  # the fitted white-noise variance (not part of the emulator's uncertainty)

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = self.gp.predict(np.atleast_2d(u), return_std=True)
        return mean, np.maximum(std ** 2 - self.noise_var, 1e-12 * max(float(np.var(self.gp.y_train_)), 1e-300))


def fit_gp(u: np.ndarray, y: np.ndarray, seed: int = 0, kernel: Any = None) -> Emulator:
    """The project's GP (``experiments.emulator.gaussian_process``) on inputs in [0, 1]. Given a
    fitted ``kernel``, its hyperparameters are kept (no optimisation): used for cross-validation,
    where refitting them on every fold would cost far more and change little."""
    import warnings

    from experiments.emulator import gaussian_process

    gp = gaussian_process(u.shape[1], seed, kernel, restarts=2)
    with warnings.catch_warnings():  # bounds reached (e.g. an inert input) are expected, not errors
        warnings.simplefilter("ignore")
        gp.fit(u, y)
    noise = float(gp.kernel_.k2.noise_level) * float(np.asarray(gp._y_train_std) ** 2)
    return Emulator(gp, noise)


def cross_validate(u: np.ndarray, y: np.ndarray, emulator: Emulator, seed: int = 0,
                   folds: int = 5) -> dict[str, float]:
    """K-fold cross-validated accuracy of the emulator (its hyperparameters kept, the fit redone
    without the held-out fold): Q2 (R^2 on held-out points), RMSE, and the share of held-out points
    whose standardised error is within 3 (a check of the emulator's stated uncertainty)."""
    from sklearn.model_selection import KFold

    k = min(folds, len(y))
    pred = np.empty(len(y))
    var = np.empty(len(y))
    for train, test in KFold(k, shuffle=True, random_state=seed).split(u):
        em = fit_gp(u[train], y[train], seed, kernel=emulator.gp.kernel_)
        m, v = em.predict(u[test])
        pred[test], var[test] = m, v + em.noise_var
    resid = y - pred
    ss = float(np.sum((y - y.mean()) ** 2))
    return {
        "q2": float(1 - np.sum(resid ** 2) / ss) if ss > 0 else float("nan"),
        "rmse": float(np.sqrt(np.mean(resid ** 2))),
        "within_3sd": float(np.mean(np.abs(resid) / np.sqrt(var) <= 3)),
        "folds": int(k),
    }


# --------------------------------------------------------------------------------------------
# Implausibility and the space not ruled out
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Wave:
    """What one wave leaves behind: its emulators and the variances they are judged with."""

    emulators: list[Emulator]
    targets: list[Target]
    rep_var: list[float]

    def implausibility(self, u: np.ndarray) -> np.ndarray:
        """(n points, n targets) implausibility of scaled inputs ``u``."""
        cols = []
        for em, t, rv in zip(self.emulators, self.targets, self.rep_var, strict=True):
            mean, var = em.predict(u)
            cols.append(np.abs(mean - t.value) / np.sqrt(var + t.sd ** 2 + rv))
        return np.column_stack(cols)


def combine(imp: np.ndarray, measure: str) -> np.ndarray:
    """Reduce (n, targets) implausibilities to one per point: the maximum, or the second maximum."""
    if measure == "second_max" and imp.shape[1] >= 2:
        return np.sort(imp, axis=1)[:, -2]
    return imp.max(axis=1)


def not_ruled_out(u: np.ndarray, waves: list[Wave], measure: str, cutoff: float = CUTOFF) -> np.ndarray:
    """Boolean mask: points of ``u`` not ruled out by any wave so far."""
    keep = np.ones(len(u), dtype=bool)
    for w in waves:
        idx = np.flatnonzero(keep)
        if idx.size:
            keep[idx] = combine(w.implausibility(u[idx]), measure) <= cutoff
    return keep


def lhs(d: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n)


def maximin_subset(u: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` rows of ``u`` chosen greedily to spread out (farthest-point), starting from a random one."""
    if len(u) <= n:
        return u
    rng = np.random.default_rng(seed)
    chosen = [int(rng.integers(len(u)))]
    dist = np.linalg.norm(u - u[chosen[0]], axis=1)
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.linalg.norm(u - u[i], axis=1))
    return u[np.sort(chosen)]


def sample_space(d: int, n: int, waves: list[Wave], measure: str, seed: int,
                 candidates: int = CANDIDATES) -> tuple[np.ndarray, float]:
    """``n`` spread-out points of the space not ruled out, by rejection from a Latin hypercube of
    candidates inside the bounding box of the previous space; also the share of the candidates kept.
    The first wave is a plain Latin hypercube of ``n`` points on the whole prior box."""
    if not waves:
        return lhs(d, n, seed), 1.0
    cand = lhs(d, candidates, seed)
    keep = not_ruled_out(cand, waves, measure)
    return maximin_subset(cand[keep], n, seed), float(keep.mean())


# --------------------------------------------------------------------------------------------
# Running a wave: a study folder, one atomic file per finished point
# --------------------------------------------------------------------------------------------


def _atomic_parquet(path: Path, df: pd.DataFrame) -> None:
    from experiments.store import atomic_write_parquet

    atomic_write_parquet(path, df)


def _atomic_text(path: Path, text: str) -> None:
    from experiments.store import atomic_write_text

    atomic_write_text(path, text)


def run_point(simulator: Simulator, point: int, values: dict[str, float], seeds: list[int],
              regime: str, metrics: list[str], path: Path) -> None:
    """Run the replicates of one design point and write its rows to ``path`` atomically."""
    prepare_for_runs()  # Ctrl-C: ignored in a worker, deferred while numba compiles (experiments/interrupts.py)
    rows = []
    for r, seed in enumerate(seeds):
        row: dict[str, Any] = {"point": point, "regime": regime, "replicate": r, "seed": seed}
        try:
            out = simulator(dict(values), seed)
            row.update({"status": "completed", "error": None})
            row.update({k: float(v) for k, v in out.items()})
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded; the wave goes on
            raise_if_interrupt(exc)  # Ctrl-C that numba reported as another error: stop
            row.update({"status": "failed", "error": f"{type(exc).__name__}: {exc}".replace("\n", " ")})
            row.update({m: math.nan for m in metrics})
        rows.append(row)
    _atomic_parquet(path, pd.DataFrame(rows))


def run_wave(folder: Path, simulator: Simulator, points: pd.DataFrame, seeds: list[int], regime: str,
             metrics: list[str], jobs: int = 1) -> pd.DataFrame:
    """Run every point of ``points`` not already finished in ``folder/runs``; gather runs.parquet."""
    runs_dir = folder / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    names = [c for c in points.columns if c != "point"]
    todo = []
    for _, row in points.iterrows():
        k = int(row["point"])
        if not (runs_dir / f"point_{k}.parquet").exists():
            todo.append((k, {n: _plain(row[n]) for n in names}))
    if todo:
        if jobs == 1:
            for k, values in todo:
                run_point(simulator, k, values, seeds, regime, metrics, runs_dir / f"point_{k}.parquet")
        else:
            from joblib import Parallel, delayed

            Parallel(n_jobs=jobs)(delayed(run_point)(simulator, k, values, seeds, regime, metrics,
                                                     runs_dir / f"point_{k}.parquet") for k, values in todo)
    runs = pd.concat([pd.read_parquet(runs_dir / f"point_{int(k)}.parquet") for k in points["point"]],
                     ignore_index=True)
    _atomic_parquet(folder / "runs.parquet", runs)
    return runs


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


# --------------------------------------------------------------------------------------------
# The calibration
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CalibrationResult:
    out: Path
    ensemble: pd.DataFrame | None
    summary: dict[str, Any]
    status: str  # completed | empty


def _fingerprint(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def calibrate(ranges: Ranges, targets: list[Target], out: Path, *, simulator: Simulator,
              waves: int = 3, n: int = 40, replicates: int = 2, seed: int = 0, members: int = 200,
              measure: str = "max", replicate_variance: str = "run", jobs: int = 1, regime: str = "",
              meta: dict[str, Any] | None = None, candidates: int = CANDIDATES,
              log: Callable[[str], None] | None = None) -> CalibrationResult:
    """History matching in ``waves`` waves of ``n`` points x ``replicates`` paired replicates;
    writes ``out/wave_<w>/`` (study folders), ``out/ensemble.parquet`` and ``out/calibration.yaml``.
    Re-running with the same request into the same folder resumes; a different request is refused."""
    from experiments.config import replicate_seeds

    if measure not in MEASURES:
        raise ConfigError(f"unknown implausibility measure '{measure}'; choose from: {', '.join(MEASURES)}")
    if replicate_variance not in REPLICATE_VARIANCE:
        raise ConfigError(f"unknown replicate variance '{replicate_variance}'; choose from: "
                          f"{', '.join(REPLICATE_VARIANCE)}")
    say = log or (lambda s: None)
    out = Path(out)
    d = len(ranges.names)
    request = {"ranges": {"names": ranges.names, "low": ranges.low.tolist(), "high": ranges.high.tolist()},
               "targets": [dataclasses.asdict(t) for t in targets], "waves": waves, "n": n,
               "replicates": replicates, "seed": seed, "members": members, "measure": measure,
               "replicate_variance": replicate_variance, "candidates": candidates, "regime": regime,
               "meta": meta or {}}
    digest = _fingerprint(request)
    req_path = out / "request.json"
    if req_path.exists():
        old = json.loads(req_path.read_text(encoding="utf-8"))
        if old.get("sha256") != digest:
            raise ConfigError(f"{out} holds a calibration with different settings; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    _atomic_text(req_path, json.dumps({"sha256": digest, "request": request}, indent=2, default=str) + "\n")

    seeds = replicate_seeds(seed, replicates)
    metrics = sorted({t.metric for t in targets})
    prior_check = lhs(d, candidates, seed + 7919)  # fixed sample of the prior box: share not ruled out
    done: list[Wave] = []
    wave_info: list[dict[str, Any]] = []
    status = "completed"
    t0 = time.perf_counter()
    for w in range(1, waves + 1):
        folder = out / f"wave_{w}"
        folder.mkdir(exist_ok=True)
        points_path = folder / "points.parquet"
        if points_path.exists():
            points = pd.read_parquet(points_path)
            u = ranges.scale(points[ranges.names].to_numpy(float))
            kept = float("nan")
        else:
            u, kept = sample_space(d, n, done, measure, seed + 1000 * w, candidates)
            if len(u) == 0:
                status = "empty"
                say(f"wave {w}: no candidate point is left; the targets cannot be matched in these ranges")
                break
            x = ranges.unscale(u)
            u = ranges.scale(x)  # integer parameters were rounded
            points = pd.DataFrame(x, columns=ranges.names)
            points.insert(0, "point", np.arange(len(points)))
            _atomic_parquet(points_path, points)
            _atomic_text(folder / "study.yaml", yaml.safe_dump({
                "method": "lhs" if w == 1 else "lhs_rejection", "wave": w, "n": len(points),
                "replicates": replicates, "seed": seed, "regimes": [regime] if regime else [],
                **(meta or {}), "ranges": ranges.content or request["ranges"],
                "created": datetime.now(UTC).isoformat(timespec="seconds")}, sort_keys=False))
        say(f"wave {w}: running {len(points)} points x {replicates} replicates")
        runs = run_wave(folder, simulator, points, seeds, regime, metrics, jobs)
        ok = runs[runs["status"] == "completed"]
        n_failed = int((runs["status"] != "completed").sum())
        means = ok.groupby("point")[metrics].mean()
        if len(means) < max(4, d + 2):
            raise ConfigError(f"wave {w}: only {len(means)} points finished ({n_failed} runs failed); "
                              f"see {folder / 'runs.parquet'}")
        pts = points.set_index("point").loc[means.index]
        uw = ranges.scale(pts[ranges.names].to_numpy(float))
        ems, rvs, cv = [], [], {}
        for t in targets:
            y = means[t.metric].to_numpy(float)
            em = fit_gp(uw, y, seed)
            if replicates >= 2:
                run_var = float(ok.groupby("point")[t.metric].var(ddof=1).mean())
            else:
                run_var = em.noise_var  # one run per point: the GP's white noise is the run-to-run variance
            rv = run_var / replicates if replicate_variance == "mean" else run_var
            ems.append(em)
            rvs.append(rv)
            cv[t.name] = {k: round(v, 4) if isinstance(v, float) else v
                          for k, v in cross_validate(uw, y, em, seed).items()}
            cv[t.name]["run_sd"] = round(math.sqrt(run_var), 6)  # one run around the model's mean
            cv[t.name]["var_replicate"] = float(f"{rv:.4g}")  # as used in the implausibility
        wave = Wave(ems, targets, rvs)
        done.append(wave)
        share = float(not_ruled_out(prior_check, done, measure).mean())
        imp_runs = combine(wave.implausibility(uw), measure)
        info = {"wave": w, "points": int(len(points)), "runs": int(len(runs)), "failed_runs": n_failed,
                "candidates_kept": None if math.isnan(kept) else round(kept, 5),
                "non_implausible_share_of_prior": round(share, 5),
                "design_points_not_ruled_out": int((imp_runs <= CUTOFF).sum()),
                "emulator_cv": cv}
        wave_info.append(info)
        say(f"wave {w}: non-implausible share of the prior {share:.4f}; emulator Q2 "
            + ", ".join(f"{k} {v['q2']:.2f}" for k, v in cv.items()))
        if share == 0:
            status = "empty"
            break

    ensemble = None
    if status == "completed":
        cand = lhs(d, candidates, seed + 999_983)
        keep = not_ruled_out(cand, done, measure)
        if not keep.any():
            status = "empty"
        else:
            chosen = maximin_subset(cand[keep], members, seed) if keep.sum() > members else cand[keep]
            x = ranges.unscale(chosen)
            ensemble = pd.DataFrame(x, columns=ranges.names)
            imp = combine(done[-1].implausibility(ranges.scale(x)), measure)
            ensemble.insert(0, "member", np.arange(len(ensemble)))
            ensemble["implausibility"] = imp
            ensemble["weight"] = 1.0 / len(ensemble)
            _atomic_parquet(out / "ensemble.parquet", ensemble)
    summary = {
        "method": "history matching (Gaussian-process emulators, scikit-learn)",
        "status": status,
        "implausibility": {"cutoff": CUTOFF, "measure": measure, "replicate_variance": replicate_variance,
                           "formula": "|E[f(x)] - z| / sqrt(Var_emulator + sd_obs^2 + Var_replicate)"},
        "targets": [dataclasses.asdict(t) for t in targets],
        "parameters": {nm: {"low": float(lo), "high": float(hi)}
                       for nm, lo, hi in zip(ranges.names, ranges.low, ranges.high, strict=True)},
        "waves": wave_info, "n_per_wave": n, "replicates": replicates, "seed": seed,
        "regime": regime, **(meta or {}),
        "ensemble": None if ensemble is None else {
            "file": "ensemble.parquet", "members": int(len(ensemble)),
            "ranges": {nm: [float(ensemble[nm].min()), float(ensemble[nm].max())] for nm in ranges.names}},
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _atomic_text(out / "calibration.yaml", yaml.safe_dump(summary, sort_keys=False))
    return CalibrationResult(out, ensemble, summary, status)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


class _Parser:
    """argparse with its errors as ConfigError (one line, exit 2) rather than usage text."""

    @staticmethod
    def make(prog: str, description: str):
        import argparse

        class P(argparse.ArgumentParser):
            def error(self, message: str):  # noqa: D401 - argparse's hook
                raise ConfigError(f"{prog}: {message}")

        return P(prog=prog, description=description)


def min_points(d: int) -> int:
    """Smallest design per wave: 3 points per parameter and 8 overall, so a GP with one length
    scale per parameter is fitted on more points than it has hyperparameters, and each of the 5
    cross-validation folds holds out at least one point."""
    return max(8, 3 * d)


def _parse_sets(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE (got {item!r})")
        out[key.strip()] = yaml.safe_load(text)
    return out


def cli(argv: list[str]) -> int:
    import os
    import sys

    from experiments.config import CONFIG_DIR
    from model import MODEL_VERSION

    p = _Parser.make("resilience calibrate", "History matching of model parameters to observed targets.")
    p.add_argument("ranges", type=Path, help="range file (configs/ranges/<study>.yaml)")
    p.add_argument("--targets", type=Path, default=CONFIG_DIR / "targets.yaml", help="targets file")
    p.add_argument("--only", nargs="+", default=None, metavar="TARGET", help="use only these targets")
    p.add_argument("--waves", type=int, default=3, help="waves of history matching (default 3)")
    p.add_argument("--n", type=int, default=40, help="design points per wave (default 40)")
    p.add_argument("--replicates", type=int, default=2, help="paired replicates per point (default 2)")
    p.add_argument("--members", type=int, default=200, help="ensemble size (default 200)")
    p.add_argument("--measure", choices=MEASURES, default="max",
                   help="implausibility over targets: max (default) or second_max")
    p.add_argument("--replicate-variance", choices=REPLICATE_VARIANCE, default="run",
                   help="Var_replicate: of one run (default; the world is one realisation) or of the "
                        "mean of R replicates (the target is an expected value)")
    p.add_argument("--place", default=None, help="place (default: the range file's, else town)")
    p.add_argument("--regime", default=None,
                   help="regime (default: the range file's first, else status_quo, the validation baseline)")
    p.add_argument("--funding", default=None, help="funding path (default: stable)")
    p.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", help="fixed parameter overrides")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel points (default: cores)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default results/calibrate/<time>)")
    a = p.parse_args(argv)

    # every check before anything is written
    ranges = load_ranges(a.ranges)
    targets = load_targets(a.targets, only=a.only)
    d = len(ranges.names)
    if a.waves < 1:
        raise ConfigError(f"--waves must be at least 1 (got {a.waves})")
    if a.n < min_points(d):
        raise ConfigError(f"design too small: --n {a.n} < {min_points(d)} points for {d} parameter(s) "
                          f"(3 per parameter, at least 8)")
    if a.replicates < 1 or a.members < 1 or a.jobs < 1 or a.seed < 0:
        raise ConfigError("--replicates, --members and --jobs must be at least 1, --seed non-negative")
    place = a.place or ranges.place or "town"
    regime = a.regime or (ranges.regimes[0] if ranges.regimes else "status_quo")
    fixed = _parse_sets(a.set)
    clash = sorted(set(fixed) & set(ranges.names))
    if clash:
        raise ConfigError(f"--set fixes calibrated parameter(s): {', '.join(clash)}")
    sim = ModelSimulator(place, regime, a.funding, tuple(sorted(fixed.items())))
    for corner in (ranges.low, ranges.high):
        sim.params(dict(zip(ranges.names, corner.tolist(), strict=True)))  # raises ConfigError
    out = a.out or Path("results") / "calibrate" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    meta = {"place": place, "funding": a.funding or "stable", "fixed_overrides": fixed,
            "horizon_years": float(sim.params({}).horizon_years), "model_version": MODEL_VERSION,
            "ranges_file": str(a.ranges), "targets_file": str(a.targets)}

    def log(s: str) -> None:
        print(f"[calibrate] {s}", file=sys.stderr, flush=True)

    res = calibrate(ranges, targets, out, simulator=sim, waves=a.waves, n=a.n, replicates=a.replicates,
                    seed=a.seed, members=a.members, measure=a.measure,
                    replicate_variance=a.replicate_variance, jobs=a.jobs, regime=regime,
                    meta=meta, log=log)
    print(f"calibration: {res.out / 'calibration.yaml'}")
    if res.status != "completed":
        print("error: every parameter value was ruled out: the targets cannot be matched within these "
              "ranges (see calibration.yaml)", file=sys.stderr)
        return 1
    print(f"ensemble:    {res.out / 'ensemble.parquet'} ({len(res.ensemble)} members)")
    for nm, (lo, hi) in res.summary["ensemble"]["ranges"].items():
        i = ranges.names.index(nm)
        print(f"  {nm}: {lo:.4g} .. {hi:.4g} (prior {ranges.low[i]:.4g} .. {ranges.high[i]:.4g})")
    print(f"run over it: resilience run ensemble={res.out / 'ensemble.parquet'} replicates=N ...")
    return 0
