"""The council's money: the budget acts after the burn-in (runs differing only in budget share one
burn-in), and every regime's yearly budget is accounted for in the ledger."""

from __future__ import annotations

import numpy as np
import pytest

from model import api
from model.model import AFTER_BURN_IN, CommunityModel, burn_in_params
from model.residents import NO_GROUP, PROVIDER_BASE
from tests.conftest import small_params

BUDGETS = (3.0, 6.0, 12.0)


def _arrays(obj, prefix: str) -> dict[str, np.ndarray]:
    names = getattr(obj, "__slots__", ()) or vars(obj)
    return {f"{prefix}.{k}": np.array(getattr(obj, k)) for k in names
            if isinstance(getattr(obj, k, None), np.ndarray)}


def _state(m: CommunityModel) -> dict[str, np.ndarray]:
    """The model's state that the burn-in leaves: residents' arrays, ties, the group table."""
    out = _arrays(m.res, "res")
    out.update(_arrays(m.gt, "gt"))
    assert len(out) > 10
    out["ties.w"] = np.array(m.ties.w)
    out["groups"] = np.array([(g.gid, g.active, g.reserves, g.n_members) for g in m.all_groups])
    return out


def test_council_spending_settings_act_after_the_burn_in():
    assert "council.budget_per_resident_per_year" in AFTER_BURN_IN
    for seed in (1, 2):
        params = [small_params("grants", **{"council.budget_per_resident_per_year": b, "horizon_years": 2})
                  for b in BUDGETS]
        keys = {api.burn_in_key(p, seed) for p in params}
        assert len(keys) == 1  # one burn-in for the three budgets
        states, results = [], []
        for p in params:
            m = CommunityModel(p, seed=seed)
            m.burn_in()
            states.append(_state(m))
            m.run()
            results.append(m.summary())
        for other in states[1:]:
            assert other.keys() == states[0].keys()
            for k, v in states[0].items():
                assert np.array_equal(v, other[k], equal_nan=True), k
        # ... and the budget acts afterwards: more money, more council spend
        spend = [r["council_spend"] for r in results]
        assert spend[0] < spend[1] < spend[2]


def test_a_cached_burn_in_is_shared_by_budgets(tmp_path):
    a = small_params("grants", **{"council.budget_per_resident_per_year": 3.0, "horizon_years": 1})
    b = small_params("grants", **{"council.budget_per_resident_per_year": 12.0, "horizon_years": 1})
    direct = api.simulate(b, seed=4)
    api.simulate(a, seed=4, burn_in_cache=tmp_path)
    assert len(list(tmp_path.glob("burn_in_*.pkl"))) == 1
    cached = api.simulate(b, seed=4, burn_in_cache=tmp_path)
    assert len(list(tmp_path.glob("burn_in_*.pkl"))) == 1
    assert cached.timeseries.equals(direct.timeseries)


def test_burn_in_params_reset_only_the_study_settings():
    p = small_params("grants", **{"council.budget_per_resident_per_year": 9.0, "council.relationship_initial": 0.2})
    b = burn_in_params(p)
    assert b.council.budget_per_resident_per_year == 6.0
    assert b.council.relationship_initial == 0.2  # shapes the sector, not only spending
    assert b.regime.name == "status_quo"
    with pytest.raises(ValueError, match="council"):
        m = CommunityModel(p, seed=1)
        m.burn_in()
        m.start_study(small_params("grants", **{"council.relationship_initial": 0.3}))


# ---------------------------------------------------------------------------------------------
# Money is conserved: every instrument's yearly share is spent or recorded as unspent
# ---------------------------------------------------------------------------------------------
from model.params import REGIME_NAMES, WEEKS_PER_YEAR  # noqa: E402
from model.phases.council import LEDGER_COLUMNS, SPEND_CATEGORIES, UNSPENT  # noqa: E402
from model.regimes import all_regimes  # noqa: E402

YEARS = 3


LOTS = {"council.budget_per_resident_per_year": 30.0}  # GBP 60k: a tendered share let in lots


