"""Scenario discovery: PRIM finds a planted box in a toy design study (CONTRACTS.md format); the
claim grammar, its per-point rules, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import cli
from experiments.discover import Clause, claim_holds, discover, load_study, parse_claim

N_POINTS = 300
REPLICATES = 3


def _box(x: np.ndarray) -> np.ndarray:
    """The planted box: a > 0.5 and b < 0.4 (c plays no part); mass 0.2."""
    return (x[:, 0] > 0.5) & (x[:, 1] < 0.4)


def write_study(path: Path, n: int = N_POINTS, seed: int = 1) -> np.ndarray:
    """A design study folder from a toy simulator: tendering loses 1 group against grants inside the
    planted box and gains 1 outside it (paired replicates share their base noise); loneliness under
    tendering is higher by 0.01 everywhere."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 3))
    path.mkdir(parents=True, exist_ok=True)
    points = pd.DataFrame(x, columns=["p.a", "p.b", "p.c"])
    points.insert(0, "point", np.arange(n))
    points.to_parquet(path / "points.parquet")
    inside = _box(x)
    rows = []
    for k in range(n):
        for r in range(REPLICATES):
            base, lonely = rng.normal(10, 1), rng.normal(0.07, 0.005)
            effect = -1.0 if inside[k] else 1.0
            common = {"point": k, "replicate": r, "seed": 100 + r, "status": "ok"}
            rows.append({**common, "regime": "grants", "active_groups": base, "lonely_share": lonely})
            rows.append({**common, "regime": "competitive_tender",
                         "active_groups": base + effect + rng.normal(0, 0.3), "lonely_share": lonely + 0.01})
    runs = pd.DataFrame(rows)
    (path / "runs").mkdir(exist_ok=True)
    for k, part in runs.groupby("point"):
        part.to_parquet(path / "runs" / f"point_{k}.parquet")
    runs.to_parquet(path / "runs.parquet")
    (path / "study.yaml").write_text(f"method: lhs\nn: {n}\nreplicates: {REPLICATES}\n")
    return inside


CLAIM = "competitive_tender - grants on active_groups < 0 and competitive_tender - grants on lonely_share > 0"


def test_prim_finds_the_planted_box(tmp_path):
    inside = write_study(tmp_path / "study")
    res = discover(tmp_path / "study", CLAIM, rule="mean")
    assert res["holds"].to_numpy().tolist() == inside.tolist()  # the claim is evaluated per point
    box = res["boxes"][0]
    lim = box.limits
    # limits near the planted ones: PRIM peels 5% of the points at a time, so within 0.05
    assert abs(lim.loc["p.a", "low"] - 0.5) <= 0.05 and lim.loc["p.a", "restricted"]
    assert abs(lim.loc["p.b", "high"] - 0.4) <= 0.05 and lim.loc["p.b", "restricted"]
    assert not lim.loc["p.c", "restricted"]  # the inert parameter is left free
    # coverage and density near the planted box's (1 and 1), mass near its share of the points
    assert box.coverage >= 0.9 and box.density >= 0.9
    assert abs(box.mass - inside.mean()) <= 0.05
    out = res["out"]
    assert out == tmp_path / "study" / "discover" / res["out"].name
    table = pd.read_csv(out / "boxes.csv")
    assert set(table.columns) >= {"box", "parameter", "low", "high", "restricted", "coverage", "density"}
    assert (out / "trajectory.csv").exists() and (out / "tradeoff.png").stat().st_size > 1000
    md = (out / "discover.md").read_text()
    assert "coverage" in md and "p.a" in md and f"holds at {inside.sum()}" in md


def test_claim_grammar():
    assert parse_claim("a - b on m < 0") == [Clause("a", "b", "m", "<", 0.0)]
    assert parse_claim("  partnership on lonely_share_16-24 >= 0.05 ") == [
        Clause("partnership", None, "lonely_share_16-24", ">=", 0.05)]
    two = parse_claim("x-y on m<=-1e-3 and y - x on n > 2")
    assert two == [Clause("x", "y", "m", "<=", -0.001), Clause("y", "x", "n", ">", 2.0)]


def test_rules_mean_and_share_differ_as_stated(tmp_path):
    """One point whose paired contrasts are -10, +1, +1: the mean (-2.7) holds '< 0', but the claim
    holds in only 1 of 3 replicates, so not by the share rule."""
    d = tmp_path / "s"
    d.mkdir()
    pd.DataFrame({"point": [0], "p": [0.5]}).to_parquet(d / "points.parquet")
    (d / "study.yaml").write_text("method: lhs\nn: 1\nreplicates: 1\n")  # as `resilience design` writes
    rows = []
    for r, diff in enumerate([-10.0, 1.0, 1.0]):
        rows.append({"point": 0, "replicate": r, "regime": "b", "m": 5.0, "status": "ok"})
        rows.append({"point": 0, "replicate": r, "regime": "a", "m": 5.0 + diff, "status": "ok"})
        # a failed run is ignored
    rows.append({"point": 0, "replicate": 3, "regime": "a", "m": np.nan, "status": "failed"})
    pd.DataFrame(rows).to_parquet(d / "runs.parquet")
    study = load_study(d)
    clauses = parse_claim("a - b on m < 0")
    assert claim_holds(clauses, study, "mean").tolist() == [True]
    assert claim_holds(clauses, study, "share").tolist() == [False]


