"""Jobs: every experiment runs (real model, tiny horizon), seeds are paired, resume, failures."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from experiments import runner
from experiments.config import CONFIG_DIR, GROUPS, group_options, replicate_seeds
from experiments.runner import JobInfo, run_job
from experiments.store import gather
from model import OUTCOME_NAMES
from model.outcomes import SUMMARY_ONLY
from model.params import ConfigError

REAL_SIMULATE = runner.simulate

TINY = ["place=small", "horizon_years=0.25", "burn_in_years=0", "replicates=2", "progress=false"]


def compose_job(overrides: list[str]):
    """Compose one job's config as Hydra would; return it without the hydra node, with its choices."""
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides, return_hydra_config=True)
    choices = {g: cfg.hydra.runtime.choices.get(g) for g in GROUPS}
    sweep = dict(cfg.hydra.sweeper.params or {})
    with open_dict(cfg):
        del cfg["hydra"]
    return cfg, choices, sweep


def jobs_of(overrides: list[str]) -> list[list[str]]:
    """The jobs of a sweep: the experiment's sweeper params expanded, as Hydra's basic sweeper does."""
    _, _, sweep = compose_job(overrides)
    lists = [[f"{k}={v}" for v in str(vals).split(",")] for k, vals in sweep.items()]
    return [overrides + list(combo) for combo in itertools.product(*lists)]


def run_sweep(overrides: list[str], sweep_dir: Path) -> list[runner.JobOutcome]:
    outcomes = []
    for num, job in enumerate(jobs_of(overrides)):
        cfg, choices, _ = compose_job(job)
        info = JobInfo(output_dir=sweep_dir / str(num), choices=choices, overrides=job,
                       multirun=True, job_num=num, sweep_dir=sweep_dir)
        outcomes.append(run_job(cfg, info))
    return outcomes


@pytest.mark.parametrize("experiment", group_options("experiment"))
def test_every_experiment_runs_on_a_tiny_horizon(experiment, tmp_path):
    overrides = [f"experiment={experiment}", *TINY]
    outcomes = run_sweep(overrides, tmp_path)
    assert outcomes and all(o.status == "completed" and o.n_failed == 0 for o in outcomes)
    tables = gather(tmp_path, n_jobs=len(outcomes))
    runs = tables["runs"]
    assert len(runs) == 2 * len(outcomes)
    assert (runs["status"] == "completed").all()
    assert (runs["experiment"] == experiment).all()
    assert runs[list(OUTCOME_NAMES)].notna().any().all()
    # paired design: replicate k has the same seed in every job of the sweep
    seeds = runs.groupby("replicate")["seed"].nunique()
    assert (seeds == 1).all()
    assert runs.groupby("job")["seed"].apply(list).map(tuple).nunique() == 1
    assert sorted(runs["seed"].unique()) == sorted(replicate_seeds(0, 2))
    assert runs["regime"].nunique() == len(set(runs["regime"]))


def _counting(monkeypatch, fail_seed: int | None = None) -> list[int]:
    calls: list[int] = []
    real = REAL_SIMULATE

    def fake(params, seed, progress=None, **kwargs):
        calls.append(seed)
        if seed == fail_seed:
            raise RuntimeError("boom in the model")
        return real(params, seed, progress=progress, **kwargs)

    monkeypatch.setattr(runner, "simulate", fake)
    return calls


def _job(tmp_path: Path, extra: list[str] = ()) -> tuple:
    overrides = ["regime=grants", *TINY, *extra]
    cfg, choices, _ = compose_job(overrides)
    return cfg, JobInfo(output_dir=tmp_path / "job", choices=choices, overrides=overrides)


