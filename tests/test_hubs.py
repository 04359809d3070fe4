"""Community hubs (issue 15, item 4; model version 12): medium-sized local charities in their own
building, placed at the start (``groups.hubs_per_10k_adults``), living on trading income, and
setting their posts each year by what their building leaves and their reserves policy
(``groups.reserves_policy_weeks``; model/agents.py ``new_budget_year``)."""

from __future__ import annotations

import numpy as np
import pytest

from model.agents import _SOURCE
from model.model import CommunityModel
from model.params import WEEKS_PER_YEAR, make_params


def town(**ov) -> CommunityModel:
    return CommunityModel(make_params("town", "status_quo", "stable", ov), seed=4)


def hubs(m: CommunityModel) -> list:
    return [g for g in m.all_groups if g.kind == "community_hub"]


def test_hubs_stand_at_the_start_one_to_a_neighbourhood():
    m = town()
    h = hubs(m)
    assert len(h) == 2  # 2 per 10,000 adults in the town
    assert len({g.nbhd for g in h}) == 2
    assert all(g.n_members > 0 and g.volunteers > 0 and g.staff > 0 for g in h)
    # more hubs than neighbourhoods: every neighbourhood has one before any has two
    many = np.bincount([g.nbhd for g in hubs(town(**{"groups.hubs_per_10k_adults": 12.0}))], minlength=8)
    assert many.sum() == 12 and many.min() == 1 and many.max() == 2


def test_hubs_shift_no_other_draw_of_the_start():
    """Placing hubs shifts no other draw of the start (they come last, from their own stream): the
    other groups, their members and volunteers are those of the place without hubs."""
    with_hubs, without = town(), town(**{"groups.hubs_per_10k_adults": 0.0})
    assert not hubs(without)
    n = len(without.all_groups)
    assert [g.kind for g in with_hubs.all_groups[:n]] == [g.kind for g in without.all_groups]
    assert [g.nbhd for g in with_hubs.all_groups[:n]] == [g.nbhd for g in without.all_groups]
    keep = with_hubs.members.grp < n
    assert np.array_equal(with_hubs.members.res[keep], without.members.res)
    assert np.array_equal(with_hubs.members.grp[keep], without.members.grp)
    vol = with_hubs.res.vol_group.copy()
    vol[vol >= n] = without.res.vol_group[vol >= n]  # the hubs' volunteers were free before
    assert np.array_equal(vol, without.res.vol_group)


def test_a_week_of_trading_at_the_hubs_scale():
    m = town()
    k = hubs(m)[0].gid
    gt = m.gt
    scale = float(gt.scale(gt.n_members[k], gt.clients[k]))
    before = gt.income_year[k, _SOURCE["trading"]]
    m.group_finances(np.array([k]))
    got = gt.income_year[k, _SOURCE["trading"]] - before
    assert got == pytest.approx(62_000.0 * scale / WEEKS_PER_YEAR)
    others = [g.gid for g in m.all_groups if g.kind != "community_hub"]
    m.group_finances(np.array(others))
    assert not gt.income_year[others, _SOURCE["trading"]].any()


def posts_after(m: CommunityModel, k: int, reserves: float, trading: float = 62_000.0, grants: float = 0.0) -> float:
    """A hub's core posts after a budget year's start, with last year's income given."""
    g = m.all_groups[k]
    gt = m.gt
    gt.income_year[k] = 0.0
    gt.income_year[k, _SOURCE["trading"]] = trading
    gt.income_year[k, _SOURCE["fundraising"]] = 20_000.0
    gt.income_year[k, _SOURCE["grants"]] = grants
    g.reserves = reserves
    g.new_budget_year(0.0)
    return g.staff


def test_posts_follow_what_the_building_leaves_and_the_reserves_policy():
    m = town()
    k = hubs(m)[0].gid
    g, gt = m.all_groups[k], m.gt
    premises = float(gt.running_costs(k, gt.scale(gt.n_members[k], gt.clients[k]), m.collaboration_count(k))) * 52
    policy = 13 / 52 * (premises + 3 * 28_000.0)
    # at its policy, with no grant: the posts what trading and fundraising leave after the building pays
    at_policy = posts_after(m, k, reserves=policy)
    assert at_policy == pytest.approx((62_000.0 + 20_000.0 - premises) / 28_000.0)
    assert 1.0 < at_policy < 3.0
    # reserves above the policy are spent on posts (to the establishment), a shortfall is rebuilt
    assert posts_after(m, k, reserves=policy + 14_000.0) == pytest.approx(at_policy + 0.5)
    assert posts_after(m, k, reserves=policy + 1e6) == 3.0
    assert posts_after(m, k, reserves=policy - 14_000.0) == pytest.approx(at_policy - 0.5)
    assert posts_after(m, k, reserves=-1e6) == 0.0
    # a grant pays posts too; less trading, fewer posts
    assert posts_after(m, k, reserves=policy, grants=5_600.0) == pytest.approx(at_policy + 0.2)
    assert posts_after(m, k, reserves=policy, trading=34_000.0) == pytest.approx(at_policy - 1.0)
    # in its first budget year (no trading behind it) it keeps what it has
    g.staff = 1.234
    assert posts_after(m, k, reserves=0.0, trading=0.0) == 1.234
