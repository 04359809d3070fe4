"""Tenders as councils run them (issue 15, item 4): the tendered budget let in lots, a re-tender won
by the same provider keeps its clients, and a tendered share that could spend nothing is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from model import make_params, simulate
from model.model import CommunityModel
from model.params import WEEKS_PER_YEAR, ConfigError
from model.regimes.tender import _TenderBase
from model.residents import PROVIDER_BASE

from .conftest import small_params

LOTS = {"council.budget_per_resident_per_year": 30.0}  # GBP 60k in the small place: four lots of 15k


def test_the_tendered_share_is_let_in_lots_each_with_its_own_contract():
    m = CommunityModel(small_params("competitive_tender", horizon_years=1, **LOTS), seed=2)
    m.burn_in()
    m.step()  # the study's first budget year: every lot awarded
    lots = [ins for ins in m.regime.instruments if isinstance(ins, _TenderBase)]
    assert len(lots) == 4
    assert sorted(ins.key for ins in lots) == [f"competitive_tender:{k}" for k in range(1, 5)]
    assert sum(ins.weight for ins in lots) == pytest.approx(1.0)
    contracts = [ins.contract for ins in lots]
    assert all(c is not None for c in contracts) and len({id(c) for c in contracts}) == 4
    assert all(c.value == pytest.approx(m.council.budget / 4) for c in contracts)
    # without lots (lot_value 0): one contract worth the whole share
    one = CommunityModel(small_params("competitive_tender", horizon_years=1,
                                      **LOTS, **{"regime.tender.lot_value": 0.0}), seed=2)
    assert len(one.regime.instruments) == 1


def _provider_clients_across_retender(keep: bool, monkeypatch) -> tuple[int, int, float]:
    """A single outside provider wins every yearly re-tender; its clients just before and just after
    the second year's re-tender, and how many new clients its places would take in that week if
    all were free (its binomial's upper 3e-5 quantile: places, the weekly intake chance)."""
    if not keep:  # switched off: the ending contract discharges its clients before the re-award
        original = _TenderBase.end_contract
        monkeypatch.setattr(_TenderBase, "end_contract",
                            lambda self, model, announce=True, cause="", keep_clients=False:
                            original(self, model, announce, cause, keep_clients=False))
    over = {"providers.n_bidders": 1, "regime.tender.min_turnover_ratio": 1e6, "regime.tender.contract_years": 1}
    m = CommunityModel(small_params("competitive_tender", horizon_years=2, **over), seed=4)
    m.burn_in()
    while m.week < WEEKS_PER_YEAR:
        m.step()  # up to the start of the second budget year
    before = int((m.res.client_of >= PROVIDER_BASE).sum())
    m.step()  # the calendar: the contract ends and is tendered again; the same provider wins
    after = int((m.res.client_of >= PROVIDER_BASE).sum())
    places = sum(pv.contract_places for pv in m.providers)
    new_intake = binom.ppf(1 - 3e-5, places, m.rates.intake)  # the exact tail (4 sd of a normal)
    monkeypatch.undo()
    return before, after, new_intake


def test_a_retender_won_by_the_same_provider_keeps_its_clients(monkeypatch):
    before, after, _ = _provider_clients_across_retender(True, monkeypatch)
    assert before > 10
    assert after >= 0.8 * before  # discharges at the end of their six months, withdrawals: a few
    before_off, after_off, new_intake = _provider_clients_across_retender(False, monkeypatch)
    # all discharged: those left are the week's new intake into places that are all free
    assert before_off > 10 and after_off <= new_intake < 0.8 * before_off


def test_a_lot_too_small_to_buy_a_place_is_refused():
    with pytest.raises(ConfigError, match="lot_value"):
        make_params("small", "competitive_tender", overrides={"regime.tender.lot_value": 100.0})
    with pytest.raises(ConfigError, match="less than one place"):
        make_params("small", "status_quo", overrides={"council.budget_per_resident_per_year": 0.2})
    make_params("small", "grants", overrides={"council.budget_per_resident_per_year": 0.2})  # grants can spend it


def test_a_provider_holding_several_outcome_lots_is_paid_once_for_each_outcome(monkeypatch):
    """Payment by outcomes let in four lots, all won by one outside provider: a discharged client
    is one outcome, whichever lot's places it came through. Every lot hears of each discharge (its
    clients are not labelled by lot) and counts only its share of the provider's places, so the
    payments match the outcomes; up to model version 12 each lot paid for every client."""
    over = {**LOTS, "providers.n_bidders": 1, "regime.tender.min_turnover_ratio": 1e6,
            "regime.outcomes.measurement_error": 0.0, "regime.outcomes.payment_per_outcome": 1.0}
    m = CommunityModel(small_params("outcomes_based", horizon_years=1, **over), seed=2)
    m.burn_in()
    m.step()  # the study's first budget year: every lot awarded, to the one provider
    lots = m.regime.instruments
    assert len(lots) == 4 and all(ins.contract is not None and ins.contract.provider is not None for ins in lots)
    thr = m.params.residents.lonely_threshold
    batches = []  # (outcomes, payments) of each week's discharges
    regime_on_discharge = type(m.regime).on_discharge

    def counting(self, model, who, codes):
        before = sum(ins.pot for ins in lots)  # GBP 1 an outcome
        regime_on_discharge(self, model, who, codes)
        batches.append((int(((codes >= PROVIDER_BASE) & (model.res.loneliness[who] < thr)).sum()),
                        before - sum(ins.pot for ins in lots)))

    monkeypatch.setattr(type(m.regime), "on_discharge", counting)
    while m.week < WEEKS_PER_YEAR - 1:  # within the budget year (the pots are not refilled)
        m.step()
    outcomes, paid = (np.array(x) for x in zip(*batches, strict=True))
    assert outcomes.sum() > 20 and (outcomes > 0).sum() > 5
    # one draw per discharge, shared by the four lots, falls in exactly one lot's slice of the
    # provider's places (all of them outcome lots here): each week's outcomes are paid once each (at
    # version 12 each lot paid for every outcome; with a draw of its own in each lot, once on
    # average but not each time)
    assert np.array_equal(paid, outcomes), (paid, outcomes)


def test_a_lot_that_ends_does_not_strike_its_holder_off_the_groups_funded_this_year():
    """The council's relationship with the sector grows with continuity of funding: a group the
    council paid this year (by a grant, say, in the same week) still counts as funded when a lot
    it held ends. Up to model version 12 ending a contract struck its holders off."""
    over = {**LOTS, "providers.n_bidders": 0, "regime.tender.min_turnover_ratio": 0.0,
            "regime.tender.min_reserves_weeks": 0.0}
    m = CommunityModel(small_params("competitive_tender", horizon_years=1, **over), seed=2)
    m.burn_in()
    m.step()
    held = [ins for ins in m.regime.instruments if ins.contract is not None and ins.contract.holders]
    assert held
    ins = held[0]
    gids = {g.gid for g in ins.contract.holders}
    assert gids <= m.council.funded_this_year
    ins.end_contract(m)
    assert gids <= m.council.funded_this_year


def _investor_after_a_year(**over) -> CommunityModel:
    """The investor in outcomes in the small place, just before its second budget year (its first
    cohort recorded a year ago, not yet rewarded)."""
    m = CommunityModel(small_params("outcomes_based", horizon_years=2,
                                    **{"regime.outcomes.investor": True, **over}), seed=3)
    m.burn_in()
    while m.week < WEEKS_PER_YEAR:
        m.step()
    return m


def test_the_investor_pays_for_verified_recoveries_in_its_cohort(monkeypatch):
    """A year after funding its portfolio the investor pays each group for the residents it served
    who were lonely then, still live here and are not lonely now. Read without error: all
    recovered, every one of them still living here earns payment_per_outcome; none recovered,
    nothing is paid. With every one of them moved away, nothing is paid even when half the readings
    are wrong (a first build of version 13 paid for a departed resident at the error's rate)."""
    paid = []

    def reward(recovered: bool, error: float, moved: slice) -> tuple[float, int]:
        m = _investor_after_a_year(**{"regime.outcomes.measurement_error": error,
                                      "regime.outcomes.payment_per_outcome": 10.0})
        ins = m.regime.instruments[0]
        res, grp, arrived = ins.cohort
        assert res.size > 5
        m.res.loneliness[res] = 0.0 if recovered else 1.0
        m.res.arrived_week[res[moved]] = m.week  # these have moved away since (newcomers in their slots)
        stayed = (m.res.arrived_week[res] == arrived) & np.array([m.group_by_gid(int(k)).active for k in grp])
        paid.clear()
        monkeypatch.setattr(m, "pay", lambda g, source, amount: paid.append(amount) if source == "outcome_payments" else None)
        ins._reward_cohort(m, 1e9)
        return sum(paid), int(stayed.sum())

    total, n = reward(True, 0.0, slice(None, None, 3))  # a third moved away
    assert n > 0 and total == pytest.approx(10.0 * n)
    assert reward(False, 0.0, slice(None, None, 3))[0] == 0.0
    total, n = reward(False, 0.5, slice(None))  # all moved away
    assert n == 0 and total == 0.0


def test_the_investors_reward_does_not_read_the_councils_noisy_area_measure():
    """Up to model version 12 the reward followed the year's fall in the council's area reading,
    whose noise (sd a point) swamped the change: 81% of it was paid for noise. The reward now
    reads individual outcomes, so the reading's noise changes nothing."""
    inv = {"regime.outcomes.investor": True}
    a = simulate(small_params("outcomes_based", horizon_years=4, **inv), seed=3)
    b = simulate(small_params("outcomes_based", horizon_years=4, **inv, **{"council.observation_noise_sd": 0.0}),
                 seed=3)
    cols = [c for c in a.timeseries.columns if c != "wall_seconds"]
    pd.testing.assert_frame_equal(a.timeseries[cols], b.timeseries[cols])
    assert a.summary["council_spend"] > 0
