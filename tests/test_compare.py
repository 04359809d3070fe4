"""Comparison statistics on synthetic data with known answers, and figures on synthetic data."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from experiments.compare import (
    compare,
    cost_effectiveness,
    default_baseline,
    interactions,
    mean_ci,
    paired_difference,
    regime_order,
    summarise,
    verdict,
)
from experiments.figures import kaplan_meier, palette
from experiments.stats import holm, value_range

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


def row(table: pd.DataFrame, level, metric: str = "lonely_share", **where) -> dict:
    sel = (table["level"] == level) & (table["metric"] == metric)
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


def test_differences_without_spread_are_fixed_by_design_and_get_no_p_value():
    runs = synthetic_runs({"none": 0.0, "grants": 0.0}, noise_sd=0.0)
    g = row(summarise(runs, ["lonely_share", "mean_close_ties"], baseline="none"), "grants")
    assert (g["diff_mean"], g["diff_ci_low"], g["diff_ci_high"]) == (0.0, 0.0, 0.0)
    assert g["fixed_by_design"] and math.isnan(g["p_value"]) and math.isnan(g["p_holm"])
    d = paired_difference([0.3] * 10)
    assert d["diff_ci_low"] == d["diff_ci_high"] == pytest.approx(0.3)
    assert d["fixed_by_design"] and math.isnan(d["p_value"])
    # one seed apart is spread: a p-value again
    assert not paired_difference([0.3] * 9 + [0.31])["fixed_by_design"]


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
    assert set(csv["level"]) == {"none", "grants", "community_development"}
    assert list(csv.columns) == ["by", "level", "baseline", "metric", "n", "mean", "ci_low", "ci_high",
                                 "n_pairs", "diff_mean", "diff_ci_low", "diff_ci_high", "p_value",
                                 "p_holm", "fixed_by_design", "verdict"]
    assert "Holm" in text
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


# --------------------------------------------------------------------------------------------
# Any contrast, Holm, ranges, interactions, errors, output folder
# --------------------------------------------------------------------------------------------


def factorial_runs(cell: dict[tuple[str, str], float], n: int = 25, noise_sd: float = 0.05,
                   rng_seed: int = 2) -> pd.DataFrame:
    """Regime x funding runs on n paired seeds: lonely_share = seed effect + cell effect + noise."""
    rng = np.random.default_rng(rng_seed)
    seed_effect = rng.normal(0.0, 1.0, n)
    rows = []
    for (regime, funding), eff in cell.items():
        noise = rng.normal(0.0, noise_sd, n)
        for k in range(n):
            rows.append({"regime": regime, "place": "small", "funding": funding, "experiment": "",
                         "base_seed": 0, "replicate": k, "seed": 1000 + k,
                         "conditions": json.dumps(CONDITIONS), "status": "completed", "error": None,
                         "lonely_share": 5.0 + seed_effect[k] + eff + noise[k],
                         "council_spend": {"stable": 100.0, "austerity": 60.0}[funding]})
    return pd.DataFrame(rows)


# austerity adds 1 under grants and 3 under the tender: an interaction of 2
PLANTED = {("grants", "stable"): 0.0, ("grants", "austerity"): 1.0,
           ("competitive_tender", "stable"): 0.5, ("competitive_tender", "austerity"): 3.5}


def test_any_condition_column_can_be_contrasted_with_the_others_as_strata():
    runs = factorial_runs(PLANTED)
    table = summarise(runs, ["lonely_share"], baseline="stable", by="funding")
    assert set(table["by"]) == {"funding"} and set(table["baseline"]) == {"stable"}
    assert "regime" in table.columns  # the other condition that varies is a stratum
    assert row(table, "austerity", regime="grants")["diff_mean"] == pytest.approx(1.0, abs=0.05)
    assert row(table, "austerity", regime="competitive_tender")["diff_mean"] == pytest.approx(3.0, abs=0.05)
    assert row(table, "austerity", regime="grants")["verdict"] == "worse"


def test_a_planted_interaction_is_recovered_and_none_is_found_where_none_is():
    inter = interactions(factorial_runs(PLANTED), ["lonely_share"], "funding", "stable", "regime", "grants")
    (r,) = inter.to_dict("records")
    assert (r["factor_a"], r["a_level"], r["a_baseline"]) == ("funding", "austerity", "stable")
    assert (r["factor_b"], r["b_level"], r["b_baseline"]) == ("regime", "competitive_tender", "grants")
    assert r["n_pairs"] == 25
    assert r["ci_low"] < 2.0 < r["ci_high"] and r["estimate"] == pytest.approx(2.0, abs=0.06)
    assert r["p_value"] < 0.001 and r["p_holm"] == pytest.approx(r["p_value"])  # a family of one
    additive = {k: v for k, v in PLANTED.items()}
    additive[("competitive_tender", "austerity")] = 1.5  # 0.5 + 1.0: no interaction
    (r0,) = interactions(factorial_runs(additive), ["lonely_share"], "funding", "stable", "regime",
                         "grants").to_dict("records")
    assert r0["ci_low"] < 0 < r0["ci_high"]
    assert list(inter.columns) == ["factor_a", "a_level", "a_baseline", "factor_b", "b_level", "b_baseline",
                                   "metric", "n_pairs", "estimate", "ci_low", "ci_high", "p_value", "p_holm"]


def test_holm_known_answer():
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> monotone 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    out = holm([0.2, math.nan, 0.9])
    assert out[0] == pytest.approx(0.4) and math.isnan(out[1]) and out[2] == pytest.approx(0.9)


def test_holm_is_applied_within_each_metric_family_and_drives_the_verdict():
    effects = {"none": 0.0, "grants": -0.5, "partnership": 0.0, "community_development": 0.0}
    table = summarise(synthetic_runs(effects, n=12), ["lonely_share", "mean_close_ties"], baseline="none")
    for (_, metric), part in table.groupby(["baseline", "metric"]):
        expected = holm(part["p_value"].to_numpy())
        assert np.allclose(part["p_holm"], expected, equal_nan=True), metric
        assert (part["p_holm"].dropna() >= part["p_value"].dropna() - 1e-12).all()
    # a p-value just under 0.05 on its own loses its verdict once adjusted in a family of three
    r = {"diff_ci_low": 0.1, "diff_ci_high": 0.3, "diff_mean": 0.2, "p_value": 0.03, "p_holm": 0.09,
         "fixed_by_design": False}
    assert verdict("lonely_share", r) == ""
    assert verdict("lonely_share", {**r, "p_holm": 0.03}) == "worse"


def test_intervals_respect_the_range_of_shares_and_counts():
    share = [0.0, 0.0, 0.0, 0.02]  # a rare event: the t interval would reach below 0
    m, lo, hi = mean_ci(share, bounds=value_range("lonely_share"))
    assert lo == 0.0 and hi > m
    assert mean_ci(share)[1] < 0  # unclipped, it does
    m, lo, hi = mean_ci([0.98, 1.0, 1.0, 1.0], bounds=value_range("membership_share"))
    assert hi == 1.0
    assert value_range("active_groups") == (0.0, math.inf)
    assert value_range("diff of something") == (-math.inf, math.inf)
    runs = synthetic_runs({"none": 0.0, "grants": 0.0}, n=4)
    runs["isolated_share"] = np.where(runs["replicate"] == 0, 0.03, 0.0)
    table = summarise(runs, ["isolated_share"], baseline="none")
    assert (table["ci_low"] >= 0).all() and (table["ci_high"] <= 1).all()


def test_spend_fixed_by_the_budget_is_marked_and_has_no_p_value():
    table = summarise(factorial_runs(PLANTED), ["council_spend"], baseline="stable", by="funding")
    r = row(table, "austerity", metric="council_spend", regime="grants")
    assert r["fixed_by_design"] and r["diff_mean"] == pytest.approx(-40.0)
    assert math.isnan(r["p_value"]) and math.isnan(r["p_holm"])


def test_numeric_strata_and_levels_sort_by_value():
    runs = synthetic_runs({"none": 0.0, "grants": 0.0}, n=3)
    runs = pd.concat([runs.assign(**{"x.budget": v}) for v in (0.0, 12.0, 3.0, 6.0, 9.0)], ignore_index=True)
    runs["conditions"] = json.dumps([*CONDITIONS, "x.budget"])
    table = summarise(runs, ["lonely_share"], baseline="none")
    assert list(dict.fromkeys(table["x.budget"])) == [0.0, 3.0, 6.0, 9.0, 12.0]
    by_value = summarise(runs, ["lonely_share"], baseline="3", by="x.budget")  # "3" names 3.0
    assert list(by_value.loc[by_value["level"] == 3.0, "baseline"].unique()) == [3.0]
    assert list(dict.fromkeys(by_value["level"])) == [0.0, 3.0, 6.0, 9.0, 12.0]


def _tables(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {"runs": runs, "timeseries": pd.DataFrame(), "groups": pd.DataFrame()}


def test_compare_explains_what_cannot_be_compared(tmp_path):
    runs = factorial_runs(PLANTED, n=4)
    failed = runs.assign(status="failed", lonely_share=np.nan)
    cases = [
        (failed, {}, "no successful replicate"),
        (runs[runs.regime == "grants"], {"by": "regime"}, "only one regime (grants)"),
        (runs[runs.funding == "stable"], {"by": "funding"}, "only one value of funding"),
        (runs, {"by": "funding", "baseline": "shock"}, "'shock' is not in these results; choose from: "
                                                       "austerity, stable"),
        (runs, {"metrics": ["happiness"]}, "unknown metric"),
        (runs, {"by": "colour"}, "unknown --by column 'colour'"),
        (runs, {"by": "funding", "interaction": "funding"}, "is the --by column"),
    ]
    for data, kwargs, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            compare(tmp_path, tables=_tables(data), figures=False, **kwargs)
    assert not (tmp_path / "compare").exists()  # nothing written


def test_compare_cli_gives_one_line_and_exit_2(tmp_path, capsys):
    from experiments.cli import main

    runs = factorial_runs(PLANTED, n=3).assign(status="failed")
    runs.to_parquet(tmp_path / "runs.parquet")
    assert main(["compare", str(tmp_path), "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no successful replicate") and err.count("\n") == 1
    assert not (tmp_path / "compare").exists()


def test_compare_by_funding_writes_interaction_and_the_output_folder_is_its_own(tmp_path):
    tables = _tables(factorial_runs(PLANTED, n=6))
    res = compare(tmp_path, tables=tables, figures=False, by="funding", interaction="regime",
                  interaction_baseline="grants")
    assert res.by == "funding" and res.baseline == "stable" and res.out_dir == tmp_path / "compare"
    inter = pd.read_csv(res.interaction_csv)
    assert set(inter["b_level"]) == {"competitive_tender"} and set(inter["metric"]) == {"lonely_share", "council_spend"}
    assert "Interaction of funding and regime" in res.markdown.read_text()
    (tmp_path / "compare" / "stale.txt").write_text("from an earlier analysis")
    again = compare(tmp_path, tables=tables, figures=False, by="funding", interaction="regime",
                    interaction_baseline="grants")  # same arguments: replaces its own folder
    assert again.csv.exists() and not (tmp_path / "compare" / "stale.txt").exists()
    with pytest.raises(ValueError, match="holds another analysis"):
        compare(tmp_path, tables=tables, figures=False, by="regime")
    other = compare(tmp_path, tables=tables, figures=False, by="regime", out=tmp_path / "by_regime")
    assert other.csv.parent == tmp_path / "by_regime" and res.csv.exists()
    assert not list(tmp_path.glob(".*tmp*")) and not list(tmp_path.glob(".*old*"))
