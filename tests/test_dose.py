"""Dose-response: numeric settings with three or more values become curves (known slopes, paired on
seeds), one figure instead of per-value figures; what Hydra cannot sweep is refused in one line."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from experiments.compare import compare
from experiments.dose import COST, dose_columns, dose_response
from model.params import ConfigError

PARAM = "council.budget_per_resident_per_year"
CONDITIONS = ["regime", "place", "funding", "experiment", "base_seed", PARAM]
VALUES = (0.0, 3.0, 6.0, 9.0, 12.0)
SLOPE = {"none": 0.0, "grants": -0.002, "competitive_tender": -0.004}  # lonely share per GBP per resident


def dose_runs(n: int = 20, seed_sd: float = 0.02, noise_sd: float = 0.001, rng_seed: int = 5) -> pd.DataFrame:
    """lonely_share = 0.08 + seed effect + slope(regime) x budget + noise, on n paired seeds."""
    rng = np.random.default_rng(rng_seed)
    seed_effect = rng.normal(0.0, seed_sd, n)
    rows = []
    for regime, slope in SLOPE.items():
        for v in VALUES:
            noise = rng.normal(0.0, noise_sd, n)
            for k in range(n):
                share = 0.08 + seed_effect[k] + slope * v + noise[k]
                rows.append({"regime": regime, "place": "small", "funding": "stable", "experiment": "",
                             "base_seed": 0, PARAM: v, "replicate": k, "seed": 100 + k,
                             "conditions": json.dumps(CONDITIONS), "status": "completed",
                             "lonely_share": share, "council_spend": 0.0 if regime == "none" else 1000.0 * v,
                             "spend_total": 0.0 if regime == "none" else 3000.0 * v,
                             "lonely_person_years": share * 2000 * 3, "n_residents": 2000, "years": 3.0})
    return pd.DataFrame(rows)


def test_numeric_settings_with_three_or_more_values_are_doses():
    runs = dose_runs(n=3)
    assert dose_columns(runs) == [PARAM]
    two = runs[runs[PARAM].isin([0.0, 3.0])]
    assert dose_columns(two) == []  # two values are strata, not a curve
    assert "seed" not in dose_columns(runs) and "replicate" not in dose_columns(runs)


def test_a_known_slope_is_recovered_along_the_curve_paired_on_seeds():
    table = dose_response(dose_runs(), ["lonely_share"], PARAM)
    curve = table[(table["metric"] == "lonely_share") & (table["regime"] == "competitive_tender")]
    assert list(curve["value"]) == list(VALUES)  # numeric order
    for r in curve.itertuples():
        expected = SLOPE["competitive_tender"] * r.value
        if r.value == 0:
            assert r.n_pairs == 0 and math.isnan(r.diff_mean)
            continue
        assert r.n_pairs == 20
        assert r.diff_mean == pytest.approx(expected, abs=0.0008)
        assert r.diff_ci_low < expected < r.diff_ci_high
        # pairing: the seed effect (sd 0.02) is gone from the change, not from the level
        assert r.diff_ci_high - r.diff_ci_low < 0.2 * (r.ci_high - r.ci_low)
    flat = table[(table["metric"] == "lonely_share") & (table["regime"] == "none") & (table["value"] > 0)]
    # no slope: changes within 4 standard errors of zero (noise sd 0.001 on both arms, 20 pairs)
    assert (flat["diff_mean"].abs() < 4 * 0.001 * math.sqrt(2 / 20)).all()


def test_cost_per_outcome_along_the_curve():
    table = dose_response(dose_runs(), ["lonely_share"], PARAM)
    cost = table[(table["metric"] == COST) & (table["regime"] == "grants")].set_index("value")
    # averted per seed = 0.002 x v x 2000 residents x 3 years = 12 v; spend 3000 v: 250 GBP each
    for v in VALUES[1:]:
        assert cost.loc[v, "mean"] == pytest.approx(250.0, rel=0.1)
        assert cost.loc[v, "ci_low"] <= cost.loc[v, "mean"] <= cost.loc[v, "ci_high"]


def test_no_cost_is_stated_where_nothing_was_spent():
    # grants at no budget happen to end a little less lonely than none: a chance difference, not an
    # outcome bought for GBP 0, so the cost there is undefined (it read GBP 0 before)
    runs = dose_runs()
    luck = (runs["regime"] == "grants") & (runs[PARAM] == 0.0)
    runs.loc[luck, "lonely_share"] -= 0.001
    runs.loc[luck, "lonely_person_years"] = runs.loc[luck, "lonely_share"] * 2000 * 3
    table = dose_response(runs, ["lonely_share"], PARAM)
    cost = table[(table["metric"] == COST) & (table["regime"] == "grants")].set_index("value")
    assert math.isnan(cost.loc[0.0, "mean"])
    assert cost.loc[3.0, "mean"] > 0


def test_compare_writes_the_dose_table_and_one_figure_not_one_per_value(tmp_path):
    runs = dose_runs(n=6)
    res = compare(tmp_path, tables={"runs": runs, "timeseries": pd.DataFrame(), "groups": pd.DataFrame()},
                  metrics=["lonely_share", "council_spend"])
    assert res.dose_csv.exists()
    dose = pd.read_csv(res.dose_csv)
    assert set(dose["metric"]) == {"lonely_share", "council_spend", COST}
    assert sorted(p.name for p in res.figures) == ["dose_response.pdf", "dose_response.png"]
    assert all(p.stat().st_size > 1000 for p in res.figures)
    # the comparison's strata are in numeric order too
    assert list(dict.fromkeys(res.table[PARAM])) == list(VALUES)


def test_sweeps_accept_range_and_lists_and_refuse_what_cannot_be_swept():
    from experiments.preflight import check

    base = ["place=small", "horizon_years=0.25", "burn_in_years=0"]
    assert check([*base, f"{PARAM}=range(0,13,3)"], multirun=True) == 5
    assert check([*base, f"{PARAM}=0,6,12"], multirun=True) == 3
    for bad in (f"{PARAM}=interval(0,5)", "regime=glob(*)"):
        with pytest.raises(ConfigError, match="only lists .* range.* can be swept"):
            check([*base, bad], multirun=True)
