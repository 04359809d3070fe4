"""Known-answer tests of the sensitivity code: the Ishigami function and a linear toy model go through
the same study folder (design -> runs -> indices) as the model does, with a toy simulator in place of
``model.simulate``."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments import design, sensitivity
from experiments.emulator import fit_emulator

PI = math.pi
# Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: analytic indices (Ishigami & Homma 1990; Sobol' & Levitan)
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])
ISHIGAMI_VAR = 7**2 / 8 + 0.1 * PI**4 / 5 + 0.1**2 * PI**8 / 18 + 0.5  # 13.845


def ishigami(x):
    return math.sin(x[0]) + 7 * math.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * math.sin(x[0])


LINEAR_C = (4.0, 2.0, 1.0, 0.0)  # y = sum c_i x_i, x_i ~ U(0, 1): S1_i = ST_i = c_i^2 / sum c_j^2


class Toy:
    """A stand-in for model.simulate: reads the design's parameters back from Params by name and
    returns a summary; with ``seeded`` the function also gets the run's seed (replicate noise)."""

    def __init__(self, names, fn, seeded=False):
        self.names, self.fn, self.seeded = names, fn, seeded

    def __call__(self, params, seed, cache):
        x = [design._value(params, n) for n in self.names]
        return {"y": self.fn(x, seed) if self.seeded else self.fn(x), "unaffected": 1.0}


# Parameters of the small place with no upper bound in the model's checks, so any range is allowed
# (the toy only reads them back); three of them are the Ishigami inputs shifted to be non-negative.
TOY_PARAMS = ("residents.group_contact", "residents.volunteer_contact", "residents.visit_contact",
              "residents.phone_contact")


def _toy_study(tmp_path: Path, method: str, n: int, fn, d: int, lows, highs, *, replicates=1,
               seeded=False, seed=1) -> Path:
    names = TOY_PARAMS[:d]
    rng_file = tmp_path / f"toy_{method}.yaml"
    rng_file.write_text(yaml.safe_dump({"place": "small", "parameters": {
        nm: {"low": float(lo), "high": float(hi), "source": "known-answer test"}
        for nm, lo, hi in zip(names, lows, highs, strict=True)}}))
    out = design.create_study(rng_file, tmp_path / f"study_{method}", method=method, n=n,
                              replicates=replicates, seed=seed)
    design.run_study(out, n_jobs=1, simulator=Toy(names, fn, seeded))
    return out


def _ishigami_shifted(x):  # inputs stored as x + pi (non-negative), read back as x
    return ishigami([v - PI for v in x])


def test_sobol_indices_of_ishigami():
    """S1 and ST within 0.05 of the analytic values from SALib's Saltelli sample with N = 4096 base
    samples: the estimators' bootstrap standard error on Ishigami is then about 0.01 (its reported 95%
    CIs are ~0.02-0.03), so 0.05 is several standard errors; rows paired with the wrong outputs, or
    S1 and ST swapped, are far outside it. (The study-folder path is tested on a linear model below,
    at a size the test suite can afford.)"""
    from SALib.sample import sobol as saltelli

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}
    X = saltelli.sample(problem, 4096, calc_second_order=False, seed=1)
    t = sensitivity.sobol_indices(problem, np.array([ishigami(x) for x in X])).set_index("parameter")
    t = t.loc[["x1", "x2", "x3"]]
    assert np.allclose(t["S1"], ISHIGAMI_S1, atol=0.05), t
    assert np.allclose(t["ST"], ISHIGAMI_ST, atol=0.05), t
    # the CIs are honest: each analytic value lies within twice the reported CI (+0.01)
    assert np.all(np.abs(t["ST"] - ISHIGAMI_ST) <= 2 * t["ST_conf"] + 0.01)
    assert np.all(np.abs(t["S1"] - ISHIGAMI_S1) <= 2 * t["S1_conf"] + 0.01)


def test_morris_on_a_linear_model_recovers_effects_and_ranking(tmp_path):
    """For y = sum c_i x_i every elementary effect of x_i equals c_i exactly (the design's steps are
    scaled by the range), so mu* = |c_i| and sigma = 0 to rounding, and the ranking is exact."""
    out = _toy_study(tmp_path, "morris", 6, lambda x: float(np.dot(LINEAR_C, x)), 4, [0] * 4, [1] * 4)
    res = sensitivity.analyse(out, metric="y", figures=False)
    t = res.table.set_index("parameter")
    assert list(res.table["parameter"][:3]) == list(TOY_PARAMS[:3])
    assert np.allclose(t.loc[list(TOY_PARAMS), "mu_star"], LINEAR_C, atol=1e-9)
    assert np.allclose(t["sigma"], 0, atol=1e-9)