def _regime_params(name: str):
    if name.endswith("@lots"):  # the tendered share split into lots (regime.tender.lot_value)
        p = small_params(name.removesuffix("@lots"), horizon_years=YEARS, **LOTS)
        assert p.regime.tender.lot_value > 0
        return p
    if name == "mixture":
        weights = {n: 1.0 / len(REGIME_NAMES) for n in REGIME_NAMES}
        return small_params("mixture", horizon_years=YEARS, **{"regime.weights": weights})
    if name == "investor_outcomes":  # configs/regime/investor_outcomes.yaml
        return small_params("outcomes_based", horizon_years=YEARS, **{"regime.outcomes.investor": True})
    return small_params(name, horizon_years=YEARS)


def ledger_check(m: CommunityModel) -> list[dict]:
    """Per budget year of the horizon: the budget, the ledger's spend and its recorded unspent."""
    rows = []
    spend_cols = [LEDGER_COLUMNS.index(c) for c in SPEND_CATEGORIES]
    for y in range(YEARS):
        w0 = y * WEEKS_PER_YEAR + m.burn_in_weeks
        block = m._ledger[w0:w0 + WEEKS_PER_YEAR]
        budget = sum(v for (yy, _), v in m.instrument_budget.items() if yy == y)
        rows.append({"year": y, "budget": budget, "spend": block[:, spend_cols].sum(),
                     "unspent": block[:, LEDGER_COLUMNS.index(UNSPENT)].sum()})
    return rows


@pytest.mark.parametrize("name", [r for r in all_regimes() if r != "none"] + ["mixture", "competitive_tender@lots",
                                                                              "status_quo@lots", "outcomes_based@lots"])
def test_every_regime_spends_or_records_its_budget(name):
    p = _regime_params(name)
    m = CommunityModel(p, seed=5)
    m.run()
    budget = p.council.budget_per_resident_per_year * p.place.n_residents
    for row in ledger_check(m):
        assert row["budget"] == pytest.approx(budget, rel=1e-9)
        assert row["spend"] + row["unspent"] == pytest.approx(budget, rel=0.01), row
        assert row["unspent"] >= 0
    # each instrument spends its own share (mixture isolation), never another's
    for (y, ins), share in m.instrument_budget.items():
        if 0 <= y < YEARS:
            spent = m.instrument_spend.get((y, ins), 0.0)
            assert spent <= share * 1.01, (y, ins, spent, share)
            assert spent + m.instrument_unspent[(y, ins)] == pytest.approx(share, rel=0.01)
    # spend_total is the ledger's spend over the horizon
    res_total = m.horizon_spend()
    assert res_total == pytest.approx(sum(r["spend"] for r in ledger_check(m)), rel=1e-12)


def test_no_regime_spends_nothing():
    m = CommunityModel(small_params("none", horizon_years=1), seed=5)
    m.run()
    assert m.horizon_spend() == 0.0


def test_spend_total_comes_from_the_ledger():
    from experiments.runner import run_totals  # the runner's import (model/outcomes.py)

    p = small_params("competitive_tender", horizon_years=2)
    res = api.simulate(p, seed=2)
    m = CommunityModel(p, seed=2)
    m.run()
    ledger = float(m._ledger[m.burn_in_weeks:m.burn_in_weeks + m.horizon_weeks, :len(SPEND_CATEGORIES)].sum())
    assert ledger > 0
    totals = run_totals(res.timeseries, 2000, 2.0, {"spend_total": res.spend_total})
    assert totals["spend_total"] == pytest.approx(ledger, rel=1e-12)
    # a weekly payer: the rolling 52-week council_spend times the years under-counts the first year
    assert res.timeseries["council_spend"].mean() * 2 < 0.9 * ledger


# ---------------------------------------------------------------------------------------------
# Payment by results needs working capital
# ---------------------------------------------------------------------------------------------
def _first_contract(regime: str, seed: int, wc_weeks: float):
    p = small_params(regime, horizon_years=1, **{"regime.outcomes.working_capital_weeks": wc_weeks})
    m = CommunityModel(p, seed=seed)
    m.burn_in()
    m.step()  # week 0: the award
    c = m.regime.contracts()
    return m, (c[0] if c else None)


