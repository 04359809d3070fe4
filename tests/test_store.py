"""The store per replicate: resume after a kill, more replicates reuse the old ones, a folder holding
another run is refused, and gathering and comparing reflect exactly the current sweep's jobs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from experiments import runner
from experiments.callbacks import ResultsCallback, check_folder
from experiments.compare import compare
from experiments.config import REPO_ROOT, replicate_seeds
from experiments.runner import JobInfo, run_job
from experiments.store import MANIFEST, STATUS_LOG, gather, job_dirs, write_json
from model import MODEL_VERSION
from model.params import ConfigError
from tests.test_experiments import REAL_SIMULATE, compose_job

TINY = ["regime=grants", "place=small", "horizon_years=0.25", "burn_in_years=0", "progress=false"]


def _job(folder: Path, extra: list[str] = ()):
    overrides = [*TINY, *extra]
    cfg, choices, _ = compose_job(overrides)
    return cfg, JobInfo(output_dir=folder, choices=choices, overrides=overrides)


def _counting(monkeypatch) -> list[int]:
    calls: list[int] = []

    def fake(params, seed, progress=None, **kwargs):
        calls.append(seed)
        return REAL_SIMULATE(params, seed, progress=progress, **kwargs)

    monkeypatch.setattr(runner, "simulate", fake)
    return calls


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    out = {t: pd.read_parquet(folder / f"{t}.parquet") for t in ("summary", "timeseries", "groups")}
    out["summary"] = out["summary"].drop(columns=["wall_seconds"])  # the only thing allowed to differ
    return out


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from experiments import runner
    from experiments.runner import JobInfo, run_job
    from tests.test_experiments import compose_job

    overrides = {overrides!r}
    cfg, choices, _ = compose_job(overrides)
    real, done = runner.simulate, []

    def dying(params, seed, progress=None, **kwargs):
        if len(done) == {kill_at}:
            os.kill(os.getpid(), signal.SIGKILL)  # mid-job, as an out-of-memory kill or a lost node would
        done.append(seed)
        return real(params, seed, progress=progress, **kwargs)

    runner.simulate = dying
    run_job(cfg, JobInfo(output_dir=Path({out!r}), choices=choices, overrides=overrides))
""")


def test_resume_after_a_kill_runs_only_the_missing_replicates(tmp_path, monkeypatch):
    overrides = [*TINY, "replicates=4"]
    killed = tmp_path / "killed"
    script = KILLER.format(overrides=overrides, kill_at=2, out=str(killed))
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert sorted(p.name for p in (killed / "replicates").iterdir()) == ["rep_0", "rep_1"]
    assert not (killed / "summary.parquet").exists()  # the job never finished
    assert json.loads((killed / "metadata.json").read_text())["status"] == "running"

    calls = _counting(monkeypatch)
    cfg, info = _job(killed, ["replicates=4"])
    assert run_job(cfg, info).status == "completed"
    seeds = replicate_seeds(0, 4)
    assert calls == seeds[2:]  # only the replicates the kill left undone
    assert "4/4 replicates (2 reused)" in (killed / STATUS_LOG).read_text().splitlines()[-1]
    meta = json.loads((killed / "metadata.json").read_text())
    assert (meta["status"], meta["n_reused"]) == ("completed", 2)

    whole = tmp_path / "whole"
    cfg, info = _job(whole, ["replicates=4"])
    run_job(cfg, info)
    a, b = _tables(killed), _tables(whole)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)


def test_more_replicates_reuse_the_old_ones(tmp_path, monkeypatch):
    calls = _counting(monkeypatch)
    cfg, info = _job(tmp_path / "job", ["replicates=2"])
    run_job(cfg, info)
    assert calls == replicate_seeds(0, 2)
    cfg, info = _job(tmp_path / "job", ["replicates=4"])
    assert run_job(cfg, info).status == "completed"
    assert calls == replicate_seeds(0, 4)  # replicates 0 and 1 were not run again
    summary = pd.read_parquet(tmp_path / "job" / "summary.parquet")
    assert list(summary["replicate"]) == [0, 1, 2, 3]
    assert list(summary["seed"]) == replicate_seeds(0, 4)
    log = (tmp_path / "job" / STATUS_LOG).read_text().splitlines()
    assert sum("replicate" in ln and "completed (seed" in ln for ln in log) == 4
    assert "4/4 replicates (2 reused)" in log[-1]


@pytest.mark.parametrize("change, reason", [
    (["seed=7"], "another seed (0, now 7)"),
    (["regime.grants.rule=core"], "another configuration"),
])
def test_a_folder_holding_another_job_is_refused(tmp_path, monkeypatch, change, reason):
    calls = _counting(monkeypatch)
    cfg, info = _job(tmp_path / "job", ["replicates=2"])
    run_job(cfg, info)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "job").rglob("*")}
    cfg2, info2 = _job(tmp_path / "job", ["replicates=2", *change])
    with pytest.raises(ConfigError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        run_job(cfg2, info2)
    assert len(calls) == 2
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "job").rglob("*")} == before


