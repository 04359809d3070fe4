"""The GoodGym channel (issue 15, item 6): its volunteers gain company for themselves, and its visits
turn into lasting ties at their own stated rate. Each test fails with its setting switched off."""

from __future__ import annotations

import numpy as np
import pytest

from model.model import CommunityModel

from .conftest import small_params


def _model(**over) -> CommunityModel:
    m = CommunityModel(small_params("status_quo", **over), seed=5)
    m.burn_in()
    return m


def _contact_of_goodgym_volunteers(**over) -> float:
    """Contact this week of residents volunteering for a GoodGym-like group, less what volunteering
    gives anyone (residents.volunteer_contact); the rest of the week's contact is the same stream."""
    m = _model(**over)
    gg = [g.gid for g in m.all_groups if g.kind == "goodgym"]
    if not gg:  # make one, so the test does not depend on GoodGym surviving the burn-in
        g = m.found_group("goodgym", nbhd=0, cause="test", rng=m.streams["foundings"])
        who = np.flatnonzero(m.res.vol_group < 0)[:10]
        m.res.vol_group[who] = g.gid
        gg = [g.gid]
    m._reset_week_scratch()
    m._phase_volunteering()
    vols = np.isin(m.res.vol_group, gg)
    return float(m._contact[vols].mean())


def test_goodgym_volunteers_gain_company_for_themselves():
    gain = small_params().groups.kinds["goodgym"].volunteer_gain
    assert gain > 0
    on = _contact_of_goodgym_volunteers()
    off = _contact_of_goodgym_volunteers(**{"groups.kinds.goodgym.volunteer_gain": 0.0})
    assert on - off == pytest.approx(gain)


def test_visit_tie_rate_is_the_kinds_own():
    kinds = small_params().groups.kinds
    assert kinds["goodgym"].visit_tie_per_week > kinds["befriending"].visit_tie_per_week
    m = _model()
    rates = {g.kind: m.gt.visit_tie_per_week[g.gid] for g in m.all_groups}  # the kind's rate, per group
    assert all(rates[k] == kinds[k].visit_tie_per_week for k in rates)
    # no visit ties at all when every kind's rate is 0: the tie queue gets no befriending pairs
    off = {f"groups.kinds.{k}.visit_tie_per_week": 0.0 for k in kinds if kinds[k].visits}
    queued = []
    for over in ({}, off):
        m = _model(**over)
        m._reset_week_scratch()  # (the week's queue of new ties starts empty)
        for _ in range(8):
            m._phase_services()
        queued.append(sum(len(x) for x in m._new_a))
    assert queued[0] > 0 and queued[1] == 0, queued
