"""Hydra callback: sweep bookkeeping before the jobs, gathering and comparison after them.

Configured in ``configs/config.yaml`` under ``hydra.callbacks``. Runs in the process that launched
the sweep. The exit code of ``resilience`` comes from the jobs' return values
(:func:`experiments.cli.launch`), not from here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from experiments import progress as prog


def expand_jobs(sweep_params: dict[str, Any], overrides: list[str]) -> list[list[str]]:
    """The overrides of every job of a multirun (the config's sweep, then the command line),
    expanded as Hydra's basic sweeper does it."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    args = [f"{k}={v}" for k, v in (sweep_params or {}).items()] + list(overrides)
    parsed = OverridesParser.create().parse_overrides(args)
    return [list(job) for job in BasicSweeper.split_arguments(parsed, None)[0]]


def job_overrides(config: DictConfig) -> list[list[str]]:
    """The overrides of every job of the multirun that ``config`` (with its hydra node) starts."""
    params = OmegaConf.select(config, "hydra.sweeper.params", default=None) or {}
    return expand_jobs(dict(params), list(OmegaConf.select(config, "hydra.overrides.task", default=[]) or []))


def count_jobs(config: DictConfig) -> int:
    """The number of jobs of a multirun, expanded as Hydra's basic sweeper does it."""
    return len(job_overrides(config))


# Overrides that may change between runs into one folder: how many replicates, where, how loud.
_FREE = ("replicates", "progress", "results_dir", "name")


def _identity(overrides: list[str]) -> list[str]:
    keys = [o.split("=", 1)[0].lstrip("+~") for o in overrides]
    return sorted(o for o, k in zip(overrides, keys, strict=True)
                  if k not in _FREE and not k.startswith("hydra"))


def check_folder(folder: Path, seed: int, jobs: list[list[str]], multirun: bool = True) -> None:
    """Refuse, in one line (ConfigError), to run into a folder that holds results of another run
    or sweep: another base seed, another model version, or job k with other settings than before.
    More or fewer replicates, or fewer jobs, are fine (replicates are reused; only this sweep's
    jobs are gathered). Called before anything is written (preflight) and when a sweep starts."""
    from experiments.store import MANIFEST, read_json
    from model import MODEL_VERSION
    from model.params import ConfigError

    folder = Path(folder)
    if multirun:
        old = read_json(folder / MANIFEST)
        before_jobs = [(j.get("num"), j.get("overrides", [])) for j in (old or {}).get("jobs", [])]
        old_seed, old_model = (old or {}).get("base_seed"), (old or {}).get("model_version")
    else:
        old = read_json(folder / "metadata.json")
        before_jobs = [(0, (old or {}).get("overrides", []))]
        old_seed, old_model = (old or {}).get("base_seed"), ((old or {}).get("versions") or {}).get("model")
    if not old:
        return
    where = f"{folder} holds {'a sweep' if multirun else 'a run'} with another"
    tail = "results are never replaced: choose another folder (hydra.sweep.dir=... or name=...)"
    if old_seed is not None and int(old_seed) != int(seed):
        raise ConfigError(f"{where} seed ({old_seed}, now {seed}); {tail}")
    if old_model is not None and str(old_model) != str(MODEL_VERSION):
        raise ConfigError(f"{where} model version ({old_model}, now {MODEL_VERSION}); {tail}")
    for (num, before), now in zip(before_jobs, jobs, strict=False):
        if _identity(before) != _identity(now):
            raise ConfigError(f"{where} configuration in job {num} ({' '.join(_identity(before)) or 'defaults'}; "
                              f"now {' '.join(_identity(now)) or 'defaults'}); {tail}")


def start_manifest(sweep_dir: Path, config: DictConfig, jobs: list[list[str]]) -> None:
    """Write the sweep's manifest before any job runs: what it is (seed, model version, replicates)
    and its jobs. Fewer jobs than an earlier sweep in the folder is fine: the manifest names this
    sweep's jobs, and only those are gathered and compared; the others are listed as superseded."""
    from experiments.store import MANIFEST, read_json, write_json
    from model import MODEL_VERSION

    old = read_json(sweep_dir / MANIFEST)
    now = datetime.now(UTC).isoformat()
    write_json(sweep_dir / MANIFEST, {
        "created": (old or {}).get("created", now), "updated": now, "model_version": MODEL_VERSION,
        "base_seed": int(config.seed), "replicates": int(config.replicates), "n_jobs": len(jobs),
        "jobs": [{"num": i, "dir": str(i), "overrides": job, "status": "pending"}
                 for i, job in enumerate(jobs)],
        "superseded_jobs": [j.get("dir") for j in (old or {}).get("jobs", [])[len(jobs):]],
    })


def finish_manifest(sweep_dir: Path) -> None:
    """Record each job's status, replicates done and failed in the manifest (after the jobs)."""
    from experiments.store import MANIFEST, read_json, write_json

    manifest = read_json(sweep_dir / MANIFEST)
    if not manifest:
        return
    for job in manifest.get("jobs", []):
        meta = read_json(sweep_dir / str(job["dir"]) / "metadata.json") or {}
        job["status"] = meta.get("status", "missing")
        job["replicates"] = meta.get("n_replicates")
        job["failed"] = meta.get("n_failed")
        job["reused"] = meta.get("n_reused")
    manifest["updated"] = datetime.now(UTC).isoformat()
    write_json(sweep_dir / MANIFEST, manifest)


def _numbered_subdirs(config: DictConfig) -> bool:
    """True when job folders are named by job number (the default sweep subdir)."""
    raw = OmegaConf.to_container(config.hydra.sweep, resolve=False).get("subdir", "")
    return str(raw).strip() == "${hydra.job.num}"


class ResultsCallback(Callback):
    def __init__(self, compare: bool = True) -> None:
        self.compare = compare
        self.n_jobs: int | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        try:
            jobs = job_overrides(config)
            self.n_jobs = len(jobs)
        except Exception:  # noqa: BLE001 - progress is a convenience; the sweep still runs
            jobs, self.n_jobs = None, None
        sweep_dir = Path(config.hydra.sweep.dir)
        if jobs is not None and _numbered_subdirs(config):
            sweep_dir.mkdir(parents=True, exist_ok=True)
            check_folder(sweep_dir, int(config.seed), jobs)  # preflight refused it already, in one line
            start_manifest(sweep_dir, config, jobs)
        prog.start_sweep(sweep_dir, self.n_jobs or 0)
        prog.say(f"[sweep] {self.n_jobs} jobs x {config.replicates} replicates -> {sweep_dir}")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from experiments.runner import status_line
        from experiments.store import gather

        sweep_dir = Path(config.hydra.sweep.dir)
        n_jobs = self.n_jobs if _numbered_subdirs(config) else None
        finish_manifest(sweep_dir)
        tables = gather(sweep_dir, n_jobs=n_jobs)  # exactly this sweep's jobs, rewritten atomically
        runs = tables["runs"]
        failed = int((runs["status"] != "completed").sum()) if "status" in runs else 0
        status_line(sweep_dir, f"sweep gathered: {len(runs) - failed}/{len(runs)} replicates completed "
                               f"in {n_jobs or 'all'} jobs")
        prog.say(f"[sweep] gathered {len(runs)} replicate rows from {n_jobs or 'all'} jobs into "
                 f"{sweep_dir / 'runs.parquet'}")
        if failed:
            prog.say(f"[sweep] {failed} replicate(s) failed or missing: see the status and error "
                     f"columns of {sweep_dir / 'runs.parquet'}")
        if self.compare:
            self._compare(sweep_dir, tables)

    def _compare(self, sweep_dir: Path, tables: dict) -> None:
        """Rewrite the sweep's comparison from exactly the gathered jobs (with the arguments of the
        analysis already in ``compare/``, if any); if none can be made, remove the old one, so
        nothing from an earlier sweep stays looking current."""
        import shutil

        from experiments.compare import ANALYSIS_FILE, compare, runs_fingerprint
        from experiments.store import read_json

        out = sweep_dir / "compare"
        before = read_json(out / ANALYSIS_FILE) or {}
        if before.get("runs") == runs_fingerprint(tables["runs"]) and (out / "comparison.md").exists():
            prog.say(f"[sweep] nothing was recomputed; comparison table: {out / 'comparison.md'}")
            return
        args = {k: before.get(k) for k in ("by", "baseline", "metrics", "interaction",
                                           "interaction_baseline")}
        try:
            try:
                res = compare(sweep_dir, tables=tables, figures=before.get("figures", True), **args)
            except ValueError:
                if not before:
                    raise
                shutil.rmtree(out, ignore_errors=True)
                res = compare(sweep_dir, tables=tables, figures=before.get("figures", True))  # the old analysis no longer fits these jobs
        except ValueError as exc:
            shutil.rmtree(out, ignore_errors=True)
            prog.say(f"[sweep] no comparison: {exc}")
            return
        prog.say(f"[sweep] comparison table: {res.markdown}")
        prog.say(f"[sweep] comparison CSV:   {res.csv}")
        prog.say(f"[sweep] figures:          {res.figures_dir}")
        _report(sweep_dir)

    def on_run_end(self, config: DictConfig, **kwargs: Any) -> None:
        out = Path(config.hydra.run.dir)
        prog.say(f"[run] results in {out}  (tables: summary.parquet, timeseries.parquet, groups.parquet)")


def _report(sweep_dir: Path) -> None:
    """The HTML and PDF report of the sweep (``resilience report``); a sweep that cannot be
    reported on (one regime) says why in one line and the job's result stands."""
    from experiments.report import ReportError, build

    try:
        res = build(sweep_dir)
    except ReportError as exc:
        prog.say(f"[sweep] no report: {exc}")
        return
    prog.say(f"[sweep] report:           {res.html}")
    prog.say(f"[sweep] report (PDF):     {res.pdf}  ({res.seconds:.0f} s)")