def test_morris_on_ishigami_flags_the_interacting_input(tmp_path):
    """x3 acts on Ishigami only through its interaction with x1 (S1 = 0, ST = 0.24), so its Morris
    sigma exceeds its mu (signed mean effect ~0 up to sampling: |mu| < 0.5 sigma with 30 trajectories),
    and the inert fourth input has mu* = 0 exactly."""
    f = lambda x: _ishigami_shifted(x[:3])  # noqa: E731
    out = _toy_study(tmp_path, "morris", 30, f, 4, [0] * 4, [2 * PI] * 4)
    t = sensitivity.analyse(out, metric="y", figures=False).table.set_index("parameter")
    x3, inert = TOY_PARAMS[2], TOY_PARAMS[3]
    assert abs(t.loc[x3, "mu"]) < 0.5 * t.loc[x3, "sigma"]
    assert t.loc[inert, "mu_star"] == 0
    assert t["mu_star"].drop(inert).min() > 1.0


def test_linear_sobol_and_replicate_noise_share_through_a_saltelli_study(tmp_path):
    """Linear model y = 2 x1 + x2 (+ 0 x3), var(x_i) = 1, plus replicate noise of sd 1 independent
    between points and seeds, R = 2, through a whole study folder (Saltelli design, N = 128: 640 points).

    Known answers: the point means carry noise variance 1/R = 0.5, which acts as one more input that
    changes between every pair of rows, so S1_i = c_i^2 / 5.5 = (0.727, 0.182, 0) and
    ST_i = (c_i^2 + 0.5) / 5.5 = (0.818, 0.273, 0.091): the total index of an inert input equals the
    noise share of the means. Tolerance 0.1: at N = 128 the bootstrap CIs are ~0.05-0.08 wide, while
    points paired with the wrong outputs give indices near 0. The noise share of single runs is
    1 / (5 + 1) = 1/6 and of the point means 0.5 / 5.5 = 0.091 (within 0.03: 640 points with 2
    replicates each estimate the within-point variance to ~6%)."""
    c = np.array([2.0, 1.0, 0.0])

    def f(x, seed):
        key = int.from_bytes(hashlib.blake2b(np.asarray(x, float).tobytes(), digest_size=8).digest(), "little")
        return float(np.dot(c, x)) + np.random.default_rng([seed, key]).normal()

    out = _toy_study(tmp_path, "saltelli", 128, f, 3, [0] * 3, [math.sqrt(12)] * 3, replicates=2,
                     seeded=True)
    res = sensitivity.analyse(out, metric="y", figures=False)
    t = res.table.set_index("parameter").loc[list(TOY_PARAMS[:3])]
    assert np.allclose(t["S1"], c**2 / 5.5, atol=0.1), t
    assert np.allclose(t["ST"], (c**2 + 0.5) / 5.5, atol=0.1), t
    assert res.quantity.noise["noise_share"] == pytest.approx(1 / 6, abs=0.03)
    assert res.quantity.noise["noise_share_of_means"] == pytest.approx(0.5 / 5.5, abs=0.03)


def test_contrast_is_paired_per_seed(tmp_path):
    """A contrast between regimes is computed seed by seed: with noise that depends only on the seed
    (common random numbers), the regime difference has no replicate noise at all."""
    names = TOY_PARAMS[:2]
    rng_file = tmp_path / "toy.yaml"
    rng_file.write_text(yaml.safe_dump({"place": "small", "regimes": ["grants", "none"], "parameters": {
        nm: {"low": 0.0, "high": 1.0, "source": "test"} for nm in names}}))
    out = design.create_study(rng_file, tmp_path / "study", method="lhs", n=8, replicates=3, seed=2)

    def sim(params, seed, cache):
        x = [design._value(params, n) for n in names]
        bump = 1.0 if params.regime.name == "grants" else 0.0
        return {"y": bump * x[0] + np.random.default_rng(seed).normal()}

    design.run_study(out, n_jobs=1, simulator=sim)
    q = sensitivity.quantity(*design.load_study(out), contrast="grants - none on y")
    _, points, _ = design.load_study(out)
    assert np.allclose(q.y, points[names[0]].to_numpy())
    assert q.noise["within_var"] == pytest.approx(0, abs=1e-12)
    single = sensitivity.quantity(*design.load_study(out), metric="y", regime="none")
    assert single.noise["noise_share"] > 0.9