def test_working_capital_limits_a_provider_paid_by_outcomes():
    """On paired seeds, the same award: a fee-paid tender takes value/price places; paid by
    outcomes with 13 weeks of working capital, the provider takes only what it can fund for the 26
    weeks before payment (~57% of them); with unlimited capital the two take the same caseload."""
    for seed in (1, 2, 3):
        _, tender = _first_contract("competitive_tender", seed, 13.0)
        m, pbr = _first_contract("outcomes_based", seed, 13.0)
        _, rich = _first_contract("outcomes_based", seed, 52_000.0)
        assert tender is not None and tender.provider is not None
        assert rich.places == tender.places  # unlimited capital: no difference
        assert pbr.places < 0.75 * tender.places  # finite capital binds
        place_cost = 300.0 * 26 / 52
        assert pbr.places * place_cost <= 13.0 / 52 * m.council.budget + 1e-9


def test_a_provider_out_of_working_capital_hands_the_contract_back():
    p = small_params("outcomes_based", horizon_years=2, **{"regime.outcomes.working_capital_weeks": 13.0,
                                                           "regime.outcomes.payment_per_outcome": 1.0})
    m = CommunityModel(p, seed=2)
    m.run()  # paid almost nothing per outcome, it spends its capital and hands the contract back
    back = [e for _, e in m.events if e.kind == "contract_ended" and e.cause == "working_capital"]
    assert back
    m2 = CommunityModel(small_params("outcomes_based", horizon_years=2, **{
        "regime.outcomes.working_capital_weeks": 52_000.0, "regime.outcomes.payment_per_outcome": 1.0}), seed=2)
    m2.run()
    assert not [e for _, e in m2.events if e.kind == "contract_ended" and e.cause == "working_capital"]


LOCAL_ONLY = {"regime.tender.min_turnover_ratio": 0.0, "regime.tender.min_reserves_weeks": 0.0,
              "providers.n_bidders": 0}


def test_working_capital_limits_a_local_holder_paid_by_outcomes():
    """A local group that wins an outcome contract funds delivery from its own reserves, as a
    provider does from its capital: it takes on no more places than the lesser of its reserves and
    13 weeks of its share of the contract can carry at the local cost for the 26 weeks before
    payment; a fee-paid tender's holder, paid weekly, takes value/price places."""
    for seed in (1, 2, 3):
        p = small_params("competitive_tender", horizon_years=1, **LOCAL_ONLY)
        t = CommunityModel(p, seed=seed)
        t.burn_in()
        t.step()
        m = CommunityModel(small_params("outcomes_based", horizon_years=1, **LOCAL_ONLY), seed=seed)
        m.burn_in()
        reserves = {g.gid: g.reserves for g in m.active_groups()}
        m.step()
        (fee,), (pbr,) = t.regime.contracts(), m.regime.contracts()
        assert fee.provider is None and pbr.provider is None
        place_cost = m.params.providers.local_unit_cost_per_client_per_year * 26 / 52
        for g, k in zip(pbr.holders, pbr.holder_places, strict=True):
            assert k * place_cost <= min(reserves[g.gid], 13.0 / 52 * pbr.value) + place_cost  # reserves move in week 0
        assert pbr.places < 0.5 * fee.places


def test_a_local_holder_out_of_working_capital_hands_its_places_back():
    """Paid almost nothing per outcome, a local holder spends what it committed and hands its
    places back (it does not run its reserves down to closure); the clients it cannot carry on its
    own visiting places are discharged; the contract ends when no holder is left."""
    p = small_params("outcomes_based", horizon_years=1, **LOCAL_ONLY, **{"regime.outcomes.payment_per_outcome": 1.0})
    m = CommunityModel(p, seed=2)
    m.burn_in()
    m.step()
    (c,) = m.regime.contracts()
    holders = list(c.holders)
    while not [e for _, e in m.events if e.kind == "contract_ended"] and m.week < 51:
        m.step()
    back = [e for _, e in m.events if e.kind == "contract_ended"]
    assert back and back[0].cause == "working_capital" and back[0].actor != "outside_provider"
    g = next(h for h in holders if h.gid == back[0].fields["gid"])
    assert g.active and g.contract_places == 0
    assert int(np.sum(m.res.client_of == g.gid)) <= m.visit_places_of(g)
    if len(holders) == 1:
        assert m.regime.contracts() == []  # its only holder gone, the rest of the pot goes unspent


