"""Community hubs (issue 15, item 4; model version 12): medium-sized local charities in their own
building, placed at the start (``groups.hubs_per_10k_adults``), living on trading income, and
setting their posts each year by what their building leaves and their reserves policy
(``groups.reserves_policy_weeks``; model/agents.py ``new_budget_year``)."""

from __future__ import annotations

import numpy as np
import pytest

from model.agents import _SOURCE
from model.model import CommunityModel
from model.params import WEEKS_PER_YEAR, ConfigError, make_params
from model.residents import NO_GROUP


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


@pytest.mark.parametrize(("overrides", "message"), [
    ({"groups.kinds.community_hub.share": 0.1}, "groups.kinds.community_hub.share must be 0"),
    ({"groups.kinds.befriending.trading_per_year": 5_000.0}, "groups.kinds.befriending.trading_per_year must be 0"),
    ({"place.n_residents": 2_000_000, "groups.hubs_per_10k_adults": 100.0},
     "place.n_groups plus the community hubs"),
    ({"groups.hubs_per_10k_adults": -1.0}, "groups.hubs_per_10k_adults"),
    ({"groups.reserves_policy_weeks": float("nan")}, "groups.reserves_policy_weeks"),
])
def test_bad_hub_settings_are_refused_in_one_line(overrides, message):
    with pytest.raises(ConfigError, match=message) as err:
        make_params("town", "status_quo", "stable", overrides)
    assert "\n" not in str(err.value)


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
    hubs_volunteers = vol >= n
    assert hubs_volunteers.any() and (without.res.vol_group[hubs_volunteers] == NO_GROUP).all()  # free before
    vol[hubs_volunteers] = NO_GROUP
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


def settled_hub(m: CommunityModel):
    """The town's first hub at full operation: 40 members, the volunteers it seeks, trust 0.5, no
    collaborations, no support in kind, no award."""
    g = hubs(m)[0]
    k, gt = g.gid, m.gt
    gt.n_members[k], gt.clients[k] = 40, 0
    gt.volunteers[k] = int(g.kp.volunteers_needed)
    gt.trust[k] = 0.5
    gt.in_kind_per_week[k] = 0.0
    m.collab[k] = set()
    return g


def posts_after(g, reserves: float, grants: float = 0.0, luck_z: float = 0.0) -> float:
    """A hub's core posts after a budget year's start, with last year's grants given."""
    gt, k = g.model.gt, g.gid
    gt.income_year[k] = 0.0
    gt.income_year[k, _SOURCE["grants"]] = grants
    g.reserves = reserves
    g.new_budget_year(luck_z)
    return g.staff


def test_posts_follow_what_the_building_leaves_and_the_reserves_policy():
    m = town()
    g = settled_hub(m)
    kp, gp, gt, k = g.kp, m.params.groups, m.gt, g.gid
    assert float(gt.running_costs(k, 1.0, 0)) * WEEKS_PER_YEAR == pytest.approx(kp.running_cost_per_year)
    policy = gp.reserves_policy_weeks / WEEKS_PER_YEAR * (kp.running_cost_per_year + kp.staff * kp.staff_cost_per_year)
    own = (kp.trading_per_year + gp.fundraising_cover * kp.running_cost_per_year
           + 40 * kp.donations_per_member_per_year - kp.running_cost_per_year)
    post = kp.staff_cost_per_year
    at_policy = posts_after(g, reserves=policy)
    assert at_policy == pytest.approx(own / post)
    assert 1.0 < at_policy < kp.staff
    # half the gap between reserves and the policy is spent (above it) or rebuilt (below it) a year
    assert posts_after(g, reserves=policy + post) == pytest.approx(at_policy + 0.5)
    assert posts_after(g, reserves=policy - post) == pytest.approx(at_policy - 0.5)
    assert posts_after(g, reserves=policy + 1e7) == kp.staff
    assert posts_after(g, reserves=-1e7) == 0.0
    # a grant pays posts too
    assert posts_after(g, reserves=policy, grants=0.2 * post) == pytest.approx(at_policy + 0.2)
    # the year's fundraising luck is not known when it budgets: good and bad years budget alike
    assert posts_after(g, reserves=policy, luck_z=2.0) == pytest.approx(at_policy)
    assert posts_after(g, reserves=policy, luck_z=-2.0) == pytest.approx(at_policy)
    # fewer volunteers raise less
    gt.volunteers[k] = int(kp.volunteers_needed) // 2
    half = gt.volunteers[k] / kp.volunteers_needed
    assert posts_after(g, reserves=policy) == pytest.approx(
        at_policy - (1 - half) * gp.fundraising_cover * kp.running_cost_per_year / post)


def test_a_smaller_busier_hub_budgets_on_its_present_size_trust_and_support():
    """Scale, trust, collaborations and support in kind each enter the budget as they enter the
    weekly finances (model/phases/finances.py)."""
    m = town()
    g = settled_hub(m)
    kp, gp, gt, k = g.kp, m.params.groups, m.gt, g.gid
    members, trust, in_kind = 15, 0.8, 100.0
    gt.n_members[k], gt.trust[k], gt.in_kind_per_week[k] = members, trust, in_kind
    partner = next(h.gid for h in m.all_groups if h.gid != k)
    m.collab[k] = {partner}
    scale = members / gp.full_size
    assert 0 < scale < 1
    vol_ratio = min(1.0, kp.volunteers_needed / max(3.0, kp.volunteers_needed * scale))
    premises = (kp.running_cost_per_year * scale * (1 - gp.collaboration_cost_saving) / WEEKS_PER_YEAR
                - in_kind) * WEEKS_PER_YEAR
    own = (kp.trading_per_year * scale + gp.fundraising_cover * kp.running_cost_per_year * scale * vol_ratio
           + members * kp.donations_per_member_per_year * (0.5 + trust) - premises)
    policy = gp.reserves_policy_weeks / WEEKS_PER_YEAR * (premises + kp.staff * kp.staff_cost_per_year)
    assert posts_after(g, reserves=policy) == pytest.approx(own / kp.staff_cost_per_year)
    assert posts_after(g, reserves=policy + 2_000.0) == pytest.approx((own + 1_000.0) / kp.staff_cost_per_year)


def test_what_an_awards_end_will_cost_is_not_spent_on_posts():
    """An award's committed costs run on for its notice after it ends unrenewed; a hub keeps that
    much back (what the award's reserve_share was for) instead of spending it on posts."""
    m = town()
    g = settled_hub(m)
    kp, gp, gt, k = g.kp, m.params.groups, m.gt, g.gid
    policy = gp.reserves_policy_weeks / WEEKS_PER_YEAR * (kp.running_cost_per_year + kp.staff * kp.staff_cost_per_year)
    at_policy = posts_after(g, reserves=policy)
    gt.award_per_week[k], gt.award_cost_per_week[k] = 1_050.0, 1_000.0  # an award running
    owed = 1_000.0 * gp.funders.notice_weeks
    assert posts_after(g, reserves=policy + owed) == pytest.approx(at_policy)
    assert posts_after(g, reserves=policy) == pytest.approx(at_policy - 0.5 * owed / kp.staff_cost_per_year)
    # an award that has ended: only the weeks of notice still to run are owed
    gt.award_per_week[k] = 0.0
    gt.notice_end_week[k] = m.week + 5
    assert posts_after(g, reserves=policy + 5 * 1_000.0) == pytest.approx(at_policy)
