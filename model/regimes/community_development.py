"""Community development: connectors, brokering, seeding, in-kind support."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.params import WEEKS_PER_YEAR, RegimeParams
from model.regimes import Instrument, instrument

if TYPE_CHECKING:
    from model.model import CommunityModel


@instrument("community_development", label="Community development", order=5,
            description="Connectors who broker collaboration, seed groups and give rooms and admin support.",
            streams=("community_development",))
class CommunityDevelopment(Instrument):
    """Long-haul asset-based support: connectors, brokering, seeding, in-kind support.

    Its state: connector time in each neighbourhood (``fte``, full-time = 1), the budget years in
    which a connector has worked there, this one included (``years``), the week this budget year
    began (``year_start``), and the groups it supports in kind (``in_kind``: gid -> GBP a week of
    running costs the council covers, written into the group table's ``in_kind_per_week``)."""

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.years = np.zeros(0)  # budget years a connector has worked each neighbourhood (this one too)
        self.year_start = 0  # the week this budget year began
        self.fte = np.zeros(0)  # connector time in each neighbourhood (full-time = 1)
        self.in_kind: dict[int, float] = {}

    def setup(self, model: CommunityModel) -> None:
        nb = model.params.place.n_neighbourhoods
        self.years, self.fte = np.zeros(nb), np.zeros(nb)

    def yearly(self, model: CommunityModel, budget: float) -> None:
        cd = self.params.community_development
        in_kind = budget * cd.in_kind_share
        nb = model.params.place.n_neighbourhoods
        # connector posts (full-time equivalents); when the money does not stretch to a whole post,
        # the last one is part-time, so every pound of the budget is used
        fte = min(float(cd.max_connectors), float(nb), (budget - in_kind) / cd.connector_cost_per_year)
        posts = int(np.ceil(fte - 1e-9))
        # connectors stay in the same neighbourhoods year after year (continuity builds skill)
        covered = [int(k * nb / posts) for k in range(posts)]
        new_fte = np.zeros(nb)
        for k, where in enumerate(covered):
            new_fte[where] = min(1.0, fte - k)
        self.years = np.where(new_fte > 0, self.years + 1.0, 0.0)
        self.year_start = model.week
        self.fte = new_fte
        # connectors are council staff (community builders), so not money reaching local groups
        model.ledger("in_house", fte * cd.connector_cost_per_year)
        # in-kind support: the council covers running costs (rooms, admin time) of groups in the
        # covered neighbourhoods (of all groups if no neighbourhood is covered)
        covered_set = set(covered)
        self._end_in_kind(model)
        targets = [g for g in model.active_groups() if g.nbhd in covered_set] or model.active_groups()
        if in_kind > 0:
            self._give_in_kind(model, targets, in_kind)

    def _give_in_kind(self, model: CommunityModel, targets: list, in_kind: float) -> None:
        """Rooms and admin time worth ``in_kind`` a year, shared by the ``targets``: the council
        covers that much of their running costs."""
        for g in targets:
            self.in_kind[g.gid] = g.in_kind_per_week = in_kind / len(targets) / WEEKS_PER_YEAR
            g.receive_in_kind(in_kind / len(targets))
            model.ledger("local_groups", in_kind / len(targets))
            model.council.funded_this_year.add(g.gid)

    def _end_in_kind(self, model: CommunityModel) -> None:
        for g in model.active_groups():
            g.in_kind_per_week = 0.0
        self.in_kind = {}

    def connect(self, model: CommunityModel) -> None:
        """Connectors introduce lonely residents of their own neighbourhoods to groups (up to model
        version 13 they drew residents from the whole place)."""
        if self.fte.any():
            rng = model.streams["community_development"]
            skill = self.connector_skill(model)
            cd = self.params.community_development
            k = rng.poisson(skill * cd.introductions_per_year / WEEKS_PER_YEAR)
            where = np.repeat(np.arange(skill.size), k)
            model.refer(cd.introduction_detection, rng, where=where)

    def teardown(self, model: CommunityModel) -> None:
        self.years[:] = 0.0
        self.fte[:] = 0.0
        self._end_in_kind(model)

    # -- hooks -----------------------------------------------------------------------------------
    def connector_skill(self, model: CommunityModel) -> np.ndarray:
        """Connector effectiveness by neighbourhood (0-1): time in post there, counted in weeks
        (this one included), over ``skill_years`` ("seeds to trees"), times the share of a
        full-time post. Up to model version 13 a connector's time in post counted its first year
        whole from its first week, so skill ran a year ahead (a third of full skill from week 0,
        full from the start of the third year instead of the end)."""
        worked = self.years - 1.0 + (model.week - self.year_start + 1) / WEEKS_PER_YEAR
        skill = np.clip(worked / self.params.community_development.skill_years, 0.0, 1.0)
        return np.where(self.years > 0, skill, 0.0) * self.fte

    def founding_multiplier(self, model: CommunityModel) -> np.ndarray:
        """Connectors seed new groups: foundings rise with their skill."""
        return 1.0 + self.params.community_development.seeding_boost * self.connector_skill(model)

    def brokered_collaborations(self, model: CommunityModel) -> np.ndarray:
        """Collaborations between groups a skilled connector brokers a week."""
        return self.connector_skill(model) * self.params.community_development.brokering_per_year / WEEKS_PER_YEAR