def test_a_holder_that_hands_back_discharges_the_clients_it_cannot_carry():
    """Handing its places back, a local holder keeps only the clients its own visiting places
    carry, the longest-served; the newest are discharged early."""
    m = CommunityModel(small_params("outcomes_based", horizon_years=1, **LOCAL_ONLY), seed=2)
    m.burn_in()
    m.step()
    ins = m.regime.instruments[0]
    g = ins.contract.holders[0]
    own = int(np.floor(m.visit_places_of(g) - g.contract_places))
    free = np.flatnonzero(m.res.client_of == NO_GROUP)[: own + 8 - int(np.sum(m.res.client_of == g.gid))]
    m.res.client_of[free] = g.gid
    m.res.client_since[free] = m.week  # the newest clients
    ins._hand_back(m, 0)
    kept = np.flatnonzero(m.res.client_of == g.gid)
    assert kept.size == own
    assert np.sum(np.isin(free, kept)) == free.size - 8  # the 8 dropped were among the newest


def test_a_local_holder_is_charged_for_the_clients_whose_outcomes_the_contract_pays():
    """Each week a local holder of an outcome contract spends working capital on the contract's
    share of its clients, the same share in which a discharge is the contract's outcome
    (``_slice``). Up to model version 13 it was charged for clients up to all its contract places
    while its outcomes came from the contract's share of all its visiting places, so about 40% of
    the client-weeks charged could never earn an outcome."""
    m = CommunityModel(small_params("outcomes_based", horizon_years=1, **LOCAL_ONLY), seed=2)
    m.burn_in()
    for _ in range(4):
        m.step()
    (ins,) = [i for i in m.regime.instruments if i.contract is not None]
    c = ins.contract
    cost = m.params.providers.local_unit_cost_per_client_per_year / WEEKS_PER_YEAR
    before = list(ins.holder_capital)
    ins.weekly(m)
    checked = 0
    for k, g in enumerate(c.holders):
        clients = int(m.gt.clients[g.gid])
        if not g.active or c.holder_places[k] == 0 or clients == 0:
            continue
        lo, hi = ins._slice(m, g.gid, None)
        charged = before[k] - ins.holder_capital[k]
        assert abs(charged - clients * cost * (hi - lo)) < 1e-9, (charged, clients, hi - lo)
        if clients > m.gt.contract_places[g.gid]:
            assert hi - lo < 1.0  # the holder's clients beyond its contract places are its own
        checked += 1
    assert checked > 0


def test_a_local_holders_reserves_pay_for_the_client_weeks_its_working_capital_is_charged():
    """The working capital of a local outcome-contract holder stands for its reserves: in a week,
    the delivery cost its reserves pay (its finances with the contract, against without) equals
    what its working capital is charged. In model version 14 the reserves paid for clients up to
    all its contract places while the capital was charged for the contract's slice of its clients
    (in one run 10 client-weeks against 6.15)."""
    m = CommunityModel(small_params("outcomes_based", horizon_years=1, **LOCAL_ONLY), seed=2)
    m.burn_in()
    for _ in range(4):
        m.step()
    (ins,) = [i for i in m.regime.instruments if i.contract is not None]
    c, gt = ins.contract, m.gt
    before = list(ins.holder_capital)
    ins.weekly(m)
    checked = 0
    for k, g in enumerate(c.holders):
        places = int(gt.contract_places[g.gid])
        if not g.active or c.holder_places[k] != places or g.clients == 0:
            continue  # (a holder of this contract only, with clients)
        own = m.visit_places_of(g) - places
        if own <= 0:
            continue  # (where the two definitions can differ: a holder with visiting places of its own)
        gids, start = np.array([g.gid]), g.reserves
        m.group_finances(gids)
        with_contract = g.reserves - start
        g.reserves, g.contract_places = start, 0
        m.group_finances(gids)
        without = g.reserves - start
        g.reserves, g.contract_places = start, places
        charged = before[k] - ins.holder_capital[k]
        assert charged > 0
        assert without - with_contract == pytest.approx(charged, rel=1e-9)
        checked += 1
    assert checked > 0


