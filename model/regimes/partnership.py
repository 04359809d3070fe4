"""Partnership: social prescribing link workers and a volunteer centre.

Frictions (issue 15, item 5): a referral is taken up with probability ``referral_uptake``; it reaches a
local group only where the council and the sector have a working relationship (share routed =
``route_floor`` + (1 - ``route_floor``) x relationship), so a one-sided partnership refers few; clients
withdraw like any service's (``groups.service_dropout``). The volunteer centre brokers a bounded number
of introductions a year (``placements_per_year`` at a full grant), not a multiplier on recruitment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.params import WEEKS_PER_YEAR, RegimeParams
from model.regimes import Instrument, instrument

if TYPE_CHECKING:
    from model.model import CommunityModel


@instrument("partnership", label="Partnership", order=7,
            description="GP link workers refer lonely residents to local groups; a volunteer centre brokers volunteers.",
            streams=("partnership",))
class Partnership(Instrument):
    """Link workers refer lonely residents to local groups; a volunteer centre brokers volunteers."""

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.link_workers = 0.0  # full-time equivalents (the last post may be part-time)
        self.introductions = 0.0  # introductions a year the funded volunteer centre makes

    def yearly(self, model: CommunityModel, budget: float) -> None:
        pp = self.params.partnership
        vc_budget = budget * pp.volunteer_centre_share
        self.link_workers = (budget - vc_budget) / pp.link_worker_cost_per_year
        model.ledger("in_house", self.link_workers * pp.link_worker_cost_per_year)
        centres = [g for g in model.active_groups() if g.kind == "volunteer_centre"]
        if not centres and vc_budget > 0:
            centres = [model.found_group("volunteer_centre", nbhd=0, cause="council_funded",
                                         rng=model.streams["partnership"])]
        for c in centres:
            model.pay(c, "grants", vc_budget / len(centres))
        # placements grow with the centre's funding, up to a fully funded centre
        self.introductions = pp.placements_per_year * min(1.0, vc_budget / pp.volunteer_centre_grant) if centres else 0.0

    def weekly(self, model: CommunityModel) -> None:
        if self.link_workers <= 0:
            return
        pp = self.params.partnership
        rng = model.streams["partnership"]
        rate = self.link_workers * pp.referrals_per_link_worker_per_year / WEEKS_PER_YEAR
        routed = pp.route_floor + (1.0 - pp.route_floor) * model.council.relationship
        k = int(rng.poisson(rate * pp.referral_uptake * routed))
        model.refer(pp.detection_prob, rng, k=k)

    def volunteer_brokerage(self, model: CommunityModel) -> float:
        """Volunteers a year the centre places: its introductions taken up at
        ``placement_conversion``; none once the last centre has closed."""
        if self.introductions > 0 and not any(g.kind == "volunteer_centre" for g in model.active_groups()):
            self.introductions = 0.0  # the centre closed
        return self.introductions * self.params.partnership.placement_conversion

    def teardown(self, model: CommunityModel) -> None:
        self.introductions = 0.0
        self.link_workers = 0.0
