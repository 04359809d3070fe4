"""Outcomes are declared once (model/outcomes.py) and the recorder, the summary and the horizon
totals follow the declarations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from model import simulate
from model.outcomes import (
    DIRECTION,
    LABEL,
    OUTCOME_NAMES,
    OUTCOMES,
    RECORDED,
    RUN_OUTCOMES,
    run_totals,
    summarise,
)

from .conftest import small_params


@pytest.fixture(scope="module")
def run():
    return simulate(small_params("status_quo", horizon_years=2), seed=4)


def test_declarations_are_complete_and_consistent():
    assert len(set(OUTCOME_NAMES)) == len(OUTCOMES)
    for o in OUTCOMES:
        assert o.direction in ("lower", "higher", None) and o.label and o.unit
        assert o.year in ("mean", "total", "rate", "last") and o.source in ("measure", "ledger", "summary")
        if o.year == "rate":
            assert o.of in RECORDED and o.per in RECORDED and o.source == "summary"
    assert set(DIRECTION) == set(LABEL) == set(OUTCOME_NAMES)


def test_the_recorder_and_the_summary_follow_the_declarations(run):
    assert list(run.timeseries.columns) == ["week", "year", *RECORDED]
    assert set(run.summary) == set(OUTCOME_NAMES)
    last = run.timeseries[run.timeseries["week"] >= run.timeseries["week"].max() - 51]
    every = run.params.record_every_weeks
    for o in OUTCOMES:
        if o.year == "mean":
            assert run.summary[o.name] == pytest.approx(last[o.name].mean(), nan_ok=True)
        elif o.year == "total":  # events in the final year, as a yearly total
            assert run.summary[o.name] == pytest.approx(last[o.name].sum() * 52 / (len(last) * every))
        elif o.year == "last":
            assert run.summary[o.name] == last[o.name].iloc[-1]
        else:
            assert run.summary[o.name] == pytest.approx(run.summary[o.of] / max(1.0, run.summary[o.per]))


def test_a_total_reduces_events_and_a_mean_reduces_states():
    """On a hand-made series: a year of 13 four-weekly records with 1 closure each is 13 a year."""
    ts = pd.DataFrame({"week": np.arange(3, 104, 4), **{n: 1.0 for n in RECORDED}})
    out = summarise(ts, 4)
    assert out["group_closures"] == pytest.approx(13.0)
    assert out["lonely_share"] == pytest.approx(1.0)
    assert out["group_closure_rate"] == pytest.approx(13.0)


def test_horizon_totals_are_the_horizon_mean_times_its_length(run):
    """Lonely person-years: the horizon's mean times its length; spend_total: the ledger's sum,
    given by the run (not derived from the rolling yearly council_spend)."""
    ts = run.timeseries
    n, years = run.params.place.n_residents, run.params.horizon_years
    totals = run_totals(ts, n, years, {"spend_total": run.spend_total})
    assert set(totals) == {o.name for o in RUN_OUTCOMES}
    assert totals["spend_total"] == run.spend_total > 0
    assert math.isnan(run_totals(ts, n, years)["spend_total"])  # no ledger given: unknown
    assert totals["lonely_person_years"] == ts["lonely_share"].mean() * n * years
    assert all(math.isnan(v) for v in run_totals(ts.iloc[0:0], n, years).values())


def test_money_outcomes_come_from_the_ledger(run):
    """council_spend is the ledger's spend over the past 52 weeks: in the final record it is the
    yearly budget (every pound of a stable budget is spent)."""
    assert run.timeseries["council_spend"].iloc[-1] == pytest.approx(
        run.params.council.budget_per_resident_per_year * run.params.place.n_residents, rel=0.02)


def test_council_spend_is_the_final_budget_years_ledger_total():
    """The summary's council spend is what the ledger recorded in the final budget year, within
    that year's budget, under payment by outcomes too, whose payments bunch (up to model version 14
    it was the final year's mean of rolling 52-week totals, which straddle two budget years: one
    seed of the town's headline read GBP 80k against a GBP 60k budget)."""
    from model.model import CommunityModel
    from model.phases.council import SPEND_CATEGORIES

    m = CommunityModel(small_params("outcomes_based", horizon_years=3), seed=2)
    m.run()
    end = m.week + m.burn_in_weeks  # (weeks recorded so far, burn-in included)
    final = float(m._ledger[end - 52:end, :len(SPEND_CATEGORIES)].sum())
    assert final > 0
    assert m.summary()["council_spend"] == pytest.approx(final)
    budget = m.params.council.budget_per_resident_per_year * m.params.place.n_residents
    assert m.summary()["council_spend"] <= budget * 1.000001


def test_local_funding_share_is_the_final_budget_years_share():
    """The summary's local share is the share of the final budget year's ledger that went to local
    groups (up to model version 15 the final year's mean of rolling shares, which straddle two
    budget years). A tender open to local bids, so the share moves between years."""
    from model.model import CommunityModel
    from model.phases.council import SPEND_CATEGORIES

    m = CommunityModel(small_params("competitive_tender", horizon_years=3, **{
        "regime.tender.min_turnover_ratio": 0.0, "regime.tender.min_reserves_weeks": 0.0}), seed=1)
    m.run()
    end = m.week + m.burn_in_weeks
    year = m._ledger[end - 52:end, :len(SPEND_CATEGORIES)].sum(axis=0)
    assert year.sum() > 0
    assert m.summary()["local_funding_share"] == pytest.approx(year[0] / year.sum())

