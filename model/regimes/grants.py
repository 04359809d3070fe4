"""Grants: small grants to local groups in a yearly round."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.params import RegimeParams
from model.regimes import Instrument, instrument

if TYPE_CHECKING:
    from model.model import CommunityModel


@instrument("grants", label="Grants", order=1, streams=("grants",),
            description="Small yearly grants to local groups.")
class Grants(Instrument):
    """Small grants to local groups in a yearly round: equal, need-based, competitive or core."""

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.core: dict[int, int] = {}  # gid -> last year of its multi-year core grant

    def yearly(self, model: CommunityModel, budget: float) -> None:
        g = self.params.grants
        rng = model.streams["grants"]
        applicants = [grp for grp in model.active_groups() if grp.kind != "volunteer_centre"]
        if not applicants or budget <= 0:
            return
        slots = model.params.council.officer_capacity * 4  # small grants are light to administer
        if g.rule == "core":
            self.core = {gid: end for gid, end in self.core.items()
                         if end >= model.year and model.group_by_gid(gid).active}
            free = [a for a in applicants if a.gid not in self.core]
            n_new = max(0, min(slots, len(applicants)) - len(self.core))
            order = sorted(free, key=lambda a: -(a.trust + 0.1 * rng.random()))
            for a in order[:n_new]:
                self.core[a.gid] = model.year + g.core_years - 1
            funded = [model.group_by_gid(gid) for gid in sorted(self.core)]
            amounts = np.full(len(funded), min(g.max_grant, budget / max(1, len(funded))))
        else:
            if g.rule == "competitive":
                skill = model.params.groups.grant_writing_skill
                score = np.array([a.trust + skill * rng.random() for a in applicants])
                n = max(1, int(round(g.competitive_share * len(applicants))))
                pick = np.argsort(-score, kind="stable")[: min(n, slots)]
                funded = [applicants[k] for k in pick]
                amounts = np.full(len(funded), min(g.max_grant, budget / len(funded)))
            else:
                if len(applicants) > slots:
                    pick = np.sort(rng.choice(len(applicants), size=slots, replace=False))
                    applicants = [applicants[k] for k in pick]
                funded = applicants
                if g.rule == "need_based":
                    reading = model.observed_lonely_shares()  # (one per neighbourhood this round)
                    need = reading[[a.nbhd for a in funded]] + 1e-3
                    amounts = np.minimum(g.max_grant, budget * need / need.sum())
                else:  # equal
                    amounts = np.full(len(funded), min(g.max_grant, budget / len(funded)))
        for grp, amount in zip(funded, amounts, strict=True):
            model.pay(grp, "grants", float(amount))