def test_a_job_of_another_model_version_is_refused(tmp_path):
    cfg, info = _job(tmp_path / "job", ["replicates=1"])
    run_job(cfg, info)
    meta = json.loads((tmp_path / "job" / "metadata.json").read_text())
    meta["identity"] = "from-an-older-model"
    meta["versions"]["model"] = "0"
    write_json(tmp_path / "job" / "metadata.json", meta)
    with pytest.raises(ConfigError, match=r"another model version \(0, now"):
        run_job(cfg, info)


def test_the_sweep_manifest_refuses_another_sweep_and_names_only_current_jobs(tmp_path):
    jobs = [["regime=none", "funding=stable"], ["regime=none", "funding=austerity"],
            ["regime=grants", "funding=stable"]]
    write_json(tmp_path / MANIFEST, {"base_seed": 0, "model_version": MODEL_VERSION, "jobs": [
        {"num": i, "dir": str(i), "overrides": j} for i, j in enumerate(jobs)]})
    check_folder(tmp_path, 0, [[*j, "replicates=40"] for j in jobs])  # more replicates: fine
    check_folder(tmp_path, 0, jobs[:2])  # fewer jobs, same settings: fine
    with pytest.raises(ConfigError, match="another seed"):
        check_folder(tmp_path, 3, jobs)
    with pytest.raises(ConfigError, match="another configuration in job 0"):
        check_folder(tmp_path, 0, [["regime=grants", "funding=stable"]])
    # gathering without a job count follows the manifest, never an older job folder beside it
    for d in ("0", "1", "2", "7"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "metadata.json").write_text("{}")
    assert [p.name for p in job_dirs(tmp_path)] == ["0", "1", "2"]


def _sweep(tmp_path: Path, *args: str) -> int:
    from experiments.cli import main

    return main(["run", "-m", "place=small", "horizon_years=0.25", "burn_in_years=0", "progress=false",
                 "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path / 'sweep'}", *args])


def test_a_rerun_with_fewer_jobs_rewrites_every_derived_file_and_refuses_another_sweep(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    assert _sweep(tmp_path, "regime=none,grants", "funding=stable,austerity", "replicates=2",
                  "hydra.callbacks.results.compare=false") == 0
    assert set(pd.read_parquet(sweep / "runs.parquet")["job"]) == {"0", "1", "2", "3"}
    compare(sweep, by="regime", figures=False)  # an analysis of all four jobs (tables only: fast)
    assert "grants" in set(pd.read_csv(sweep / "compare" / "comparison.csv")["level"])
    manifest = json.loads((sweep / MANIFEST).read_text())
    assert [j["status"] for j in manifest["jobs"]] == ["completed"] * 4

    # the first two jobs again (regime=none under both fundings): only they are gathered and
    # compared; the comparison is remade from them (by funding now: one regime is left)
    assert _sweep(tmp_path, "regime=none", "funding=stable,austerity", "replicates=2") == 0
    runs = pd.read_parquet(sweep / "runs.parquet")
    assert set(runs["job"]) == {"0", "1"} and set(runs["regime"]) == {"none"}
    assert set(pd.read_parquet(sweep / "timeseries.parquet")["regime"]) == {"none"}
    table = pd.read_csv(sweep / "compare" / "comparison.csv")  # remade by the sweep, from its jobs
    assert set(table["by"]) == {"funding"} and "grants" not in set(table.astype(str).stack())
    assert not (sweep / "compare" / "figures").exists()  # as the analysis it replaced asked
    assert json.loads((sweep / MANIFEST).read_text())["superseded_jobs"] == ["2", "3"]

    # another seed into the same folder: one line, exit 2, nothing touched
    capsys.readouterr()
    stamps = {p: p.stat().st_mtime_ns for p in sweep.rglob("*")}
    assert _sweep(tmp_path, "regime=none", "funding=stable,austerity", "seed=9") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "another seed (0, now 9)" in err and "\n" not in err
    assert {p: p.stat().st_mtime_ns for p in sweep.rglob("*")} == stamps


def test_a_comparison_that_no_longer_fits_is_removed(tmp_path):
    cfg, info = _job(tmp_path / "0", ["replicates=2"])
    run_job(cfg, info)
    (tmp_path / "compare").mkdir()
    (tmp_path / "compare" / "comparison.md").write_text("# an old comparison of eight regimes\n")
    tables = gather(tmp_path, n_jobs=1)
    ResultsCallback()._compare(tmp_path, tables)  # one job, one regime: nothing to compare
    assert not (tmp_path / "compare").exists()


@pytest.mark.parametrize("command", ["compare", "report"])
def test_a_folder_holding_sweeps_is_refused_and_left_untouched(tmp_path, capsys, command):
    """``resilience compare results/headline`` (the study's folder, not one run of it) says which
    sweep to pass and writes nothing there (it used to gather every sweep below into one table in
    that folder and fail on their duplicate seeds with pandas' message)."""
    from experiments.cli import main

    assert _sweep(tmp_path, "regime=none,grants", "replicates=1", "hydra.callbacks.results.compare=false") == 0
    before = sorted(p.name for p in tmp_path.iterdir())
    capsys.readouterr()
    assert main([command, str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert f"e.g. {tmp_path / 'sweep'}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