def test_a_deep_cut_to_a_running_contract_leaves_every_paid_holder_a_place():
    """A running contract varied to a cut budget scales places and payments together; a holder
    still paid keeps at least one place, since a group with no contract places receives no contract
    payment (up to model version 13 a deep cut could round its places to none while the ledger
    still recorded its payment)."""
    m = CommunityModel(small_params("competitive_tender", horizon_years=1, **LOCAL_ONLY), seed=2)
    m.burn_in()
    m.step()
    (ins,) = [i for i in m.regime.instruments if i.contract is not None]
    c = ins.contract
    assert c.provider is None and sum(c.holder_places) > 0
    ins._rescale(m, c.value * 0.02)
    paid = [k for k, pay in enumerate(c.holder_payments) if pay > 0]
    assert paid and all(c.holder_places[k] >= 1 for k in paid)
    assert c.places == sum(c.holder_places)


def _local_holder_with_clients(seed: int = 2):
    """A small place whose tendered lot a local group holds, after its contract clients have come."""
    m = CommunityModel(small_params("competitive_tender", horizon_years=1, **LOCAL_ONLY), seed=seed)
    m.burn_in()
    for _ in range(8):
        m.step()
    (ins,) = [i for i in m.regime.instruments if i.contract is not None]
    assert ins.contract.provider is None
    return m, ins


def _over(m, groups) -> int:
    """Clients the groups have beyond their whole visiting places."""
    counts = np.bincount(m.res.client_of[(m.res.client_of >= 0) & (m.res.client_of < PROVIDER_BASE)],
                         minlength=len(m.all_groups))
    return sum(max(0, int(counts[g.gid]) - int(np.floor(m.visit_places_of(g)))) for g in groups)


def test_a_local_group_that_loses_its_lot_keeps_only_the_clients_its_own_places_carry():
    """When a local holder's contract ends and it does not win the lot again, the clients its own
    visiting places cannot carry are discharged early, the newest first, as an outside provider's
    leave with it (up to model version 14 it kept them all, over its places, unpaid for)."""
    m, ins = _local_holder_with_clients()
    holders = [g for g in ins.contract.holders if g.active]
    for g in holders:  # few visiting places of its own: two
        g.capacity = 2.0 / m.g_visit_share[g.gid]
    before = {g.gid: int(np.sum(m.res.client_of == g.gid)) for g in holders}
    assert all(n > 2 for n in before.values())
    second = {g.gid: np.sort(m.res.client_since[m.res.client_of == g.gid])[1] for g in holders}
    ins.end_contract(m)
    assert _over(m, holders) == 0
    for g in holders:
        kept = m.res.client_since[m.res.client_of == g.gid]
        assert kept.size == 2 and kept.max() <= second[g.gid]  # the two longest served stay


def test_a_cut_to_a_running_contract_leaves_each_holder_the_clients_its_places_carry():
    """A running contract varied to a cut budget leaves each holder the clients its cut places
    (and its own) carry (up to model version 14 it kept them all until their service ended)."""
    m, ins = _local_holder_with_clients()
    holders = [g for g in ins.contract.holders if g.active]
    for g in holders:  # few visiting places of its own: two
        g.capacity = 2.0 / m.g_visit_share[g.gid]
    assert _over(m, holders) == 0
    ins._rescale(m, ins.contract.value * 0.3)
    assert _over(m, holders) == 0
    assert all(int(np.sum(m.res.client_of == g.gid)) <= 2 + g.contract_places for g in holders)


