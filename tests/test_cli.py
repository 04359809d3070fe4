"""The `resilience` command end to end (real model, small place, tiny horizon), and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments import cli, runner
from experiments.config import replicate_seeds
from model import OUTCOME_NAMES

TINY = ["place=small", "horizon_years=0.25", "burn_in_years=0", "replicates=2"]
SCRIPT = Path(sys.executable).parent / "resilience"


def resilience(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    cmd = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "experiments.cli"]
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "RESILIENCE_DEBUG")}
    env["HYDRA_FULL_ERROR"] = "1"  # the command must keep errors to one line even so
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


BAD_INPUT = [
    (["regime=utopia"], "unknown regime 'utopia'; choose from:"),
    (["place=village"], "unknown place 'village'; choose from: city, small, town"),
    (["funding=windfall"], "unknown funding 'windfall'; choose from: austerity, shock, stable"),
    (["experiment=moonshot"], "unknown experiment 'moonshot'; choose from:"),
    (["council.budget_per_head=8"], "unknown parameter 'council.budget_per_head'"),
    (["colour=blue"], "unknown setting 'colour'"),
    (["replicates=0"], "replicates must be at least 1"),
    (["horizon_years=-2"], "horizon_years must be positive"),
    (["regime=mixture", "regime.weights={grants:0.5,partnership:0.3}"], "regime.weights must sum to 1"),
    (["council.budget_per_resident_per_year=lots"], "council.budget_per_resident_per_year"),
    (["-m", "regime=grants,utopia"], "unknown regime 'utopia'"),
    (["-m", "experiment=headline", "replicates=0"], "replicates must be at least 1"),
    (["hydra/launcher=rocket"], "hydra/launcher"),
    # issue 20: each of these used to start, fail inside the run with a traceback and leave files
    (["council.budget_per_resident_per_year=1e300"], "council.budget_per_resident_per_year must be in [0, 1000]"),
    (["horizon_years=1e9"], "horizon_years must be positive and at most 1000"),
    (["place.n_residents=1000000000000"], "place.n_residents must be in [50, 10000000]"),
    (["seed=1180591620717411303424"], "seed must be non-negative and at most 2^63-1"),
    (["+no_such_parameter=1"], "unknown setting 'no_such_parameter'"),
    (["regime=grants", "regime.weights={grants:1.0}"], "regime.weights has no effect"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_and_writes_nothing(args, message, tmp_path):
    res = resilience("run", *args, cwd=tmp_path)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in res.stderr + res.stdout
    assert not (tmp_path / "results").exists()
    assert list(tmp_path.iterdir()) == []


def test_help_and_unknown_command(tmp_path):
    res = resilience("--help", cwd=tmp_path)
    assert res.returncode == 0
    for word in ("run", "compare", "workshop"):
        assert word in res.stdout
    res = resilience("simulate", cwd=tmp_path)
    assert res.returncode != 0 and res.stderr.strip().startswith("error: unknown command")
    res = resilience("compare", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert res.returncode != 0 and len(res.stderr.strip().splitlines()) == 1


def test_single_run_writes_its_folder_and_reports_progress(tmp_path):
    res = resilience("run", "regime=grants", "council.budget_per_resident_per_year=8",
                     "regime.grants.rule=core", "seed=5", *TINY, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    (run_dir,) = (tmp_path / "results" / "adhoc").iterdir()
    for name in ("timeseries.parquet", "groups.parquet", "summary.parquet", "config.yaml", "metadata.json"):
        assert (run_dir / name).exists(), name
    assert "replicate 2/2" in res.stderr and "week" in res.stderr  # progress lines
    summary = pd.read_parquet(run_dir / "summary.parquet")
    assert list(summary["seed"]) == replicate_seeds(5, 2)
    assert (summary["base_seed"] == 5).all()
    assert (summary["regime.grants.rule"] == "core").all()
    assert (summary["council.budget_per_resident_per_year"] == 8.0).all()
    assert "rule: core" in (run_dir / "config.yaml").read_text()
    meta = json.loads((run_dir / "metadata.json").read_text())
    assert meta["status"] == "completed" and meta["seeds"] == replicate_seeds(5, 2)


def _check_gathered(sweep: Path, n_jobs: int, regimes: set[str], extra_columns: set[str] = frozenset()):
    runs = pd.read_parquet(sweep / "runs.parquet")
    assert len(runs) == n_jobs * 2  # one row per job and replicate
    assert {"job", "regime", "place", "funding", "experiment", "base_seed", "replicate", "seed", "status",
            "error", *OUTCOME_NAMES, *extra_columns} <= set(runs.columns)
    assert set(runs["regime"]) == regimes
    assert (runs["status"] == "completed").all()
    # paired seeds: replicate k has one seed across all jobs
    assert (runs.groupby("replicate")["seed"].nunique() == 1).all()
    assert runs.groupby("replicate")["seed"].first().tolist() == replicate_seeds(0, 2)
    ts = pd.read_parquet(sweep / "timeseries.parquet")
    assert {"job", "regime", "replicate", "seed", "week", "year", "lonely_share", *extra_columns} <= set(ts.columns)
    assert ts.groupby(["job", "replicate"]).ngroups == n_jobs * 2
    groups = pd.read_parquet(sweep / "groups.parquet")
    assert {"job", "regime", "replicate", "seed", "group_id", "duration_weeks", "closed"} <= set(groups.columns)
    return runs


def test_sweep_gathers_compares_and_resumes_without_recomputing(tmp_path):
    args = ["run", "-m", "experiment=workshop", *TINY, "regime=none,grants",
            "council.budget_per_resident_per_year=4,8", "hydra.sweep.dir=results/sweep"]
    res = resilience(*args, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    sweep = tmp_path / "results" / "sweep"
    runs = _check_gathered(sweep, 4, {"none", "grants"}, {"council.budget_per_resident_per_year"})
    assert set(runs["council.budget_per_resident_per_year"]) == {4.0, 8.0}
    assert (runs["experiment"] == "workshop").all()
    assert "4/4 jobs done" in res.stderr and "left" in res.stderr  # sweep progress
    # the comparison ran and its location was printed
    md = sweep / "compare" / "comparison.md"
    assert md.exists() and str(md.relative_to(tmp_path)) in res.stderr
    table = pd.read_csv(sweep / "compare" / "comparison.csv")
    assert set(table["council.budget_per_resident_per_year"]) == {4.0, 8.0}  # compared within strata
    lonely = table[(table.metric == "lonely_share") & (table.level == "grants")]
    assert len(lonely) == 2 and (lonely["n_pairs"] == 2).all()
    figs = {p.name for p in (sweep / "compare" / "figures").iterdir()}
    assert any(n.startswith("timeseries") and n.endswith(".png") for n in figs)
    assert any(n.startswith("survival") and n.endswith(".pdf") for n in figs)

    jobs = sorted(p for p in sweep.iterdir() if p.name.isdigit())
    stamps = {p: (p / "summary.parquet").stat().st_mtime_ns for p in jobs}
    again = resilience(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already completed") == 4
    assert {p: (p / "summary.parquet").stat().st_mtime_ns for p in jobs} == stamps


def test_submitit_local_sweep(tmp_path):
    res = resilience("run", "-m", "hydra/launcher=submitit_local", *TINY, "regime=none,partnership",
                     "hydra.sweep.dir=results/sub", "hydra.callbacks.results.compare=false", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    _check_gathered(tmp_path / "results" / "sub", 2, {"none", "partnership"})
    assert (tmp_path / "results" / "sub" / ".submitit").is_dir()


def test_a_failed_replicate_gives_a_nonzero_exit_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    real = runner.simulate
    bad_seed = replicate_seeds(0, 2)[1]

    def flaky(params, seed, progress=None, **kwargs):
        if params.regime.name == "grants" and seed == bad_seed:
            raise RuntimeError("model blew up")
        return real(params, seed, progress=progress, **kwargs)

    monkeypatch.setattr(runner, "simulate", flaky)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["run", "-m", "hydra/launcher=basic", *TINY, "regime=none,grants", "progress=false",
                     "hydra.sweep.dir=results/flaky", "hydra.callbacks.results.compare=false"])
    assert code == 1
    runs = pd.read_parquet(tmp_path / "results" / "flaky" / "runs.parquet")
    assert len(runs) == 4
    failed = runs[runs["status"] == "failed"]
    assert list(zip(failed["regime"], failed["seed"], strict=True)) == [("grants", bad_seed)]
    assert "model blew up" in failed["error"].iloc[0]
    assert "replicate(s) failed" in capsys.readouterr().err


def test_compare_command_on_a_finished_sweep(tmp_path):
    res = resilience("run", "-m", *TINY, "regime=none,grants,status_quo", "hydra.sweep.dir=results/s",
                     "hydra.callbacks.results.compare=false", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "results" / "s" / "compare").exists()
    out = resilience("compare", "results/s", "--baseline", "status_quo", "--metrics", "lonely_share",
                     "active_groups", "--no-figures", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(tmp_path / "results" / "s" / "compare" / "comparison.csv")
    assert set(table["metric"]) == {"lonely_share", "active_groups"}
    assert set(table["baseline"]) == {"status_quo"}
    bad = resilience("compare", "results/s", "--metrics", "happiness", cwd=tmp_path)
    assert bad.returncode != 0 and "unknown metric" in bad.stderr and "Traceback" not in bad.stderr


@pytest.fixture(autouse=True)
def _no_stray_results():
    """The tests run in temporary folders; the repository's results/ must not grow."""
    repo_results = Path(__file__).resolve().parent.parent / "results"
    before = set(repo_results.iterdir()) if repo_results.exists() else set()
    yield
    after = set(repo_results.iterdir()) if repo_results.exists() else set()
    for extra in after - before:
        shutil.rmtree(extra, ignore_errors=True)
    assert after == before


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "70000"], "--port must be a whole number from 1 to 65535 (got '70000')"),
    (["--port", "-1"], "--port must be a whole number from 1 to 65535 (got '-1')"),
    (["--port=0"], "--port must be a whole number from 1 to 65535"),
    (["--port", "http"], "--port must be a whole number from 1 to 65535"),
    (["--host", "999.1.1.1"], "--host must be an IP address or a hostname"),
    (["--host", "my host"], "--host must be an IP address or a hostname"),
    (["--host", ""], "--host must be an IP address or a hostname"),
])
def test_workshop_address_is_checked_before_anything_starts(args, message, capsys, monkeypatch):
    import workshop.app

    monkeypatch.setattr(workshop.app, "main", lambda argv: pytest.fail("the app was started"))
    assert cli.main(["workshop", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {message}"] or (len(err) == 1 and message in err[0])


@pytest.mark.parametrize("host", ["127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "lab-laptop.local"])
def test_workshop_accepts_addresses_and_hostnames(host):
    assert cli.check_host(host) == host or cli.check_host(host) == str(__import__("ipaddress").ip_address(host))
    assert cli.check_port("8765") == 8765 and cli.check_port("1") == 1 and cli.check_port("65535") == 65535


@pytest.mark.parametrize(("overrides", "message"), [
    (["+no_such_parameter=1"], "unknown setting 'no_such_parameter'"),
    (["++no_such_parameter=1"], "unknown setting 'no_such_parameter'"),
    (["+council.no_such=1"], "unknown parameter 'council.no_such'"),
    (["~horizon_years"], "settings cannot be deleted"),
    (["regime=grants", "regime.weights.grants=1"], "regime.weights.grants has no effect: regime 'grants'"),
    (["regime=partnership", "regime.grants.rule=core"], "regime.grants.rule has no effect: regime 'partnership'"),
    (["regime=grants", "regime.tender.price_weight=0.5"], "regime.tender.price_weight has no effect"),
    (["regime=none", "regime.partnership.detection_prob=0.9"], "regime.partnership.detection_prob has no effect"),
    (["funding.cut_per_year=0.1"], "funding.cut_per_year has no effect when funding.path is stable"),
    (["funding=austerity", "funding.shock_size=0.2"], "funding.shock_size has no effect when funding.path is austerity"),
    (["regime=grants", "regime.grants.core_years=5"], "regime.grants.core_years has no effect when regime.grants.rule is equal"),
    (["regime=grants", "regime.grants.competitive_share=0.3"], "regime.grants.competitive_share has no effect"),
    (["regime=outcomes_based", "regime.outcomes.portfolio_share=0.3"], "regime.outcomes.portfolio_share has no effect"),
    (["groups.hubs_per_10k_adults=0", "groups.reserves_policy_weeks=26"],
     "groups.reserves_policy_weeks has no effect when groups.hubs_per_10k_adults is 0"),
    (["groups.hubs_per_10k_adults=0", "groups.kinds.community_hub.trading_per_year=50000"],
     "groups.kinds.community_hub.trading_per_year has no effect when groups.hubs_per_10k_adults is 0"),
])
def test_unknown_appended_keys_and_settings_without_effect_are_refused(overrides, message):
    from experiments import preflight
    from model.params import ConfigError

    with pytest.raises(ConfigError) as err:
        preflight.check(overrides, multirun=False)
    assert message in str(err.value)


@pytest.mark.parametrize(("overrides", "multirun"), [
    (["regime=mixture", "+regime.weights.grants=0.5", "regime.weights.partnership=0.5"], False),
    (["regime.weights.grants=0.3", "regime.weights.competitive_tender=0.7"], False),  # a named mixture
    (["regime=grants", "regime.grants.rule=core", "regime.grants.core_years=5"], False),
    (["++horizon_years=2"], False),
    # in a sweep, a setting that acts in at least one job is fine
    (["funding=stable,austerity", "funding.cut_per_year=0.1"], True),
    (["regime=none,grants", "regime.grants.rule=core"], True),
])
def test_settings_with_an_effect_somewhere_are_accepted(overrides, multirun):
    from experiments import preflight

    preflight.check(overrides, multirun=multirun)


def test_compose_is_public_and_the_exit_status_is_not_a_global():
    from experiments import callbacks, preflight

    cfg = preflight.compose(["regime=grants", "horizon_years=2"])
    assert cfg.regime.name == "grants" and cfg.horizon_years == 2
    assert preflight._compose is preflight.compose  # the workshop's old name, until it moves
    assert not hasattr(callbacks, "LAST")
