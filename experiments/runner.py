"""One job: run R replicates of one configuration and write its tables to its folder.

A job is a pure function of its resolved config: if its folder already holds a completed job with
the same config, nothing is recomputed. A replicate that raises is recorded (``status``,
``error``) and the others continue.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import socket
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from experiments import progress as prog
from experiments.config import GROUPS, model_dict, replicate_seeds, run_settings, validate
from experiments.interrupts import prepare_for_runs, raise_if_interrupt
from experiments.store import (
    STATUS_LOG,
    atomic_write_parquet,
    atomic_write_text,
    git_commit,
    read_json,
    versions,
    write_json,
)
from model import OUTCOME_NAMES, simulate
from model.outcomes import run_totals
from model.params import ConfigError

# Overrides that say where or how to run, not what: never columns, never part of the job's identity.
NOT_CONDITIONS = ("results_dir", "progress", "name", "replicates", "seed")


@dataclass(slots=True)
class JobInfo:
    """What a job knows about its place in a run or sweep (from Hydra, or given by tests)."""

    output_dir: Path
    choices: dict[str, str | None] = field(default_factory=dict)  # config group -> option
    overrides: list[str] = field(default_factory=list)  # this job's command-line overrides
    multirun: bool = False
    job_num: int = 0
    sweep_dir: Path | None = None


@dataclass(slots=True)
class JobOutcome:
    status: str  # completed | failed | skipped
    n_replicates: int
    n_failed: int
    output_dir: Path


def condition_columns(cfg: DictConfig, info: JobInfo) -> dict[str, Any]:
    """The columns that say which conditions a row belongs to: the config-group choices, the base
    seed, and every other override by its dotted name."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    cols: dict[str, Any] = {g: (info.choices.get(g) or "") for g in GROUPS}
    cols["base_seed"] = int(cfg.seed)
    for ov in OverridesParser.create().parse_overrides(info.overrides):
        key = ov.key_or_group
        if key.startswith("hydra") or key in GROUPS or key in NOT_CONDITIONS:
            continue
        value = OmegaConf.select(cfg, key, default=None)
        if OmegaConf.is_config(value):
            value = json.dumps(OmegaConf.to_container(value, resolve=True), sort_keys=True)
        cols[key] = value
    return cols