def test_job_writes_its_tables_and_metadata(tmp_path):
    cfg, info = _job(tmp_path, ["council.budget_per_resident_per_year=7"])
    out = run_job(cfg, info)
    assert out.status == "completed"
    d = tmp_path / "job"
    for name in ("timeseries.parquet", "groups.parquet", "summary.parquet", "config.yaml", "metadata.json"):
        assert (d / name).exists(), name
    assert not list(d.glob(".*tmp*"))  # atomic writes leave no temporary files
    summary = pd.read_parquet(d / "summary.parquet")
    assert list(summary["replicate"]) == [0, 1]
    assert list(summary["seed"]) == replicate_seeds(0, 2)
    assert {"regime", "place", "funding", "experiment", "base_seed", "status", "error",
            "council.budget_per_resident_per_year", *OUTCOME_NAMES} <= set(summary.columns)
    assert (summary["regime"] == "grants").all()
    assert (summary["council.budget_per_resident_per_year"] == 7.0).all()
    ts = pd.read_parquet(d / "timeseries.parquet")
    recorded = set(OUTCOME_NAMES) - set(SUMMARY_ONLY)
    assert {"replicate", "seed", "week", "year", *recorded} <= set(ts.columns)
    assert set(ts["replicate"]) == {0, 1}
    groups = pd.read_parquet(d / "groups.parquet")
    assert {"replicate", "group_id", "duration_weeks", "closed"} <= set(groups.columns)
    meta = json.loads((d / "metadata.json").read_text())
    assert meta["status"] == "completed"
    assert meta["seeds"] == replicate_seeds(0, 2)
    assert {"python", "mesa", "numpy", "package"} <= set(meta["versions"])
    assert "commit" in meta["git"]
    assert meta["wall_seconds"] > 0 and meta["start_time"] <= meta["end_time"]
    assert "budget_per_resident_per_year: 7.0" in (d / "config.yaml").read_text()


def test_resume_recomputes_nothing(tmp_path, monkeypatch):
    calls = _counting(monkeypatch)
    cfg, info = _job(tmp_path)
    assert run_job(cfg, info).status == "completed"
    assert len(calls) == 2
    files = sorted((tmp_path / "job").glob("*.parquet")) + [tmp_path / "job" / "metadata.json"]
    stamps = {p: p.stat().st_mtime_ns for p in files}
    again = run_job(cfg, info)
    assert again.status == "skipped"
    assert len(calls) == 2  # nothing recomputed
    assert {p: p.stat().st_mtime_ns for p in files} == stamps
    # a different configuration in the same folder is refused, and nothing is replaced
    cfg2, info2 = _job(tmp_path, ["council.budget_per_resident_per_year=9"])
    with pytest.raises(ConfigError, match="holds a job with another configuration"):
        run_job(cfg2, info2)
    assert len(calls) == 2
    assert {p: p.stat().st_mtime_ns for p in files} == stamps


def test_a_failing_replicate_is_recorded_and_the_rest_continue(tmp_path, monkeypatch):
    bad = replicate_seeds(0, 3)[1]
    calls = _counting(monkeypatch, fail_seed=bad)
    cfg, info = _job(tmp_path, ["replicates=3"])
    out = run_job(cfg, info)
    assert len(calls) == 3
    assert (out.status, out.n_failed) == ("failed", 1)
    summary = pd.read_parquet(tmp_path / "job" / "summary.parquet")
    assert list(summary["status"]) == ["completed", "failed", "completed"]
    assert "boom in the model" in summary.loc[1, "error"]
    assert summary.loc[[0, 2], "lonely_share"].notna().all()
    assert set(pd.read_parquet(tmp_path / "job" / "timeseries.parquet")["replicate"]) == {0, 2}
    meta = json.loads((tmp_path / "job" / "metadata.json").read_text())
    assert meta["status"] == "failed" and meta["n_failed"] == 1
    # a failed job is not "finished": running it again retries its failed replicate only
    calls = _counting(monkeypatch)
    assert run_job(cfg, info).status == "completed"
    assert calls == [bad]
    assert list(pd.read_parquet(tmp_path / "job" / "summary.parquet")["status"]) == ["completed"] * 3


def test_gather_marks_jobs_that_left_no_results(tmp_path):
    cfg, info = _job(tmp_path)
    info.output_dir = tmp_path / "0"
    run_job(cfg, info)
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "metadata.json").write_text(json.dumps({"status": "running"}))
    runs = gather(tmp_path, n_jobs=3)["runs"]
    assert list(runs["job"]) == ["0", "0", "1", "2"]
    assert list(runs["status"]) == ["completed", "completed", "missing", "missing"]
    assert (tmp_path / "runs.parquet").exists()
