"""Comparison statistics on synthetic data with known answers, and figures on synthetic data."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from experiments.compare import (
    compare,
    cost_effectiveness,
    default_baseline,
    mean_ci,
    paired_difference,
    regime_order,
    summarise,
)
from experiments.figures import kaplan_meier, palette

CONDITIONS = ["regime", "place", "funding", "experiment", "base_seed"]


def synthetic_runs(effects: dict[str, float], n: int = 30, seed_sd: float = 1.0, noise_sd: float = 0.05,
                   strata: dict[str, dict[str, float]] | None = None, rng_seed: int = 1) -> pd.DataFrame:
    """Runs of several regimes on n paired seeds: lonely_share = seed effect + regime effect + noise."""
    rng = np.random.default_rng(rng_seed)
    seed_effect = rng.normal(0.0, seed_sd, n)
    rows = []
    for funding, shifts in (strata or {"stable": {}}).items():
        for regime, effect in effects.items():
            eff = shifts.get(regime, effect)
            noise = rng.normal(0.0, noise_sd, n)
            for k in range(n):
                rows.append({"regime": regime, "place": "small", "funding": funding, "experiment": "",
                             "base_seed": 0, "replicate": k, "seed": 1000 + k,
                             "conditions": json.dumps(CONDITIONS), "status": "completed", "error": None,
                             "lonely_share": 10.0 + seed_effect[k] + eff + noise[k],
                             "mean_close_ties": 3.0 + seed_effect[k]})
    return pd.DataFrame(rows)


def row(table: pd.DataFrame, regime: str, metric: str = "lonely_share", **where) -> dict:
    sel = (table["regime"] == regime) & (table["metric"] == metric)
    for k, v in where.items():
        sel &= table[k] == v
    assert sel.sum() == 1
    return table[sel].iloc[0].to_dict()


def test_mean_ci_is_the_t_interval():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])
    # t(0.975, df=2) = 4.302653; sd = 1; half width = 4.302653 / sqrt(3)
    assert m == 2.0
    assert lo == pytest.approx(2.0 - 2.484138, abs=1e-5)
    assert hi == pytest.approx(2.0 + 2.484138, abs=1e-5)
    assert math.isnan(mean_ci([5.0])[1])


def test_a_known_paired_difference_is_recovered():
    runs = synthetic_runs({"none": 0.0, "grants": -0.5, "partnership": 0.0})
    table = summarise(runs, ["lonely_share"], baseline="none")
    g = row(table, "grants")
    assert g["n_pairs"] == 30
    assert g["diff_mean"] == pytest.approx(-0.5, abs=0.05)
    assert g["diff_ci_low"] < -0.5 < g["diff_ci_high"]
    assert g["diff_ci_high"] < 0
    assert g["p_value"] < 0.001
    assert g["verdict"] == "better"  # lonely share: lower is better
    p = row(table, "partnership")
    assert p["diff_ci_low"] < 0 < p["diff_ci_high"]
    assert p["p_value"] > 0.05
    assert p["verdict"] == ""


def test_pairing_removes_between_seed_noise():
    # the seed effect (sd 5) dwarfs the regime effect (0.2); only matched pairs can see it
    runs = synthetic_runs({"none": 0.0, "grants": 0.2}, seed_sd=5.0, noise_sd=0.02)
    g = row(summarise(runs, ["lonely_share"], baseline="none"), "grants")
    assert g["diff_ci_low"] > 0.15 and g["diff_ci_high"] < 0.25
    assert g["verdict"] == "worse"
    m, lo, hi = mean_ci(runs.loc[runs.regime == "grants", "lonely_share"])
    assert lo < 10.0 < hi  # unpaired, the two regimes' intervals overlap entirely


def test_pairs_are_matched_on_seed_and_every_other_condition():
    runs = synthetic_runs({"none": 0.0, "grants": 0.0},
                          strata={"stable": {"grants": -1.0}, "austerity": {"grants": 2.0}})
    runs = runs.sample(frac=1.0, random_state=3)  # order must not matter
    table = summarise(runs, ["lonely_share"], baseline="none")
    assert "funding" in table.columns
    assert row(table, "grants", funding="stable")["diff_mean"] == pytest.approx(-1.0, abs=0.05)
    assert row(table, "grants", funding="austerity")["diff_mean"] == pytest.approx(2.0, abs=0.05)


def test_identical_regimes_give_zero_difference_without_errors():
    runs = synthetic_runs({"none": 0.0, "grants": 0.0}, noise_sd=0.0)
    g = row(summarise(runs, ["lonely_share", "mean_close_ties"], baseline="none"), "grants")
    assert (g["diff_mean"], g["diff_ci_low"], g["diff_ci_high"], g["p_value"]) == (0.0, 0.0, 0.0, 1.0)
    d = paired_difference([0.3] * 10)
    assert d["diff_ci_low"] == d["diff_ci_high"] == pytest.approx(0.3)
    assert d["p_value"] < 0.01


def test_failed_replicates_are_left_out_of_the_pairs():
    runs = synthetic_runs({"none": 0.0, "grants": -0.5}, n=10)
    runs.loc[(runs.regime == "grants") & (runs.replicate == 3), ["status", "lonely_share"]] = ["failed", np.nan]
    g = row(summarise(runs, ["lonely_share"], baseline="none"), "grants")
    assert g["n"] == 9 and g["n_pairs"] == 9


def test_cost_per_lonely_person_year_averted_known_answer():
    rows = []
    for k in range(8):
        for regime, spend, share in (("none", 0.0, 0.20), ("grants", 1000.0 + 10 * k, 0.19)):
            rows.append({"regime": regime, "base_seed": 0, "replicate": k, "seed": k,
                         "conditions": json.dumps(["regime", "base_seed"]), "status": "completed",
                         "spend_total": spend, "lonely_person_years": share * 100 * 2,
                         "n_residents": 100, "years": 2.0})
    cost = cost_effectiveness(pd.DataFrame(rows))
    (r,) = cost.to_dict("records")
    # averted = (0.20 - 0.19) x 100 residents x 2 years = 2 lonely person-years per seed
    assert r["lonely_person_years_averted"] == pytest.approx(2.0)
    assert r["cost_per_lonely_person_year_averted"] == pytest.approx((1000 + 35) / 2.0)
    assert r["ci_low"] <= r["cost_per_lonely_person_year_averted"] <= r["ci_high"]


def test_no_cost_per_outcome_when_nothing_is_averted():
    rows = [{"regime": reg, "base_seed": 0, "replicate": k, "seed": k, "status": "completed",
             "conditions": json.dumps(["regime", "base_seed"]), "spend_total": sp,
             "lonely_person_years": 40.0} for k in range(4) for reg, sp in (("none", 0.0), ("grants", 500.0))]
    (r,) = cost_effectiveness(pd.DataFrame(rows)).to_dict("records")
    assert math.isnan(r["cost_per_lonely_person_year_averted"])


def test_regime_order_and_baseline():
    assert regime_order(["zeta", "status_quo", "grants", "none"]) == ["none", "grants", "status_quo", "zeta"]
    assert default_baseline(["grants", "none"]) == "none"
    assert default_baseline(["grants", "status_quo"]) == "status_quo"
    assert default_baseline(["partnership", "grants"]) == "grants"


def test_palette_is_fixed_per_regime():
    assert palette(["grants"])["grants"] == palette(["none", "grants", "partnership"])["grants"]
    colours = palette(["none", "grants", "competitive_tender", "outcomes_based", "community_development",
                       "social_value", "partnership", "status_quo"])
    assert len(set(colours.values())) == len(colours)


def test_kaplan_meier_known_answer():
    # times 1, 2+, 3, 4 (2 censored): S(1) = 3/4, S(3) = 3/4 * 1/2, S(4) = 0
    res = kaplan_meier(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, True, True]))
    assert res.sf.evaluate([0.5, 1.0, 2.5, 3.0, 4.0]) == pytest.approx([1.0, 0.75, 0.75, 0.375, 0.0])
    assert kaplan_meier(np.array([1.0, 2.0]), np.array([False, False])) is None


def test_compare_writes_tables_and_figures(tmp_path):
    runs = synthetic_runs({"none": 0.0, "grants": -0.3, "community_development": -0.1}, n=6)
    runs["lonely_share"] = runs["lonely_share"] / 100
    runs["spend_total"] = np.where(runs["regime"] == "none", 0.0, 5000.0)
    runs["lonely_person_years"] = runs["lonely_share"] * 1000
    runs["local_funding_share"] = np.where(runs["regime"] == "none", np.nan, 0.8)
    ts = pd.concat([runs.assign(week=w, year=w // 52) for w in (3, 7, 11, 15)], ignore_index=True)
    ts["active_groups"] = 10.0
    ts["volunteer_share"] = 0.15
    rng = np.random.default_rng(0)
    groups = runs[["regime", "funding", "replicate", "seed"]].loc[runs.index.repeat(5)].reset_index(drop=True)
    groups["duration_weeks"] = rng.integers(1, 200, len(groups))
    groups["closed"] = rng.random(len(groups)) < 0.4
    res = compare(tmp_path, metrics=["lonely_share", "mean_close_ties"],
                  tables={"runs": runs, "timeseries": ts, "groups": groups})
    assert res.baseline == "none"
    text = res.markdown.read_text()
    assert "Difference vs No funding" in text and "Cost per lonely-person-year averted" in text
    assert "Cost per lonely-person-year averted =" in text  # the formula in the footnote
    csv = pd.read_csv(res.csv)
    assert set(csv["regime"]) == {"none", "grants", "community_development"}
    assert {"mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high", "p_value"} <= set(csv.columns)
    names = {p.name for p in res.figures}
    for stem in ("timeseries", "final_year", "survival", "local_funding_share"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
    assert all(p.stat().st_size > 1000 for p in res.figures)


def test_compare_rejects_unknown_metric_and_baseline(tmp_path):
    runs = synthetic_runs({"none": 0.0, "grants": 0.0}, n=3)
    tables = {"runs": runs, "timeseries": pd.DataFrame(), "groups": pd.DataFrame()}
    with pytest.raises(ValueError, match="unknown metric"):
        compare(tmp_path, metrics=["happiness"], tables=tables, figures=False)
    with pytest.raises(ValueError, match="baseline regime 'partnership'"):
        compare(tmp_path, baseline="partnership", tables=tables, figures=False)


def test_survival_uses_only_the_recorded_period():
    import pandas as pd

    from experiments.figures import study_period

    g = pd.DataFrame({
        "founded_week": [-100, -100, -100, 20],
        "duration_weeks": [50, 150, 300, 30],  # closed in burn-in; closed at 50; open to 200; new
        "closed": [True, True, False, True],
        "regime": ["none"] * 4,
    })
    out = study_period(g)
    assert list(out["duration_weeks"]) == [50, 200, 30]  # first group dropped, others from week 0
    assert list(out["closed"]) == [True, False, True]
