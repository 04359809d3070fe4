"""One job: run R replicates of one configuration and write its tables to its folder.

A job is a pure function of its resolved config: if its folder already holds a completed job with
the same config, nothing is recomputed. A replicate that raises is recorded (``status``,
``error``) and the others continue.
"""

from __future__ import annotations

import hashlib
import json
import math
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
from experiments.store import (
    atomic_write_parquet,
    atomic_write_text,
    git_commit,
    read_json,
    versions,
    write_json,
)
from model import OUTCOME_NAMES, simulate
from model.outcomes import run_totals

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


def _done_before(out: Path, digest: str) -> bool:
    meta = read_json(out / "metadata.json")
    return bool(
        meta
        and meta.get("status") == "completed"
        and meta.get("config_sha256") == digest
        and all((out / f"{t}.parquet").exists() for t in ("timeseries", "groups", "summary"))
    )


def _label(conditions: dict[str, Any]) -> str:
    keep = {k: v for k, v in conditions.items() if v not in ("", None) and k not in ("experiment", "base_seed")}
    return " ".join(f"{k}={v}" for k, v in keep.items())


def run_job(cfg: DictConfig, info: JobInfo) -> JobOutcome:
    """Run every replicate of the job configured by ``cfg`` and write its tables to
    ``info.output_dir``; skip it if a completed job with the same config is already there."""
    out = Path(info.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = validate(cfg)
    rs = run_settings(cfg)
    conditions = condition_columns(cfg, info)
    digest = config_hash(cfg, conditions)
    label = _label(conditions)
    tag = f"job {info.job_num}" if info.multirun else "run"

    if _done_before(out, digest):
        meta = read_json(out / "metadata.json") or {}
        prog.say(f"[{tag}] {label}: already completed in {out}; skipped")
        if info.multirun and info.sweep_dir is not None:
            prog.job_finished(info.sweep_dir, info.job_num, "skipped", 0.0)
        return JobOutcome("skipped", int(meta.get("n_replicates", rs.replicates)),
                          int(meta.get("n_failed", 0)), out)

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
        "versions": versions(),
        "git": git_commit(),
        "host": socket.gethostname(),
        "start_time": started.isoformat(),
    }
    write_json(out / "metadata.json", meta)
    atomic_write_text(out / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))

    ts_parts: list[pd.DataFrame] = []
    group_parts: list[pd.DataFrame] = []
    rows: list[dict[str, Any]] = []
    n_res = params.place.n_residents
    years = params.horizon_years
    show_years = rs.progress and not info.multirun
    cond_list = json.dumps(list(conditions))  # names of the condition columns, for compare
    from experiments import ensemble as ens_hook  # [ensemble hook] replicate k runs member k mod M
    ens = ens_hook.load_ensemble(rs.ensemble) if rs.ensemble else None
    base_params = params
    for k, seed in enumerate(seeds):
        params, member = ens_hook.for_replicate(model_dict(cfg), base_params, ens, k)  # [ensemble hook]
        ids = {**conditions, "replicate": k, "seed": seed,
               **({} if member is None else {"ensemble_member": member})}  # [ensemble hook]
        r0 = time.perf_counter()
        callback = prog.year_printer(tag, k, rs.replicates) if show_years else None
        try:
            res = simulate(params, seed, progress=callback, burn_in_cache=cache)
        except Exception as exc:  # noqa: BLE001 - a failed replicate is recorded, the rest go on
            err = f"{type(exc).__name__}: {exc}".replace("\n", " ")
            rows.append({**ids, "conditions": cond_list, "status": "failed", "error": err,
                         "wall_seconds": time.perf_counter() - r0})
            prog.say(f"[{tag}] {label}: replicate {k + 1}/{rs.replicates} (seed {seed}) FAILED: {err}")
            if rs.progress:
                traceback.print_exc(file=sys.stderr)
            continue
        wall = time.perf_counter() - r0
        ts = res.timeseries
        ts_parts.append(_with_ids(ts, ids))
        group_parts.append(_with_ids(res.groups, ids))
        row = {**ids, "conditions": cond_list, "status": "completed", "error": None,
               "wall_seconds": wall, "n_residents": n_res, "years": years}
        row.update(run_totals(ts, n_res, years, {"spend_total": res.spend_total}))  # spend_total, lonely_person_years (model/outcomes.py)
        row.update({name: res.summary.get(name, math.nan) for name in OUTCOME_NAMES})
        row.update({k: v for k, v in res.summary.items() if k not in row})
        rows.append(row)
        if rs.progress:
            prog.say(f"[{tag}] {label}: replicate {k + 1}/{rs.replicates} done in {wall:.1f} s")

    summary = pd.DataFrame(rows)
    for col in ("n_residents", "years", "spend_total", "lonely_person_years", *OUTCOME_NAMES):
        if col not in summary.columns:
            summary[col] = math.nan
    atomic_write_parquet(out / "timeseries.parquet", _concat(ts_parts, conditions))
    atomic_write_parquet(out / "groups.parquet", _concat(group_parts, conditions))
    atomic_write_parquet(out / "summary.parquet", summary)

    n_failed = int((summary["status"] != "completed").sum())
    wall = time.perf_counter() - t0
    meta.update({
        "status": "completed" if n_failed == 0 else "failed",
        "n_replicates": rs.replicates,
        "n_failed": n_failed,
        "errors": [r["error"] for r in rows if r["status"] != "completed"],
        "end_time": datetime.now(UTC).isoformat(),
        "wall_seconds": wall,
    })
    write_json(out / "metadata.json", meta)
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


