"""Design studies: range files, samplers, the study folder, resume, chunks under Hydra, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import design
from experiments.cli import main
from model import OUTCOME_NAMES

ROOT = Path(__file__).resolve().parent.parent
SCREENING = ROOT / "configs" / "ranges" / "screening.yaml"
FAST = ["place=small", "burn_in_years=1", "horizon_years=0.5"]


def _ranges(tmp_path: Path, params: dict, name="r.yaml", **top) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({**top, "parameters": {
        k: {"source": "test", **v} for k, v in params.items()}}, sort_keys=False))
    return path


TWO = {"residents.loneliness_rise": {"low": 0.04, "high": 0.06},
       "groups.join_per_year": {"low": 0.08, "high": 0.16}}


def test_screening_range_file_is_valid_and_sourced():
    spec = design.load_ranges(SCREENING)
    assert 15 <= len(spec["ranges"]) <= 35  # a Morris screen costs (k + 1) x n x replicates runs
    # (35 with community hubs' number and trading, model version 12: 36 x 10 x 3 = 1,080 runs)
    for r in spec["ranges"]:
        assert r.low < r.high and len(r.source) > 10
        default = design._lookup(r.name, None)
        assert r.low <= default <= r.high, f"{r.name}: default {default} outside [{r.low}, {r.high}]"
    labels = [r.label for r in spec["ranges"]]
    assert len(set(labels)) == len(labels)


def test_which_parameters_shape_the_burn_in_follows_the_model():
    """A design varying only settings that act after the burn-in (model.model.AFTER_BURN_IN, whole
    parts or dotted fields) shares burn-ins; anything else shapes them."""
    assert not design._shapes_burn_in(["regime.grants.max_grant", "council.budget_per_resident_per_year"])
    assert design._shapes_burn_in(["council.relationship_initial"])
    assert design._shapes_burn_in(["residents.loneliness_rise", "regime.grants.max_grant"])


@pytest.mark.parametrize("method,n,rows", [("lhs", 5, 5), ("sobol", 8, 8), ("morris", 3, 9),
                                           ("saltelli", 4, 16)])
def test_samplers_stay_in_range_and_have_the_right_size(method, n, rows):
    spec = design.load_ranges(SCREENING)
    ranges = spec["ranges"][:2]
    X = design.sample(method, ranges, n, seed=3)
    assert X.shape == (rows, 2)
    for j, r in enumerate(ranges):
        assert X[:, j].min() >= r.low and X[:, j].max() <= r.high
    assert np.array_equal(X, design.sample(method, ranges, n, seed=3))
    if method == "lhs":  # one point in each of the n equal strata of every parameter
        for j, r in enumerate(ranges):
            strata = np.floor((X[:, j] - r.low) / (r.high - r.low) * n).astype(int)
            assert sorted(strata) == list(range(n))
    if method == "morris":  # each step of a trajectory moves exactly one parameter
        for t in range(n):
            traj = X[t * 3:(t + 1) * 3]
            assert np.all((np.abs(np.diff(traj, axis=0)) > 1e-12).sum(axis=1) == 1)


@pytest.mark.parametrize("params,extra,needle", [
    ({"residents.no_such_thing": {"low": 0, "high": 1}}, [], "unknown parameter 'residents.no_such_thing'"),
    ({"residents.loneliness_rise": {"low": -0.1, "high": 0.1}}, [], "is not allowed"),
    ({"groups.join_per_year": {"low": 0.5, "high": 1.5}}, [], "must be in [0, 1]"),
    ({"regime.grants.rule": {"low": 0, "high": 1}}, [], "not a single number"),
    ({"residents.age_shares": {"low": 0, "high": 1}}, [], "not a single number"),
    ({"residents.loneliness_rise": {"low": 0.06, "high": 0.04}}, [], "low < high"),
    (TWO, ["--method", "morris", "--n", "1"], "design too small"),
    (TWO, ["--method", "lhs", "--n", "2"], "design too small"),
    (TWO, ["--method", "sobol", "--n", "6"], "power of 2"),
    (TWO, ["--regimes", "nonsense"], "regime.name 'nonsense'"),
    (TWO, ["no_such.param=3"], "unknown parameter"),
    (TWO, ["regime=grants"], "--regimes grants"),  # as `resilience run` takes it
])
def test_bad_input_gives_one_line_and_writes_nothing(tmp_path, capsys, params, extra, needle):
    rf = _ranges(tmp_path, params)
    out = tmp_path / "study"
    code = main(["design", str(rf), "--out", str(out), "--n", "4", *extra, *FAST])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("error:") and "\n" not in err and needle in err, err
    assert not out.exists()


def test_missing_source_is_refused(tmp_path, capsys):
    rf = tmp_path / "r.yaml"
    rf.write_text(yaml.safe_dump({"parameters": {"residents.loneliness_rise": {"low": 0.04, "high": 0.06}}}))
    assert main(["design", str(rf), "--out", str(tmp_path / "s"), *FAST]) == 2
    assert "needs a source" in capsys.readouterr().err


def test_study_end_to_end_on_small_with_paired_seeds(tmp_path, capsys):
    """2 parameters, 2 regimes, 2 replicates, a Morris design on the small place: every point runs
    every (regime, replicate) with the same seeds, the folder has what the contract lists, and the
    sensitivity command reads it (a metric and a paired contrast)."""
    rf = _ranges(tmp_path, TWO)
    out = tmp_path / "study"
    code = main(["design", str(rf), "--method", "morris", "--n", "2", "--replicates", "2", "--jobs", "2",
                 "--regimes", "grants,competitive_tender", "--out", str(out), *FAST])
    assert code == 0, capsys.readouterr().err
    study, points, runs = design.load_study(out)
    assert study["method"] == "morris" and study["replicates"] == 2 and study["place"] == "small"
    assert list(points.columns) == ["point", *TWO]
    assert len(points) == 6 and len(runs) == 6 * 2 * 2
    assert (runs["status"] == "ok").all()
    assert set(OUTCOME_NAMES) <= set(runs.columns)
    # common random numbers: replicate r has one seed at every point and in every regime
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert runs["seed"].nunique() == 2
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(f"point_{k}.parquet" for k in range(6))
    manifest = __import__("json").loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["points_done"] == 6
    assert "end:" in (out / "status.log").read_text()
    # the parameters reached the model: lower loneliness_rise gives less loneliness, run by run
    assert runs["lonely_share"].nunique() > 1
    # burn-ins shared between the two regimes of a point are removed once the point is done
    assert not list((out / "burn_in").glob("*.pkl"))
    capsys.readouterr()
    assert main(["sensitivity", str(out), "--contrast", "competitive_tender - grants on active_groups"]) == 0
    text = capsys.readouterr().out
    assert "replicate noise" in text and "mu_star" in text
    assert (out / "sensitivity" / "competitive_tender-minus-grants_active_groups_morris.png").exists()
    assert main(["sensitivity", str(out), "--metric", "lonely_share"]) == 2  # two regimes: which?
    assert main(["sensitivity", str(out), "--metric", "lonely_share", "--regime", "grants",
                 "--no-figures"]) == 0


def test_rerun_into_the_same_folder_resumes_and_a_different_study_is_refused(tmp_path, capsys):
    rf = _ranges(tmp_path, TWO)
    out = tmp_path / "study"
    args = ["design", str(rf), "--n", "3", "--replicates", "1", "--jobs", "1", "--out", str(out), *FAST]
    assert main(args) == 0
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert main(args) == 0
    assert "0 point(s) to run, 3 already done" in (out / "status.log").read_text()
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == before
    capsys.readouterr()
    assert main([*args[:-len(FAST)], "place=small", "burn_in_years=1", "horizon_years=1"]) == 2
    assert "holds a different study" in capsys.readouterr().err


def test_resume_after_a_kill_runs_only_the_missing_points(tmp_path):
    """Kill the command (SIGKILL, the whole process group) once some points are written; the re-run
    keeps those files untouched, runs the rest, and gives the same rows as an uninterrupted study."""
    rf = _ranges(tmp_path, TWO)
    out = tmp_path / "study"
    cmd = [sys.executable, "-m", "experiments.cli", "design", str(rf), "--n", "8", "--replicates", "2",
           "--jobs", "1", "--out", str(out), "place=small", "burn_in_years=1", "horizon_years=1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "runs").glob("point_*.parquet"))) < 2:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("point_*.parquet")}
    assert 2 <= len(written) < 8, "the kill came too late to test resuming"
    res = design.run_study(out, n_jobs=1)
    assert res["skipped"] == len(written) and res["ran"] == 8 - len(written)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("point_*.parquet")}
    assert len(after) == 8 and all(after[k] == v for k, v in written.items())
    assert not list((out / "runs").glob(".*tmp"))  # an interrupted write leaves no partial file
    # the resumed study equals an uninterrupted one (same design, same seeds)
    ref = tmp_path / "ref"
    design.create_study(rf, ref, n=8, replicates=2,
                        overrides={"place": "small", "burn_in_years": 1, "horizon_years": 1})
    design.run_study(ref, n_jobs=1)
    a = design.load_study(out)[2].sort_values(["point", "replicate"], ignore_index=True)
    b = design.load_study(ref)[2].sort_values(["point", "replicate"], ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


def test_chunks_partition_the_points():
    for n, k in [(10, 3), (7, 7), (5, 8), (1000, 20)]:
        got = [list(design.chunk_points(n, i, k)) for i in range(k)]
        assert sorted(x for c in got for x in c) == list(range(n))


def test_chunked_study_under_hydra_submitit_local(tmp_path, capsys):
    """The cluster path: the study runs as Hydra multirun jobs (array tasks under SLURM), one per chunk
    of points, here with the submitit_local launcher; the result equals an in-process run."""
    rf = _ranges(tmp_path, TWO)
    out = tmp_path / "study"
    code = main(["design", str(rf), "--n", "4", "--replicates", "1", "--jobs", "1", "--out", str(out),
                 "--launcher", "submitit_local", "--points-per-task", "2", "hydra.launcher.timeout_min=10",
                 *FAST])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (out / "hydra").iterdir() if p.name.startswith("chunk_")) == \
        ["chunk_0", "chunk_1"]
    log = (out / "status.log").read_text()
    assert "(chunk 1/2)" in log and "(chunk 2/2)" in log
    study, points, runs = design.load_study(out)
    assert len(runs) == 4 and (runs["status"] == "ok").all()
    ref = tmp_path / "ref"
    design.create_study(rf, ref, n=4, replicates=1,
                        overrides={"place": "small", "burn_in_years": 1, "horizon_years": 0.5})
    design.run_study(ref, n_jobs=1)
    pd.testing.assert_frame_equal(runs.sort_values("point", ignore_index=True),
                                  design.load_study(ref)[2].sort_values("point", ignore_index=True))


def test_every_screened_parameter_acts_under_the_screened_regime():
    # a range the screen's regime never reads costs (n x replicates) runs and shows as "no effect",
    # which reads as a finding about the model (regime.partnership.placements_per_year was screened
    # under status_quo, where no volunteer centre is funded). Each parameter at its high end (its
    # low end when the default sits there) must change the small place's recorded weeks: a proxy for
    # the town the screen runs (34 town runs would take minutes). It catches a parameter the status
    # quo never reads; one that acted in the small place but not in the town would pass. For the
    # hubs' settings the small place is given two community hubs (10 per 10,000 adults), as the
    # town has (at the default 2 per 10,000, seed 1's small place has none); only for them, since
    # two hubs win the small place's one tendered lot every time, which leaves providers idle.
    from model import make_params, simulate

    spec = design.load_ranges(SCREENING)
    regime = spec["regimes"][0]

    def weeks(**over):
        p = make_params("small", regime, overrides={"burn_in_years": 2, "horizon_years": 2, **over})
        return simulate(p, seed=1).timeseries.drop(columns=["wall_seconds"], errors="ignore")

    hubs = {"groups.hubs_per_10k_adults": 10.0}
    base, base_hubs = weeks(), weeks(**hubs)
    idle = []
    for r in spec["ranges"]:
        default = design._lookup(r.name, None)
        extra = hubs if "hub" in r.name else {}
        # the other end too when the first changes nothing: a rare event's rate (foundings) can
        # leave four years of one small place unchanged by chance (model version 13, seed 1)
        ends = [r.low if default == r.high else r.high] + ([r.low] if default not in (r.low, r.high) else [])
        if all(weeks(**{**extra, r.name: v}).equals(base_hubs if extra else base) for v in ends):
            idle.append(r.name)
    assert not idle, f"screened parameters with no effect under {regime}: {idle}"
