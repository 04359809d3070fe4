"""The results store: atomic writes, job metadata, and gathering the jobs of a sweep.

Layout (Hydra's run and sweep dirs, set in ``configs/config.yaml``)::

    results/<name>/<time>/             one run, or the sweep dir of a multirun
        manifest.json                  what the sweep is (seed, model version, its jobs) and their status
        status.log                     one line per replicate and job as it finishes (or is reused)
        <job>/                         one folder per job of a sweep (its number)
            replicates/rep_<k>/        replicate k's three tables and meta.json, written atomically as
                                       it finishes; a re-run (or more replicates) reuses them
            timeseries.parquet         one row per replicate and recorded week
            groups.parquet             the group life tables of all replicates
            summary.parquet            one row per replicate (status, error, final-year outcomes)
            config.yaml                the fully resolved config of the job
            metadata.json              versions, git commit, seeds, times, status
        runs.parquet                   gathered: one row per job and replicate
        timeseries.parquet, groups.parquet   gathered
        compare/                       comparison tables and figures
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.config import REPO_ROOT

TABLES = ("timeseries", "groups", "summary")
GATHERED = {"summary": "runs", "timeseries": "timeseries", "groups": "groups"}

# Columns of the summary table that describe the run rather than its conditions or outcomes.
BOOKKEEPING = (
    "job",
    "conditions",
    "status",
    "error",
    "wall_seconds",
    "n_residents",
    "years",
    "spend_total",
    "lonely_person_years",
)
# The sweep's record of what it is and what is done (manifest) and what happened when (status log).
MANIFEST = "manifest.json"
STATUS_LOG = "status.log"
# Columns that identify a replicate within its conditions (not conditions to compare across).
SEED_COLUMNS = ("base_seed", "replicate", "seed")


def condition_names(runs: pd.DataFrame) -> list[str]:
    """The condition columns of a runs table (each row lists its own in ``conditions``), then the
    seed columns: regime, place, funding, experiment, base seed, every override, replicate, seed."""
    names: dict[str, None] = {}
    if "conditions" in runs.columns:
        for text in runs["conditions"].dropna().unique():
            names.update(dict.fromkeys(json.loads(text)))
    for c in SEED_COLUMNS:
        names[c] = None
    return [c for c in names if c in runs.columns]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    df.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def git_commit() -> dict[str, Any]:
    """The commit of the working tree the code runs from, if it is a git checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        )
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=False,
        )
        return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    from model import MODEL_VERSION

    out: dict[str, str | None] = {"python": sys.version.split()[0], "model": str(MODEL_VERSION)}
    for name, dist in (("package", "community-resilience"), ("mesa", "mesa"), ("numpy", "numpy"),
                       ("pandas", "pandas"), ("scipy", "scipy"), ("hydra", "hydra-core")):
        try:
            out[name] = version(dist)
        except PackageNotFoundError:
            out[name] = None
    return out


# --------------------------------------------------------------------------------------------
# Gathering
# --------------------------------------------------------------------------------------------


def job_dirs(sweep_dir: Path, n_jobs: int | None = None) -> list[Path]:
    """The job folders of a sweep: ``0 .. n_jobs-1`` when the number is known, else every folder
    below ``sweep_dir`` holding a ``summary.parquet`` or a ``metadata.json``."""
    sweep_dir = Path(sweep_dir)
    if n_jobs is not None:
        return [sweep_dir / str(i) for i in range(n_jobs)]
    manifest = read_json(sweep_dir / MANIFEST)
    if manifest and manifest.get("jobs"):  # the jobs of the current sweep, never older ones
        return [sweep_dir / str(j["dir"]) for j in manifest["jobs"]]
    found = {p.parent for pattern in ("summary.parquet", "metadata.json")
             for p in sweep_dir.rglob(pattern) if p.parent != sweep_dir}
    found = {p for p in found if not {"compare", "replicates"} & set(p.relative_to(sweep_dir).parts)}
    return sorted(found, key=_job_sort_key)


def sweeps_below(path: Path) -> list[Path]:
    """Sweep folders (each with its ``manifest.json``) below ``path`` but not ``path`` itself, oldest
    first by name (a study's folders are named by their start time)."""
    path = Path(path)
    if (path / MANIFEST).exists():
        return []
    return sorted({p.parent for p in path.rglob(MANIFEST) if p.parent != path})


def _job_sort_key(p: Path) -> tuple[int, str]:
    return (int(p.name), "") if p.name.isdigit() else (sys.maxsize, str(p))


def _read_tables(jobs: Iterable[Path], root: Path) -> dict[str, pd.DataFrame]:
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for job in jobs:
        rel = job.relative_to(root).as_posix() if job != root else "."
        if not (job / "summary.parquet").exists():
            meta = read_json(job / "metadata.json") or {}
            status = meta.get("status", "missing")
            parts["summary"].append(pd.DataFrame([{
                "job": rel, "status": "missing" if status in ("running", "missing") else status,
                "error": meta.get("error") or "no results: the job did not finish",
            }]))
            continue
        for table in TABLES:
            path = job / f"{table}.parquet"
            if path.exists():
                df = pd.read_parquet(path)
                df.insert(0, "job", rel)
                parts[table].append(df)
    out = {}
    for table, dfs in parts.items():
        dfs = [d for d in dfs if len(d.columns)]
        out[table] = pd.concat(dfs, ignore_index=True, sort=False) if dfs else pd.DataFrame()
    return out


def gather(sweep_dir: Path, n_jobs: int | None = None, write: bool = True) -> dict[str, pd.DataFrame]:
    """Concatenate the jobs' tables into ``runs.parquet``, ``timeseries.parquet`` and
    ``groups.parquet`` in the sweep dir (one row per job and replicate, overrides as columns)."""
    sweep_dir = Path(sweep_dir)
    tables = _read_tables(job_dirs(sweep_dir, n_jobs), sweep_dir)
    out = {GATHERED[t]: df for t, df in tables.items()}
    if write:
        for name, df in out.items():
            atomic_write_parquet(sweep_dir / f"{name}.parquet", df)
    return out


def load(path: Path) -> dict[str, pd.DataFrame]:
    """The runs, timeseries and groups tables of a sweep dir or of a single job dir."""
    path = Path(path)
    if (path / "runs.parquet").exists():
        return {name: pd.read_parquet(path / f"{name}.parquet") if (path / f"{name}.parquet").exists()
                else pd.DataFrame() for name in GATHERED.values()}
    if (path / "summary.parquet").exists():  # a single job
        tables = _read_tables([path], path)
        return {GATHERED[t]: df for t, df in tables.items()}
    studies = sweeps_below(path)
    if studies:  # (e.g. results/headline, which holds one folder per run of the study)
        one = "a sweep" if len(studies) == 1 else f"{len(studies)} sweeps"
        raise FileNotFoundError(f"{path} is not a sweep folder but holds {one}: pass one, "
                                f"e.g. {studies[-1]}")
    if job_dirs(path):
        return gather(path)
    raise FileNotFoundError(f"no results found in {path} (expected runs.parquet or job folders)")
