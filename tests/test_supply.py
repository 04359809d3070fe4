"""Joining depends on the local supply of places to go (issue 15, item 1): residents of a
neighbourhood with more activity-running groups open join more readily, so the number of groups a
regime keeps open reaches residents."""

from __future__ import annotations

import numpy as np

from model.model import CommunityModel

from .conftest import small_params

SEEDS = (1, 2, 3)
OFF = {"groups.supply_elasticity": 0.0}


def test_the_supply_factor_follows_the_groups_open_nearby():
    m = CommunityModel(small_params("grants"), seed=3)
    m.burn_in()
    before = m.supply_factor()
    assert np.all(before > 0)
    here = [g for g in m.active_groups() if g.nbhd == 0 and g.kp.activities]
    assert here
    m.close_groups([(g, "test") for g in here])
    m.recount_groups()
    after = m.supply_factor()
    assert after[0] < before[0]  # the neighbourhood that lost its groups
    assert np.all(after[1:] <= before[1:])  # others lose only their share of the place's groups
    assert after[0] < after[1:].min()
    off = CommunityModel(small_params("grants", **OFF), seed=3)
    assert np.all(off.supply_factor() == 1.0)


def _joining_weights(monkeypatch, **over) -> tuple[np.ndarray, np.ndarray]:
    """The neighbourhood weights the membership phase passes to the joining rule (sector trust x
    supply), before and after every activity group of neighbourhood 0 closes."""
    from model import kernels

    seen = []
    original = kernels.joiners

    def spy(*args):
        seen.append(np.array(args[7], dtype=float))  # the by-neighbourhood factor on joining
        return original(*args)

    m = CommunityModel(small_params("grants", **over), seed=3)
    m.burn_in()
    monkeypatch.setattr(kernels, "joiners", spy)
    m._phase_membership()
    m.close_groups([(g, "test") for g in m.active_groups() if g.nbhd == 0 and g.kp.activities])
    m.recount_groups()
    m._phase_membership()
    monkeypatch.undo()
    return seen[0], seen[1]


def test_residents_join_less_readily_where_groups_have_closed(monkeypatch):
    before, after = _joining_weights(monkeypatch)
    # switched off, the weight is the neighbourhood's trust in local groups alone, which each
    # closure lowers (groups.trust_loss_on_closure); the supply of places lowers it further
    before_off, after_off = _joining_weights(monkeypatch, **OFF)
    assert after[0] / before[0] < 0.8 * after_off[0] / before_off[0]