@pytest.fixture(scope="module")
def toy_study(tmp_path_factory):
    path = tmp_path_factory.mktemp("disc") / "study"
    write_study(path)
    small = path.parent / "small"
    write_study(small, n=10)
    return path, small


BAD = [
    ("competitive_tender minus grants on active_groups < 0", "cannot read claim clause"),
    ("competitive_tender - grants on active_groups", "cannot read claim clause"),
    ("competitive_tender - grants on active_groups < 0 and", "cannot read claim clause"),
    ("utopia - grants on active_groups < 0", "unknown regime 'utopia'"),
    ("competitive_tender - grants on happiness > 0", "unknown metric 'happiness'"),
    ("grants - grants on active_groups > 0", "contrasts a regime with itself"),
    ("competitive_tender - grants on lonely_share > 1", "holds at 0 of 300"),
]


@pytest.mark.parametrize(("claim", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_claims_are_one_line_exit_2_and_write_nothing(toy_study, claim, message, capsys):
    path, _ = toy_study
    code = cli.main(["discover", str(path), "--claim", claim])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert not (path / "discover").exists()


def test_a_design_too_small_or_no_study_is_refused(toy_study, tmp_path, capsys):
    _, small = toy_study
    for args, message in (([str(small)], "design too small: 10 design points"),
                          ([str(tmp_path)], "not a design study folder"),
                          ([str(tmp_path / "nowhere")], "no such folder")):
        code = cli.main(["discover", *args, "--claim", CLAIM])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not (small / "discover").exists()


def test_discover_reads_a_study_that_resilience_design_ran(tmp_path):
    """The hand-made studies above wrote the runs' status as the runner does ("completed"); a design
    study writes "ok", and discover dropped every run of every real study ('unknown regime
    grants in the claim; this study has: ')."""
    from experiments import design

    ranges = tmp_path / "r.yaml"
    ranges.write_text("parameters:\n  council.budget_per_resident_per_year: {low: 2, high: 12, source: test}\n")
    study = tmp_path / "study"
    design.create_study(ranges, study, n=24, replicates=2, regimes=["none", "grants"],
                        overrides={"place": "small"})

    def fake(params, seed, cache):  # grants lower loneliness where the budget is above 7
        rich = params.regime.name == "grants" and params.council.budget_per_resident_per_year > 7
        return {"lonely_share": 0.07 - (0.01 if rich else 0.0)}

    design.run_study(study, n_jobs=1, simulator=fake)
    res = discover(study, "grants - none on lonely_share < -0.005", rule="mean")
    budget = design.load_study(study)[1].set_index("point")["council.budget_per_resident_per_year"]
    assert res["holds"].to_numpy().tolist() == (budget.sort_index() > 7).to_numpy().tolist()


def test_the_tradeoff_figure_colours_every_box_on_one_integer_scale(tmp_path, monkeypatch):
    """Each box's peeling steps were coloured on their own range (the same colour meant 3
    restricted parameters on one box and 1 on another) and the colour bar showed fractions."""
    import matplotlib.pyplot as plt

    from experiments import discover as disc

    def box(dims: list[int]) -> disc.Box:
        n = len(dims)
        t = pd.DataFrame({"coverage": np.linspace(1, 0.5, n), "density": np.linspace(0.5, 1, n), "res_dim": dims})
        return disc.Box(pd.DataFrame(), 0.5, 1.0, 0.3, 10, t, n - 1)

    kept = []
    real_close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig))
    disc._tradeoff_figure([box([0, 1, 2, 3]), box([0, 1])], tmp_path / "t.png")
    real_close(kept[0])
    fig = kept[0]
    ax = fig.axes[0]
    first, second = ax.collections[0], ax.collections[2]  # the two boxes' peeling steps
    assert first.norm is second.norm or (first.norm.vmin, first.norm.vmax) == (second.norm.vmin, second.norm.vmax)
    assert np.allclose(first.get_facecolors()[1], second.get_facecolors()[1])  # one parameter: one colour
    ticks = fig.axes[1].get_yticks()
    assert np.allclose(ticks, np.round(ticks)) and set(np.round(ticks).astype(int)) == {0, 1, 2, 3}
    assert (tmp_path / "t.png").exists()


def test_a_calibration_waves_runs_are_read_too(tmp_path):
    """A calibration wave (experiments/calibrate.py) marks a finished run "completed", a design
    "ok"; the calibration says the design tools can read each wave. Failed runs are still left out."""
    inside = write_study(tmp_path / "wave")
    for path in [tmp_path / "wave" / "runs.parquet", *(tmp_path / "wave" / "runs").glob("point_*.parquet")]:
        runs = pd.read_parquet(path)
        runs.assign(status="completed").to_parquet(path)
    res = discover(tmp_path / "wave", CLAIM, rule="mean")
    assert res["holds"].to_numpy().tolist() == inside.tolist()
    runs = load_study(tmp_path / "wave").runs
    assert len(runs) and set(runs["status"]) == {"completed"}
