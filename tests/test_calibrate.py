"""Calibration by history matching (toy simulator with a planted parameter, and the real model on a
tiny budget), its bad input, and running over the ensemble it produces (replicate k uses member
k mod M)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import cli, runner
from experiments.calibrate import Ranges, Target, calibrate, load_targets
from experiments.config import replicate_seeds
from model.params import ConfigError

TRUE_A = 3.0
NOISE_SD = 0.2  # run-to-run noise of the toy
OBS_SD = 0.1


def toy(values: dict[str, float], seed: int) -> dict[str, float]:
    """y = 2a + noise; b has no effect. The noise depends on the seed and the point (as a model's)."""
    rng = np.random.default_rng([seed, int(values["a"] * 1e6), int(values["b"] * 1e6)])
    return {"y": 2.0 * values["a"] + rng.normal(0.0, NOISE_SD)}


CALLS: list[tuple[float, int]] = []


def counting_toy(values: dict[str, float], seed: int) -> dict[str, float]:
    CALLS.append((values["a"], seed))
    return toy(values, seed)


def _toy_ranges() -> Ranges:
    return Ranges(["a", "b"], [0.0, 0.0], [10.0, 10.0])


@pytest.mark.parametrize("replicate_variance", ["run", "mean"])
def test_history_matching_recovers_a_planted_parameter(tmp_path, replicate_variance):
    target = Target("y", "y", 2 * TRUE_A, OBS_SD)
    res = calibrate(_toy_ranges(), [target], tmp_path / "cal", simulator=toy, waves=3, n=20, replicates=2,
                    members=200, replicate_variance=replicate_variance)
    assert res.status == "completed"
    ens = res.ensemble
    assert len(ens) == 200 and {"member", "a", "b", "implausibility", "weight"} <= set(ens.columns)
    assert (ens["implausibility"] <= 3).all()
    # The exact non-implausible set, with a perfect emulator, is |2a - 6| <= 3 sqrt(0.1^2 + 0.2^2):
    # a within 3 +- 0.335 Tolerance 0.15 for the emulator's own uncertainty and the estimated
    # replicate variance (estimated from 2 replicates per point).
    # ("mean": the noise variance over the 2 replicates' mean, 3 sqrt(0.1^2 + 0.2^2 / 2) / 2 = 0.26)
    half = 3 * math.sqrt(OBS_SD ** 2 + NOISE_SD ** 2 / (2 if replicate_variance == "mean" else 1)) / 2
    assert ens["a"].min() <= TRUE_A <= ens["a"].max()
    assert TRUE_A - half - 0.15 <= ens["a"].min() <= TRUE_A - half + 0.15
    assert TRUE_A + half - 0.15 <= ens["a"].max() <= TRUE_A + half + 0.15
    assert ens["a"].max() - ens["a"].min() < 0.1 * 10  # much narrower than the prior (0-10)
    # the inert parameter is not constrained: the ensemble still spans most of its prior
    assert ens["b"].max() - ens["b"].min() > 0.8 * 10
    summary = yaml.safe_load((tmp_path / "cal" / "calibration.yaml").read_text())
    shares = [w["non_implausible_share_of_prior"] for w in summary["waves"]]
    assert len(shares) == 3
    assert all(later <= earlier + 1e-9 for earlier, later in zip(shares, shares[1:], strict=False))
    # the share left is close to the exact one (2 x 0.335 / 10 = 0.067) within the tolerance above
    assert 2 * (half - 0.15) / 10 <= shares[-1] <= 2 * (half + 0.15) / 10
    assert summary["waves"][0]["emulator_cv"]["y"]["q2"] > 0.9
    imp = summary["implausibility"]
    assert (imp["cutoff"], imp["measure"], imp["replicate_variance"]) == (3.0, "max", replicate_variance)
    # the run-to-run sd the implausibility used is the toy's noise, within sampling error
    assert 0.7 * NOISE_SD <= summary["waves"][-1]["emulator_cv"]["y"]["run_sd"] <= 1.3 * NOISE_SD
    # each wave is a study folder
    w2 = tmp_path / "cal" / "wave_2"
    points = pd.read_parquet(w2 / "points.parquet")
    runs = pd.read_parquet(w2 / "runs.parquet")
    assert list(points.columns) == ["point", "a", "b"] and len(points) == 20
    assert len(runs) == 40 and {"point", "regime", "replicate", "seed", "status", "y"} <= set(runs.columns)
    assert sorted(p.name for p in (w2 / "runs").glob("point_*.parquet")) == sorted(
        f"point_{k}.parquet" for k in range(20))
    assert set(runs["seed"]) == set(replicate_seeds(0, 2))  # the same seeds at every point
    # wave 2's points lie inside the space wave 1 left (|2a - 6| within a few sd)
    assert points["a"].between(TRUE_A - 1.5, TRUE_A + 1.5).all()


def test_second_max_tolerates_one_unmatched_target(tmp_path):
    """With two targets of which one cannot be matched anywhere, max rules out everything, while
    second_max keeps the space that matches the other."""
    targets = [Target("y", "y", 2 * TRUE_A, OBS_SD), Target("y_far", "y", 100.0, OBS_SD)]
    res = calibrate(_toy_ranges(), targets, tmp_path / "max", simulator=toy, waves=1, n=16, replicates=2)
    assert res.status == "empty" and res.ensemble is None
    assert not (tmp_path / "max" / "ensemble.parquet").exists()
    res2 = calibrate(_toy_ranges(), targets, tmp_path / "second", simulator=toy, waves=1, n=16, replicates=2,
                     measure="second_max")
    assert res2.status == "completed"
    assert res2.ensemble["a"].min() <= TRUE_A <= res2.ensemble["a"].max()


def test_restart_reruns_only_unfinished_points_and_refuses_other_settings(tmp_path):
    target = Target("y", "y", 2 * TRUE_A, OBS_SD)
    out = tmp_path / "cal"
    CALLS.clear()
    calibrate(_toy_ranges(), [target], out, simulator=counting_toy, waves=1, n=10, replicates=2)
    assert len(CALLS) == 20
    (out / "wave_1" / "runs" / "point_3.parquet").unlink()  # as if killed before point 3 finished
    CALLS.clear()
    calibrate(_toy_ranges(), [target], out, simulator=counting_toy, waves=1, n=10, replicates=2)
    points = pd.read_parquet(out / "wave_1" / "points.parquet")
    assert [a for a, _ in CALLS] == [points.loc[3, "a"]] * 2
    before = (out / "calibration.yaml").read_text()
    with pytest.raises(ConfigError, match="different settings"):
        calibrate(_toy_ranges(), [target], out, simulator=counting_toy, waves=1, n=12, replicates=2)
    assert (out / "calibration.yaml").read_text() == before


def _write(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


RANGE = {"place": "small", "parameters": {"residents.loneliness_rise": {"low": 0.03, "high": 0.08,
                                                                        "source": "test"}}}
TARGETS = {"targets": {"lonely_share": {"metric": "lonely_share", "value": 0.066, "low": 0.05, "high": 0.07,
                                        "sd": 0.005, "source": "CLS 2024/25"}}}


def _bad_cases(tmp: Path):
    good_r = _write(tmp / "good_range.yaml", RANGE)
    good_t = _write(tmp / "good_targets.yaml", TARGETS)
    unknown = _write(tmp / "r1.yaml", {"parameters": {"residents.loneliness_rize": {"low": 0.1, "high": 0.2}}})
    outside = _write(tmp / "r2.yaml", {"parameters": {"residents.volunteer_join_per_year":
                                                      {"low": 0.5, "high": 1.5}}})
    reversed_ = _write(tmp / "r3.yaml", {"parameters": {"residents.loneliness_rise": {"low": 0.08, "high": 0.03}}})
    metric = _write(tmp / "t1.yaml", {"targets": {"happiness": {"metric": "happiness", "value": 1, "sd": 0.1}}})
    no_sd = _write(tmp / "t2.yaml", {"targets": {"lonely_share": {"value": 0.066}}})
    (tmp / "broken.yaml").write_text("parameters: [unclosed\n")
    return [
        ([str(unknown), "--targets", str(good_t)], "unknown parameter 'residents.loneliness_rize'"),
        ([str(outside), "--targets", str(good_t)], "must be in [0, 1]"),
        ([str(reversed_), "--targets", str(good_t)], "needs low < high"),
        ([str(tmp / "broken.yaml"), "--targets", str(good_t)], "not valid YAML"),
        ([str(tmp / "missing.yaml"), "--targets", str(good_t)], "no such range file"),
        ([str(good_r), "--targets", str(metric)], "unknown metric 'happiness'"),
        ([str(good_r), "--targets", str(no_sd)], "needs 'value' and 'sd'"),
        ([str(good_r), "--targets", str(good_t), "--n", "3"], "design too small"),
        ([str(good_r), "--targets", str(good_t), "--waves", "0"], "--waves must be at least 1"),
        ([str(good_r), "--targets", str(good_t), "--set", "council.budget_per_head=3"],
         "unknown parameter 'council.budget_per_head'"),
        ([str(good_r), "--targets", str(good_t), "--only", "volunteers"], "unknown target(s) volunteers"),
        ([str(good_r), "--targets", str(good_t), "--frobnicate"], "unrecognized arguments"),
    ]


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    for args, message in _bad_cases(tmp_path):
        out = tmp_path / "out"
        code = cli.main(["calibrate", *args, "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert message in err, (message, err)
        assert not out.exists(), args


def test_targets_file_of_the_project_is_readable():
    targets = load_targets(Path(__file__).resolve().parent.parent / "configs" / "targets.yaml")
    names = {t.name for t in targets}
    assert "lonely_share" in names
    for t in targets:
        assert t.sd > 0 and t.source
        if t.low is not None and t.high is not None:
            assert t.low <= t.value <= t.high


def test_real_model_tiny_calibration_writes_a_study_folder_and_an_ensemble(tmp_path, capsys):
    """The real model on the small place (no burn-in, 1 year), 8 points x 1 replicate, 1 wave."""
    ranges = _write(tmp_path / "r.yaml", RANGE)
    targets = _write(tmp_path / "t.yaml", TARGETS)
    out = tmp_path / "cal"
    code = cli.main(["calibrate", str(ranges), "--targets", str(targets), "--waves", "1", "--n", "8",
                     "--replicates", "1", "--members", "5", "--jobs", "1", "--out", str(out),
                     "--set", "burn_in_years=0", "horizon_years=1"])
    captured = capsys.readouterr()
    # the loneliness rise moves the lonely share a lot: some part of 0.03-0.08 may be ruled out,
    # but the calibration must either end with an ensemble or say that all was ruled out
    assert code in (0, 1), captured.err
    w1 = out / "wave_1"
    study = yaml.safe_load((w1 / "study.yaml").read_text())
    assert study["n"] == 8 and study["replicates"] == 1 and study["place"] == "small"
    assert study["regimes"] == ["status_quo"] and study["horizon_years"] == 1.0
    runs = pd.read_parquet(w1 / "runs.parquet")
    assert len(runs) == 8 and (runs["status"] == "completed").all()
    assert runs["lonely_share"].between(0, 1).all()
    # more loneliness rise, more lonely residents: the design sees the parameter's effect
    points = pd.read_parquet(w1 / "points.parquet")
    merged = runs.merge(points, on="point")
    assert np.corrcoef(merged["residents.loneliness_rise"], merged["lonely_share"])[0, 1] > 0.5
    summary = yaml.safe_load((out / "calibration.yaml").read_text())
    assert summary["waves"][0]["points"] == 8 and "lonely_share" in summary["waves"][0]["emulator_cv"]
    if code == 0:
        ens = pd.read_parquet(out / "ensemble.parquet")
        assert ens["residents.loneliness_rise"].between(0.03, 0.08).all()


# --------------------------------------------------------------------------------------------
# Running over an ensemble
# --------------------------------------------------------------------------------------------


def test_replicate_k_runs_member_k_mod_m(tmp_path, monkeypatch):
    from tests.test_experiments import TINY, compose_job

    ens_path = tmp_path / "ensemble.parquet"
    pd.DataFrame({"member": [0, 1], "residents.loneliness_rise": [0.03, 0.07],
                  "residents.volunteer_join_per_year": [0.5, 0.6],
                  "implausibility": [1.0, 2.0], "weight": [0.5, 0.5]}).to_parquet(ens_path)
    seen: list[tuple[int, float, float]] = []
    real = runner.simulate

    def spy(params, seed, **kwargs):
        seen.append((seed, params.residents.loneliness_rise, params.residents.volunteer_join_per_year))
        return real(params, seed, **kwargs)

    monkeypatch.setattr(runner, "simulate", spy)
    overrides = ["regime=grants", *TINY, "replicates=3", f"ensemble={ens_path}"]
    cfg, choices, _ = compose_job(overrides)
    out = runner.run_job(cfg, runner.JobInfo(output_dir=tmp_path / "job", choices=choices, overrides=overrides))
    assert out.status == "completed"
    seeds = replicate_seeds(0, 3)
    assert seen == [(seeds[0], 0.03, 0.5), (seeds[1], 0.07, 0.6), (seeds[2], 0.03, 0.5)]
    summary = pd.read_parquet(tmp_path / "job" / "summary.parquet")
    assert list(summary["ensemble_member"]) == [0, 1, 0]
    ts = pd.read_parquet(tmp_path / "job" / "timeseries.parquet")
    assert set(zip(ts["replicate"], ts["ensemble_member"], strict=True)) == {(0, 0), (1, 1), (2, 0)}


def test_bad_ensemble_is_refused_in_one_line_before_anything_is_written(tmp_path, capsys):
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"member": [0], "residents.loneliness_rize": [0.05]}).to_parquet(bad)
    for value, message in ((str(tmp_path / "none.parquet"), "ensemble: no such file"),
                           (str(bad), "unknown parameter 'residents.loneliness_rize'")):
        code = cli.main(["run", "place=small", "horizon_years=0.25", "burn_in_years=0",
                         f"results_dir={tmp_path / 'results'}", f"ensemble={value}"])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and message in err, err
        assert not (tmp_path / "results").exists()
