"""Mutation check: each regime's main mechanism has a measurable effect, and the effect vanishes
when the mechanism is switched off (its hook patched out). A test of a regime that still passed
with its mechanism gone would guard nothing; these show, for each, what a broken mechanism breaks.

Each case: the regime, the mechanism's hook, what switching it off means, and the measured effect
(a number from the run that the mechanism moves). Runs are small and short: the small place, a
one-year burn-in, two years under the regime, paired seeds (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from model import simulate
from model.regimes.community_development import CommunityDevelopment
from model.regimes.grants import Grants
from model.regimes.outcomes_based import OutcomesBased
from model.regimes.partnership import Partnership
from model.regimes.social_value import SocialValueTender
from model.regimes.tender import _TenderBase

from .conftest import small_params

SEEDS = (1, 2)


def _income(source: str) -> Callable:
    return lambda res: float(res.groups[f"income_{source}"].sum())


def _final(name: str) -> Callable:
    return lambda res: float(res.summary[name])


def _horizon_mean(name: str) -> Callable:
    return lambda res: float(res.timeseries[name].mean())


def _no_op(*args, **kwargs):
    return None


@dataclass(frozen=True)
class Mechanism:
    regime: str
    target: type  # the class whose hook is patched out
    hook: str
    replacement: Callable
    effect: Callable  # a number the mechanism raises
    overrides: tuple = ()
    vanishes: bool = True  # True: the effect falls to zero without it; False: it only falls
    seeds: tuple = SEEDS  # paired seeds: with vanishes=False the effect is higher in every one,
    on_average: bool = False  # or, for a small effect among much noise, higher on average over them

    def run(self, seed: int, mutate: bool, monkeypatch=None):
        if mutate:
            monkeypatch.setattr(self.target, self.hook, self.replacement)
        res = simulate(small_params(self.regime, horizon_years=2, **dict(self.overrides)), seed=seed)
        if mutate:
            monkeypatch.undo()
        return self.effect(res)


PROVIDER_WINS = (("regime.tender.min_turnover_ratio", 1e6),)  # no local group is eligible
# connectors whose introductions show within two years in the small place: a budget for two posts,
# full skill after a year in post
CONNECTORS_AT_WORK = (("council.budget_per_resident_per_year", 40.0),
                      ("regime.community_development.skill_years", 1.0))

MECHANISMS = {
    "grants: payments": Mechanism("grants", Grants, "yearly", _no_op, _income("grants")),
    "tender: award": Mechanism("competitive_tender", _TenderBase, "award", _no_op, _horizon_mean("clients"),
                               vanishes=False),
    "outcomes: payments": Mechanism("outcomes_based", OutcomesBased, "verify", _no_op,
                                    _horizon_mean("council_spend")),
    "community development: connectors": Mechanism(
        "community_development", CommunityDevelopment, "connector_skill",
        lambda self, model: np.zeros(model.params.place.n_neighbourhoods),
        _horizon_mean("membership_share"), vanishes=False, overrides=CONNECTORS_AT_WORK),
    "community development: in kind": Mechanism("community_development", CommunityDevelopment, "_give_in_kind",
                                                 _no_op, _income("in_kind")),
    "social value: subcontracting": Mechanism(
        "social_value", SocialValueTender, "_pay_subcontractors",
        lambda self, model, amount: model.ledger("outside_providers", amount), _income("contracts"),
        overrides=PROVIDER_WINS),
    # at the default budget the small place's link workers refer few residents, and since model
    # version 11 four in ten of those who go give the group up within six months, so the rise in
    # membership is smaller than its noise over two years (seed 1: -0.6 points); at GBP 40 a resident
    # (as for brokerage below) it is +2.7 to +4.7 points on each of seeds 1-6
    "partnership: referrals": Mechanism("partnership", Partnership, "weekly", _no_op,
                                        _horizon_mean("membership_share"), vanishes=False,
                                        overrides=(("council.budget_per_resident_per_year", 40.0),)),
    # a fully funded volunteer centre (0.3 x GBP 40 x 2,000 = GBP 24k): at the default budget the small
    # place's centre places about ten volunteers a year, mostly into roles members would have taken,
    # so the effect is small beside the noise: +0.52 points on average over seeds 1-6 (model version
    # 7: -0.37, +1.04, +1.07, +0.34, +0.44, +0.61), tested on average
    "partnership: brokerage": Mechanism("partnership", Partnership, "volunteer_brokerage",
                                        lambda self, model: 0.0, _horizon_mean("volunteer_share"), vanishes=False,
                                        overrides=(("council.budget_per_resident_per_year", 40.0),),
                                        seeds=(1, 2, 3, 4, 5, 6), on_average=True),
}


@pytest.mark.parametrize("name", list(MECHANISMS))
def test_the_mechanism_has_its_effect_and_loses_it_when_switched_off(name, monkeypatch):
    mech = MECHANISMS[name]
    on = np.array([mech.run(s, mutate=False) for s in mech.seeds])
    off = np.array([mech.run(s, mutate=True, monkeypatch=monkeypatch) for s in mech.seeds])
    if mech.vanishes:
        assert np.all(on > 0), f"{name}: no effect with the mechanism on ({on})"
        assert np.all(off == 0), f"{name}: the effect remains with the mechanism off ({off})"
    elif mech.on_average:  # paired seeds: the mechanism raises the effect on average
        assert (on - off).mean() > 0, f"{name}: on {on} not above off {off} on average"
    else:  # paired seeds: the mechanism raises the effect in every replicate
        assert np.all(on > off), f"{name}: on {on} not above off {off}"