def test_one_call_of_referrals_fills_no_group_beyond_its_free_places():
    """Referrals pick visiting groups with whole free places, and one call takes at most a group's
    free places (up to model version 14 every pick of a call saw the room as before the call, and a
    fraction of a place counted as room)."""
    m = CommunityModel(small_params("partnership", horizon_years=1), seed=1)
    m.burn_in()
    m.step()
    visiting = [g for g in m.all_groups if g.active and g.kp.visits]
    # leave each visiting group exactly one whole free place
    counts = np.bincount(m.res.client_of[(m.res.client_of >= 0) & (m.res.client_of < PROVIDER_BASE)],
                         minlength=len(m.all_groups))
    for g in visiting:
        g.capacity = (counts[g.gid] + 1 - g.contract_places) / max(1e-9, m.g_visit_share[g.gid])
    m.refer(1.0, m.streams["services"], k=200)
    assert _over(m, visiting) == 0
    counts_after = np.bincount(m.res.client_of[(m.res.client_of >= 0) & (m.res.client_of < PROVIDER_BASE)],
                               minlength=len(m.all_groups))
    assert sum(int(counts_after[g.gid] - counts[g.gid]) for g in visiting) > 0  # (referrals did fill places)


def _three_year_outcome_contract() -> tuple[CommunityModel, object]:
    """The small place at week 1, seed 1, with an outcome contract let for three years at week 0:
    the model and the instrument holding it."""
    m = CommunityModel(small_params("outcomes_based", horizon_years=2, **{"regime.tender.contract_years": 3}),
                       seed=1)
    m.burn_in()
    m.step()
    (ins,) = [i for i in m.regime.instruments if i.contract is not None]
    return m, ins


def test_a_running_outcome_contract_is_varied_to_a_cut_budget():
    """An outcome contract running for several years is varied to the budget each year as a
    tender's is (up to model version 14 only its pot followed a cut; its places stayed)."""
    m, ins = _three_year_outcome_contract()
    c = ins.contract
    value, places = c.terms[:2]  # (as awarded: its working capital may carry fewer, c.places)
    assert places >= 4
    ins.yearly(m, value * 0.5)
    assert ins.contract is c and c.places <= places * 0.5 + 1


def test_an_outcome_contracts_capped_places_follow_its_capital_whether_or_not_the_budget_moves():
    """Each year a running outcome contract's places are the award's scaled to the budget, then
    capped by the working capital it has then: an unchanged budget and a budget a pound lower give
    the same places (a first build of version 16 left a stable budget's contract at its first cap
    for ever, and let a moved budget's recover)."""
    places = []
    for f in (1.0, 0.999999):
        m, ins = _three_year_outcome_contract()
        c = ins.contract
        ins.capital = 3 * ins._place_cost(m)
        ins._limit_caseload(m)
        assert c.places == 3
        ins.capital = 1000 * ins._place_cost(m)  # (refilled)
        ins.yearly(m, c.value * f)
        places.append(c.places)
    assert places[0] > 3
    assert abs(places[0] - places[1]) <= 1


def _provider_clients(m, pv) -> int:
    return int(np.sum(m.res.client_of == PROVIDER_BASE + pv.pid))


def test_an_outside_provider_that_wins_a_smaller_lot_again_keeps_the_clients_its_places_carry():
    """A provider that wins its lot again, let at 30% of its value, keeps the clients its new places
    carry; the newest beyond them are discharged early (up to model version 14 it kept them all)."""
    won_again = 0
    for seed in range(1, 11):  # (the seeds on which the provider wins the smaller lot again)
        m = CommunityModel(small_params("competitive_tender", horizon_years=1), seed=seed)
        m.burn_in()
        for _ in range(8):
            m.step()
        (ins,) = [i for i in m.regime.instruments if i.contract is not None]
        c = ins.contract
        pv = c.provider
        assert pv is not None
        before = _provider_clients(m, pv)
        c.end_year = m.year - 1  # (its term is over: the lot is let again this year)
        ins.yearly(m, c.value * 0.3)
        if ins.contract is None or ins.contract.provider is not pv:
            continue
        won_again += 1
        assert before > pv.contract_places
        assert _provider_clients(m, pv) == pv.contract_places
    assert won_again >= 2


