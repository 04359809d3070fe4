"""Every group kind can persist (issue 15, item 2): groups that visit but run no activities recruit
volunteers from their neighbourhood and from the residents they visited, so each kind's count
stays within +-50% of its initial count over the burn-in (mean over seeds). Switched off
(``groups.community_recruit_pool`` and ``groups.client_volunteer_factor`` 0, model version <= 4,
and since version 10 ``groups.volunteer_approach_per_year`` 0, since a group short of volunteers
also draws serving ones from its neighbours), befriending groups never recruit and mostly close:
the test of the mechanism checks that too."""

from __future__ import annotations

import numpy as np
import pytest

from model.model import CommunityModel
from model.params import GROUP_KINDS, make_params

SEEDS = range(18)  # the small place: 14 groups, so kinds are counted over 18 seeds (about 30
# GoodGym-like groups at the start; over six seeds there were 7, and one group moved the ratio by 0.14)


def kind_counts(m: CommunityModel) -> np.ndarray:
    return np.bincount(np.asarray(m._kind_codes)[m.active_gids()], minlength=len(GROUP_KINDS)).astype(float)


def burn_in_counts(**ov) -> tuple[np.ndarray, np.ndarray]:
    """Each kind's active groups at the start and at the end of the default burn-in, summed over SEEDS."""
    start, end = np.zeros(len(GROUP_KINDS)), np.zeros(len(GROUP_KINDS))
    for s in SEEDS:
        m = CommunityModel(make_params("small", "status_quo", "stable", ov), seed=s)
        start += kind_counts(m)
        m.burn_in()
        end += kind_counts(m)
    return start, end


@pytest.fixture(scope="module")
def counts():
    return burn_in_counts()


def ratios(counts) -> dict[str, float]:
    start, end = counts
    return {k: end[i] / start[i] for i, k in enumerate(GROUP_KINDS) if start[i] >= 3}


@pytest.mark.parametrize("kind", ["club", "befriending", "faith"])
def test_kind_stays_within_half_of_its_initial_count(counts, kind):
    r = ratios(counts)
    assert kind in r and 0.5 <= r[kind] <= 1.5, r


def test_goodgym_stays_within_half_of_its_initial_count(counts):
    r = ratios(counts)
    assert 0.5 <= r["goodgym"] <= 1.5, r


def test_goodgym_folds_without_its_members_subscriptions():
    """GoodGym-like groups live on what their runners pay (a social enterprise): at a befriending
    scheme's donations per member (GBP 6 a year, model version 6) they fold for lack of money."""
    start, end = burn_in_counts(**{"groups.kinds.goodgym.donations_per_member_per_year": 6.0})
    k = GROUP_KINDS.index("goodgym")
    assert end[k] < 0.5 * start[k], (start[k], end[k])


def test_befriending_groups_fail_without_any_route_to_volunteers_beyond_members(counts):
    """Without recruitment from the neighbourhood and from former clients, befriending groups end
    the burn-in well below their number at the defaults (the draw of other groups' volunteers still
    keeps some); with the draw off as well they mostly close."""
    b = GROUP_KINDS.index("befriending")
    no_recruit = {"groups.community_recruit_pool": 0, "groups.client_volunteer_factor": 0}
    _, end_drawing = burn_in_counts(**no_recruit)
    start, end = burn_in_counts(**no_recruit, **{"groups.volunteer_approach_per_year": 0})
    assert end_drawing[b] < 0.75 * counts[1][b], (end_drawing[b], counts[1][b])
    assert end[b] < 0.5 * start[b], (start[b], end[b])


MORE_HUBS = {"groups.hubs_per_10k_adults": 10.0}  # two hubs in each small place (0.4 expected a seed at
# the default 2), so the count is over 36 hubs, not the default's handful


def test_community_hubs_stay_within_half_of_their_initial_count():
    start, end = burn_in_counts(**MORE_HUBS)
    k = GROUP_KINDS.index("community_hub")
    assert start[k] == 2 * len(SEEDS) and 0.5 <= end[k] / start[k] <= 1.5, (start[k], end[k])


def test_community_hubs_fold_without_their_trading():
    """A hub's building and posts are paid from its trading (room hire, a cafe): without it they
    fold in the burn-in."""
    start, end = burn_in_counts(**MORE_HUBS, **{"groups.kinds.community_hub.trading_per_year": 0.0})
    k = GROUP_KINDS.index("community_hub")
    assert start[k] == 2 * len(SEEDS) and end[k] < 0.5 * start[k], (start[k], end[k])
