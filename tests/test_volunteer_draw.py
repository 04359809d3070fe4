"""Groups compete for serving volunteers (issue 15, item 3; docs/ODD.md 7.3): a group short of
volunteers asks those of its neighbours, draws more of them from a less trusted group, none from a
collaborating one or from another neighbourhood, and a long-established group whose volunteers are
all drawn away closes."""

from __future__ import annotations

import numpy as np
import pytest

from model.model import CommunityModel
from model.params import weekly_prob

from .conftest import small_params

QUIET = {  # no volunteering flows but the draw: nobody quits, joins or is placed
    "residents.volunteer_quit_per_year": 0.0, "residents.volunteer_burnout_per_year": 0.0,
    "residents.volunteer_join_per_year": 0.0, "groups.community_recruit_pool": 0.0,
    "groups.client_volunteer_factor": 0.0, "groups.surplus_volunteering": 0.0, "burn_in_years": 0,
}
RATE = 0.9  # yearly chance a serving volunteer is asked


def two_rivals(rate: float = RATE, seed: int = 1, elsewhere: bool = False) -> tuple[CommunityModel, int, int]:
    """A small model where only one group (``h``) seeks volunteers; ``g`` is another open group of
    its neighbourhood with volunteers (``elsewhere``: of another neighbourhood). Every other group
    keeps none, so ``h`` can ask only ``g``'s."""
    m = CommunityModel(small_params("none", **QUIET, **{"groups.volunteer_approach_per_year": rate}), seed=seed)
    m.recount_groups()
    counts = m._volunteer_counts()
    nb = next(k for k in range(m.params.place.n_neighbourhoods)
              if np.sum((m.g_nbhd == k) & m.g_open & (counts > 0)) >= 2)
    g, h = np.flatnonzero((m.g_nbhd == nb) & m.g_open & (counts > 0))[:2]
    if elsewhere:
        h = np.flatnonzero((m.g_nbhd != nb) & m.g_open)[0]
    vol = m.res.vol_group
    vol[:] = -1
    vol[np.flatnonzero(m.res.nbhd == nb)[:300]] = g  # g's are the only serving volunteers
    seeks = np.zeros(len(m.all_groups))
    seeks[h] = 1000.0
    m.gt.volunteers_sought = lambda gids, scale: seeks[gids]
    m.collab = {k: set() for k in range(len(m.all_groups))}
    return m, int(g), int(h)


def share_drawn(trust_g: float, trust_h: float = 0.5, rate: float = RATE, weeks: int = 26,
                partners: bool = False, skill: float = 0.0, elsewhere: bool = False) -> float:
    m, g, h = two_rivals(rate, elsewhere=elsewhere)
    if skill:  # a connector of this skill in every neighbourhood (community development)
        m.connector_skill = lambda: np.full(m.params.place.n_neighbourhoods, skill)
    m.gt.trust[g], m.gt.trust[h] = trust_g, trust_h
    if partners:
        m.collab[g].add(h)
        m.collab[h].add(g)
    start = np.flatnonzero(m.res.vol_group == g)
    for _ in range(weeks):
        m._phase_volunteering()
    assert np.all(m.res.vol_group[start] >= 0)  # nobody stopped volunteering: they moved or stayed
    return float(np.mean(m.res.vol_group[start] == h))


@pytest.mark.parametrize("trust_g", [0.9, 0.1])
def test_a_group_short_of_volunteers_draws_them_from_a_neighbour_by_relative_trust(trust_g):
    """Over 26 weeks a volunteer is asked at the weekly chance of ``RATE`` a year and moves with
    (0.5 + trust_h) / ((0.5 + trust_h) + (0.5 + trust_g)) when asked."""
    move = 1.0 / (1.0 + 0.5 + trust_g)
    expected = 1.0 - (1.0 - weekly_prob(RATE) * move) ** 26
    m, g, _ = two_rivals()
    n = int(np.sum(m.res.vol_group == g))
    sd = np.sqrt(expected * (1 - expected) / n)
    assert n >= 100
    assert share_drawn(trust_g) == pytest.approx(expected, abs=4 * sd)


def test_the_less_trusted_group_loses_more_a_connector_fewer_none_when_off_partners_or_far():
    trusted, untrusted = share_drawn(0.9, weeks=52), share_drawn(0.1, weeks=52)
    assert untrusted > trusted > 0
    # a connector at full skill cuts the chance of being asked to 0.3 of it: fewer than half drawn
    assert 0 < share_drawn(0.1, weeks=52, skill=1.0) < 0.6 * untrusted
    assert share_drawn(0.1, rate=0.0, weeks=52) == 0.0
    assert share_drawn(0.1, weeks=52, partners=True) == 0.0
    assert share_drawn(0.1, weeks=52, elsewhere=True) == 0.0  # a group short in another neighbourhood


def test_an_established_trusted_group_whose_volunteers_are_drawn_away_closes():
    """A long-established, fully trusted group run by volunteers (no paid posts) loses them to a
    neighbour that asks; with none left for ``closure_weeks`` it closes, cause volunteers. With
    the draw off it stays open."""
    def closed_after(rate: float) -> str | None:
        m, g, h = two_rivals(rate)
        grp = m.all_groups[g]
        grp.founded_week, grp.staff, grp.award_staff = -20 * 52, 0.0, 0.0  # its age protects nothing
        m.gt.trust[g], m.gt.trust[h] = 1.0, 1.0
        for _ in range(4 * 52):
            m._phase_volunteering()
            m._phase_closures_and_foundings()
            if not grp.active:
                return grp.cause
        return None

    assert closed_after(0.99) == "volunteers"
    assert closed_after(0.0) is None