def test_emulator_recovers_ishigami_indices_from_a_modest_lhs():
    """A GP on 200 LHS points of Ishigami: 5-fold CV R^2 above 0.9, and Sobol indices on it within
    0.1 of the analytic values. The GP smooths the x3^4 x sin(x1) term, whose tail carries much of
    x3's total effect, so the tolerance is wider than for direct estimates (0.06)."""
    from scipy.stats import qmc

    U = qmc.LatinHypercube(3, seed=4).random(200)
    X = -PI + 2 * PI * U
    y = np.array([ishigami(x) for x in X])
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}
    table, cv = sensitivity.emulator_sobol(problem, X, y, n=2048, seed=0)
    assert cv["r2"] > 0.9
    assert cv["rmse"] < 0.35 * math.sqrt(ISHIGAMI_VAR)
    t = table.set_index("parameter").loc[["x1", "x2", "x3"]]
    assert np.allclose(t["S1"], ISHIGAMI_S1, atol=0.1), t
    assert np.allclose(t["ST"], ISHIGAMI_ST, atol=0.1), t


def test_emulator_cross_validation_sees_pure_noise():
    """On pure noise the held-out R^2 must be near zero or negative: the CV does not flatter."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(60, 3))
    _, cv = fit_emulator(X, rng.normal(size=60))
    assert cv["r2"] < 0.2


def test_the_morris_figure_speaks_plainly_and_its_labels_stay_apart(tmp_path, monkeypatch):
    """Points close together had their labels drawn over each other; the title and axes used code
    names and raw shares (0.05 for 5 points); the share of replicate noise was not on the figure."""
    from matplotlib.text import Text

    names = ["a.one", "b.two", "c.three", "d.four"]
    df = pd.DataFrame({"parameter": names, "mu_star": [0.0557, 0.0523, 0.0530, 0.002],
                       "mu_star_conf": [0.006] * 4, "sigma": [0.0086, 0.0090, 0.0088, 0.003],
                       "noise_share": 0.915, "noise_share_of_means": 0.843})
    study = {"ranges": {n: {"label": f"parameter {n}"} for n in names}}
    q = sensitivity.Quantity("lonely_share", "lonely_share", np.zeros(2), np.zeros((2, 2)),
                             metric="lonely_share", title="Lonely residents")
    kept = []
    monkeypatch.setattr(sensitivity, "_save", lambda fig, base: kept.append(fig) or [])
    sensitivity.morris_figure(df, study, q, tmp_path / "m")
    (fig,) = kept
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # (closed after saving: a canvas again, to measure the labels where they were saved)
    renderer = fig.canvas.get_renderer()
    ax1, ax2 = fig.axes[:2]
    boxes = [Text.get_window_extent(t, renderer) for t in ax2.texts if t.get_text().startswith("parameter")]
    assert len(boxes) == 4
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert "Lonely residents" in fig._suptitle.get_text()
    assert "percentage points" in ax1.get_xlabel() and ax1.get_xlim()[1] > 5  # 5.6 points, not 0.056
    assert "92%" in fig.get_supxlabel() and "84%" in fig.get_supxlabel()


def test_a_calibration_waves_runs_are_analysed_too(tmp_path):
    """A calibration wave marks a finished run "completed" (a design: "ok"); both are finished runs."""
    out = _toy_study(tmp_path, "morris", 6, lambda x: float(np.dot(LINEAR_C, x)), 4, [0] * 4, [1] * 4)
    for path in [out / "runs.parquet", *(out / "runs").glob("point_*.parquet")]:
        pd.read_parquet(path).assign(status="completed").to_parquet(path)
    t = sensitivity.analyse(out, metric="y", figures=False).table.set_index("parameter")
    assert np.allclose(t.loc[list(TOY_PARAMS), "mu_star"], LINEAR_C, atol=1e-9)