def test_an_outcome_holder_whose_places_its_capital_caps_keeps_the_clients_they_carry():
    """Places capped by a provider's working capital (``_limit_caseload``) leave it the clients they
    carry (up to model version 14 it kept them all)."""
    m = CommunityModel(small_params("outcomes_based", horizon_years=1), seed=1)
    m.burn_in()
    for _ in range(8):
        m.step()
    (ins,) = [i for i in m.regime.instruments if i.contract is not None]
    pv = ins.contract.provider
    assert pv is not None and _provider_clients(m, pv) > 5
    ins.capital = 5 * ins._place_cost(m)
    ins._limit_caseload(m)
    assert pv.contract_places == 5
    assert _provider_clients(m, pv) == 5



@pytest.mark.parametrize("over", [{}, LOCAL_ONLY], ids=["provider", "local"])
def test_a_running_contract_is_varied_from_its_award(over):
    """A contract let for three years follows the budget from the terms it was awarded on: after a
    deep cut (or a cut to nothing) and a recovery it has the award's places and payments again, and
    each year its price per place stays the award's, within a place (up to model version 15 it was
    scaled from last year's rounded places: a cut to 1% and back multiplied a provider's places by
    the one-place floor, and a contract cut to nothing stayed at nothing)."""
    m = CommunityModel(small_params("competitive_tender", **{"regime.tender.contract_years": 3, **over}), seed=1)
    m.burn_in()
    m.step()  # (the award, at week 0)
    ins = m.active_regime.instruments[0]
    c = ins.contract
    assert (c.provider is None) == bool(over)
    value, places, holder_places, _, payment = c.terms
    assert places >= 5
    for f in (0.8, 0.5, 0.3):
        ins._rescale(m, value * f)
        assert c.places >= 1
        assert abs(c.value / c.places - value / places) * c.places <= value / places + 1e-6  # within a place
    for cut in (0.01, 0.0):
        ins._rescale(m, value * cut)
        ins._rescale(m, value)
        assert c.places == places and tuple(c.holder_places) == holder_places
        assert c.payment_per_week == pytest.approx(payment)


def test_a_cached_burn_in_keeps_the_whole_ledger_of_a_longer_study(tmp_path):
    """A burn-in cached by a one-year study serves a three-year one with the same ledger as without
    the cache, unspent money included (up to model version 15 the ledger kept the first study's
    length, and the later years' unspent money was dropped)."""
    long = small_params("none", horizon_years=3)
    api._model_after_burn_in(small_params("none", horizon_years=1), 5, tmp_path)  # (the cache)
    cached = api._model_after_burn_in(long, 5, tmp_path)
    cached.run()
    direct = CommunityModel(long, seed=5)
    direct.burn_in()
    direct.run()
    rows = direct._ledger.shape[0]
    assert np.array_equal(cached._ledger[:rows], direct._ledger)
    assert not cached._ledger[rows:].any()
    unspent = direct._ledger[direct.burn_in_weeks:, LEDGER_COLUMNS.index(UNSPENT)]
    assert np.count_nonzero(unspent) == 3  # the whole budget of each of the three years, unspent


def test_a_social_value_subcontract_with_nobody_to_take_it_stays_with_the_provider(monkeypatch):
    """With no visiting group open, the share of a social-value contract meant for subcontracts is
    the provider's: what the ledger records as paid to outside providers, the provider receives (up
    to model version 15 the ledger recorded it and nobody received it)."""
    m = CommunityModel(small_params("social_value"), seed=1)
    m.burn_in()
    m.step()
    ins = m.active_regime.instruments[0]
    provider = ins.contract.provider
    assert provider is not None
    monkeypatch.setattr(m, "active_groups", lambda: [g for g in type(m).active_groups(m) if not g.kp.visits])
    k = m.week + m.burn_in_weeks
    before, paid = provider.reserves, m._ledger[k, LEDGER_COLUMNS.index("outside_providers")]
    ins._pay_subcontractors(m, 100.0)
    assert m._ledger[k, LEDGER_COLUMNS.index("outside_providers")] - paid == pytest.approx(100.0)
    assert provider.reserves - before == pytest.approx(100.0)
