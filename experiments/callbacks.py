"""Hydra callback: sweep bookkeeping before the jobs, gathering and comparison after them.

Configured in ``configs/config.yaml`` under ``hydra.callbacks``. Runs in the process that launched
the sweep, so it also records the outcome that ``resilience`` turns into its exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from experiments import progress as prog

# Set in the launching process after a run or sweep: {"dir", "failed", "total"}.
LAST: dict[str, Any] = {}


def count_jobs(config: DictConfig) -> int:
    """The number of jobs of a multirun, expanded as Hydra's basic sweeper does it."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = OmegaConf.select(config, "hydra.sweeper.params", default=None) or {}
    args = [f"{k}={v}" for k, v in params.items()]
    args += list(OmegaConf.select(config, "hydra.overrides.task", default=[]) or [])
    parsed = OverridesParser.create().parse_overrides(args)
    return len(BasicSweeper.split_arguments(parsed, None)[0])


def _numbered_subdirs(config: DictConfig) -> bool:
    """True when job folders are named by job number (the default sweep subdir)."""
    raw = OmegaConf.to_container(config.hydra.sweep, resolve=False).get("subdir", "")
    return str(raw).strip() == "${hydra.job.num}"


class ResultsCallback(Callback):
    def __init__(self, compare: bool = True) -> None:
        self.compare = compare
        self.n_jobs: int | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        LAST.clear()
        try:
            self.n_jobs = count_jobs(config)
        except Exception:  # noqa: BLE001 - progress is a convenience; the sweep still runs
            self.n_jobs = None
        sweep_dir = Path(config.hydra.sweep.dir)
        prog.start_sweep(sweep_dir, self.n_jobs or 0)
        prog.say(f"[sweep] {self.n_jobs} jobs x {config.replicates} replicates -> {sweep_dir}")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from experiments.store import gather

        sweep_dir = Path(config.hydra.sweep.dir)
        n_jobs = self.n_jobs if _numbered_subdirs(config) else None
        tables = gather(sweep_dir, n_jobs=n_jobs)
        runs = tables["runs"]
        failed = int((runs["status"] != "completed").sum()) if "status" in runs else 0
        LAST.update({"dir": sweep_dir, "failed": failed, "total": len(runs)})
        prog.say(f"[sweep] gathered {len(runs)} replicate rows from {n_jobs or 'all'} jobs into "
                 f"{sweep_dir / 'runs.parquet'}")
        if failed:
            prog.say(f"[sweep] {failed} replicate(s) failed or missing: see the status and error "
                     f"columns of {sweep_dir / 'runs.parquet'}")
        statuses = prog.job_statuses(sweep_dir)
        unchanged = bool(statuses) and all(s == "skipped" for s in statuses)
        md = sweep_dir / "compare" / "comparison.md"
        if self.compare and unchanged and md.exists():
            prog.say(f"[sweep] nothing was recomputed; comparison table: {md}")
        elif self.compare and failed < len(runs):
            from experiments.compare import compare

            res = compare(sweep_dir, tables=tables)
            LAST["compare"] = res
            prog.say(f"[sweep] comparison table: {res.markdown}")
            prog.say(f"[sweep] comparison CSV:   {res.csv}")
            prog.say(f"[sweep] figures:          {res.figures_dir}")
            _report(sweep_dir)

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        LAST.clear()

    def on_run_end(self, config: DictConfig, **kwargs: Any) -> None:
        out = Path(config.hydra.run.dir)
        if "dir" not in LAST:
            LAST["dir"] = out
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