def config_hash(cfg: DictConfig, conditions: dict[str, Any]) -> str:
    data = OmegaConf.to_container(cfg, resolve=True)
    for key in ("progress", "results_dir", "name"):  # where and how, not what
        data.pop(key, None)
    from model import MODEL_VERSION

    text = json.dumps({"config": data, "conditions": conditions, "model": MODEL_VERSION}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def job_identity(cfg: DictConfig, conditions: dict[str, Any]) -> str:
    """What a job's replicates depend on: the config (with its base seed) but not the number of
    replicates, the conditions and the model version. Replicate k of two jobs with the same identity
    is the same run, so adding replicates reuses the old ones."""
    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("replicates", None)
    return config_hash(OmegaConf.create(data), conditions)


def _done_before(out: Path, digest: str) -> bool:
    meta = read_json(out / "metadata.json")
    return bool(
        meta
        and meta.get("status") == "completed"
        and meta.get("config_sha256") == digest
        and all((out / f"{t}.parquet").exists() for t in ("timeseries", "groups", "summary"))
    )


def check_folder(out: Path, identity: str, seed: int) -> None:
    """Refuse (ConfigError, one line) a job folder that holds results of another job: a different
    seed, config or model version. An empty folder, or one with this job's results, is fine."""
    meta = read_json(out / "metadata.json")
    has_results = (out / "summary.parquet").exists() or (out / REPLICATES_DIR).is_dir()
    if meta is None:
        if has_results:
            raise ConfigError(f"{out} holds results without metadata; choose another folder")
        return
    if meta.get("identity") == identity:
        return
    from model import MODEL_VERSION

    why = "configuration"
    if meta.get("base_seed") is not None and int(meta["base_seed"]) != int(seed):
        why = f"seed ({meta['base_seed']}, now {seed})"
    elif str((meta.get("versions") or {}).get("model")) != str(MODEL_VERSION):
        why = f"model version ({(meta.get('versions') or {}).get('model')}, now {MODEL_VERSION})"
    raise ConfigError(f"{out} holds a job with another {why}; results are never replaced: choose "
                      f"another folder (results_dir=, name= or hydra.sweep.dir=)")


# --------------------------------------------------------------------------------------------
# Replicates: each finished replicate is kept in its own folder, written atomically
# --------------------------------------------------------------------------------------------

REPLICATES_DIR = "replicates"
REPLICATE_TABLES = ("summary", "timeseries", "groups")


def replicate_dir(out: Path, k: int) -> Path:
    return Path(out) / REPLICATES_DIR / f"rep_{k}"


def finished_replicate(out: Path, k: int, identity: str, seed: int) -> bool:
    """True when replicate k of this job (same identity and seed) completed and its tables are there."""
    d = replicate_dir(out, k)
    meta = read_json(d / "meta.json")
    return bool(meta and meta.get("identity") == identity and meta.get("seed") == seed
                and meta.get("status") == "completed"
                and all((d / f"{t}.parquet").exists() for t in REPLICATE_TABLES))


def write_replicate(out: Path, k: int, tables: dict[str, pd.DataFrame], meta: dict[str, Any]) -> None:
    """Write one replicate's tables and meta into a temporary folder, then rename it into place."""
    final = replicate_dir(out, k)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name in REPLICATE_TABLES:
        tables[name].to_parquet(tmp / f"{name}.parquet", index=False)
    write_json(tmp / "meta.json", meta)
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def read_replicate(out: Path, k: int) -> dict[str, pd.DataFrame]:
    d = replicate_dir(out, k)
    return {t: pd.read_parquet(d / f"{t}.parquet") for t in REPLICATE_TABLES}


def status_line(folder: Path | None, text: str) -> None:
    """Append one line to the status log of a sweep (or single run): what finished, when."""
    if folder is None:
        return
    path = Path(folder) / STATUS_LOG
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:  # one short write with O_APPEND: lines from parallel jobs do not interleave
        os.write(fd, f"{stamp} {text}\n".encode())
    finally:
        os.close(fd)


def _label(conditions: dict[str, Any]) -> str:
    keep = {k: v for k, v in conditions.items() if v not in ("", None) and k not in ("experiment", "base_seed")}
    return " ".join(f"{k}={v}" for k, v in keep.items())


def run_job(cfg: DictConfig, info: JobInfo) -> JobOutcome:
    """Run every replicate of the job configured by ``cfg`` and write its tables to
    ``info.output_dir``. Each replicate is kept as it finishes (``replicates/rep_<k>/``), so a job
    that was killed, or is asked for more replicates, runs only the replicates it lacks; a complete
    job with the same config is skipped. A folder holding another job is refused (ConfigError)."""
    out = Path(info.output_dir)
    params = validate(cfg)
    rs = run_settings(cfg)
    conditions = condition_columns(cfg, info)
    digest = config_hash(cfg, conditions)
    identity = job_identity(cfg, conditions)
    label = _label(conditions)
    tag = f"job {info.job_num}" if info.multirun else "run"
    log_dir = Path(info.sweep_dir) if info.multirun and info.sweep_dir else out
    check_folder(out, identity, rs.seed)
    out.mkdir(parents=True, exist_ok=True)

    if _done_before(out, digest):
        meta = read_json(out / "metadata.json") or {}
        prog.say(f"[{tag}] {label}: already completed in {out}; skipped")
        status_line(log_dir, f"{tag} skipped: already completed ({label})")
        if info.multirun and info.sweep_dir is not None:
            prog.job_finished(info.sweep_dir, info.job_num, "skipped", 0.0)
        return JobOutcome("skipped", int(meta.get("n_replicates", rs.replicates)),
                          int(meta.get("n_failed", 0)), out)

    prepare_for_runs()  # Ctrl-C while a kernel first compiles, or in a worker (experiments/interrupts.py)
    seeds = replicate_seeds(rs.seed, rs.replicates)
    # jobs of a sweep that differ only in regime, funding or horizon share each seed's burn-in:
    # the model at week 0 is kept in the sweep folder (results are identical with or without it)
    cache = Path(info.sweep_dir) / "burn_in_cache" if info.multirun and info.sweep_dir else None
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    meta: dict[str, Any] = {
        "status": "running",
        "conditions": conditions,
        "overrides": list(info.overrides),
        "choices": {k: v for k, v in info.choices.items()},
        "base_seed": rs.seed,
        "replicates": rs.replicates,
        "seeds": seeds,
        "config_sha256": digest,
        "identity": identity,
        "versions": versions(),
        "git": git_commit(),
        "host": socket.gethostname(),
        "start_time": started.isoformat(),
    }
    write_json(out / "metadata.json", meta)
    atomic_write_text(out / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))

    n_res = params.place.n_residents
    years = params.horizon_years
    show_years = rs.progress and not info.multirun
    cond_list = json.dumps(list(conditions))  # names of the condition columns, for compare
    from experiments import ensemble as ens_hook  # [ensemble hook] replicate k runs member k mod M
    ens = ens_hook.load_ensemble(rs.ensemble) if rs.ensemble else None
    base_params = params
    reused = 0
    for k, seed in enumerate(seeds):
        if finished_replicate(out, k, identity, seed):
            reused += 1
            continue
        params, member = ens_hook.for_replicate(model_dict(cfg), base_params, ens, k)  # [ensemble hook]
        ids = {**conditions, "replicate": k, "seed": seed,
               **({} if member is None else {"ensemble_member": member})}  # [ensemble hook]
        r0 = time.perf_counter()
        callback = prog.year_printer(tag, k, rs.replicates) if show_years else None
        try:
            res = simulate(params, seed, progress=callback, burn_in_cache=cache)
        except Exception as exc:  # noqa: BLE001 - a failed replicate is recorded, the rest go on
            raise_if_interrupt(exc)  # Ctrl-C that numba reported as another error: stop, record nothing
            err = f"{type(exc).__name__}: {exc}".replace("\n", " ")
            row = {**ids, "conditions": cond_list, "status": "failed", "error": err,
                   "wall_seconds": time.perf_counter() - r0}
            write_replicate(out, k, {"summary": pd.DataFrame([row]),
                                     "timeseries": _concat([], conditions),
                                     "groups": _concat([], conditions)},
                            {"identity": identity, "seed": seed, "replicate": k, "status": "failed",
                             "error": err})
            status_line(log_dir, f"{tag} replicate {k} failed (seed {seed}): {err}")
            prog.say(f"[{tag}] {label}: replicate {k + 1}/{rs.replicates} (seed {seed}) FAILED: {err}")
            if rs.progress:
                traceback.print_exc(file=sys.stderr)
            continue
        wall = time.perf_counter() - r0
        ts = res.timeseries
        row = {**ids, "conditions": cond_list, "status": "completed", "error": None,
               "wall_seconds": wall, "n_residents": n_res, "years": years}
        row.update(run_totals(ts, n_res, years, {"spend_total": res.spend_total}))  # spend_total, lonely_person_years (model/outcomes.py)
        row.update({name: res.summary.get(name, math.nan) for name in OUTCOME_NAMES})
        row.update({k2: v for k2, v in res.summary.items() if k2 not in row})
        write_replicate(out, k, {"summary": pd.DataFrame([row]), "timeseries": _with_ids(ts, ids),
                                 "groups": _with_ids(res.groups, ids)},
                        {"identity": identity, "seed": seed, "replicate": k, "status": "completed",
                         "wall_seconds": wall})
        status_line(log_dir, f"{tag} replicate {k} completed (seed {seed}) in {wall:.1f} s")
        if rs.progress:
            prog.say(f"[{tag}] {label}: replicate {k + 1}/{rs.replicates} done in {wall:.1f} s")
    if reused:
        prog.say(f"[{tag}] {label}: {reused} of {rs.replicates} replicates reused from {out / REPLICATES_DIR}")

    parts = [read_replicate(out, k) for k in range(len(seeds))]
    summary = pd.concat([p["summary"] for p in parts], ignore_index=True)
    for col in ("n_residents", "years", "spend_total", "lonely_person_years", *OUTCOME_NAMES):
        if col not in summary.columns:
            summary[col] = math.nan
    atomic_write_parquet(out / "timeseries.parquet",
                         _concat([p["timeseries"] for p in parts if len(p["timeseries"])], conditions))
    atomic_write_parquet(out / "groups.parquet",
                         _concat([p["groups"] for p in parts if len(p["groups"])], conditions))
    atomic_write_parquet(out / "summary.parquet", summary)

    n_failed = int((summary["status"] != "completed").sum())
    wall = time.perf_counter() - t0
    meta.update({
        "status": "completed" if n_failed == 0 else "failed",
        "n_replicates": rs.replicates,
        "n_reused": reused,
        "n_failed": n_failed,
        "errors": [e for e, s in zip(summary["error"], summary["status"], strict=True) if s != "completed"],
        "end_time": datetime.now(UTC).isoformat(),
        "wall_seconds": wall,
    })
    write_json(out / "metadata.json", meta)
    status_line(log_dir, f"{tag} {meta['status']}: {rs.replicates - n_failed}/{rs.replicates} replicates "
                         f"({reused} reused) in {wall:.1f} s ({label})")
    if info.multirun and info.sweep_dir is not None:
        prog.job_finished(info.sweep_dir, info.job_num, meta["status"], wall, label=label)
    return JobOutcome(meta["status"], rs.replicates, n_failed, out)


def _with_ids(df: pd.DataFrame, ids: dict[str, Any]) -> pd.DataFrame:
    id_frame = pd.DataFrame({k: [v] * len(df) for k, v in ids.items()}, index=df.index)
    return pd.concat([id_frame, df.drop(columns=[c for c in ids if c in df.columns])], axis=1)


def _concat(parts: list[pd.DataFrame], conditions: dict[str, Any]) -> pd.DataFrame:
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame(columns=[*conditions, "replicate", "seed"])


