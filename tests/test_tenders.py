"""Tenders as councils run them (issue 15, item 4): the tendered budget let in lots, a re-tender won
by the same provider keeps its clients, and a tendered share that could spend nothing is refused."""

from __future__ import annotations

import pytest
from scipy.stats import binom

from model import make_params
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
