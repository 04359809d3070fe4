"""Groups' finances: size, costs, income, and the clocks that close a group."""

from __future__ import annotations

import numpy as np

from model.agents import _SOURCE, CommunityGroup
from model.params import WEEKS_PER_YEAR

CLOSURE_CAUSES = ("money", "volunteers", "members")  # in the order closure_clocks checks them


class FinancePhases:
    """The groups' money, written once for one group or all of them. A part of :class:`CommunityModel`."""

    def collaboration_counts(self, gids) -> np.ndarray:
        """The number of collaboration partners of each group in ``gids``."""
        return np.array([self.collaboration_count(int(k)) for k in np.atleast_1d(gids)])

    def _phase_finances(self) -> None:
        """Groups' income and costs; providers' costs."""
        self.group_finances(self.active_gids())
        for pv in self.providers:
            pv.weekly_finances()

    def group_finances(self, gids: np.ndarray) -> None:
        """A week of the groups ``gids``'s finances, as array code over the group table: donations
        and fundraising in, running and staff costs out, and under a contract the full local cost of
        each contract client served out and the contract's payment in. Fundraising is volunteer-led
        (events, trading, small trusts): a group with the volunteers it seeks covers
        ``fundraising_cover`` of its running costs, less with fewer (assumption, see ODD)."""
        p, gt = self.params, self.gt
        gp = p.groups
        members, clients = gt.n_members[gids], gt.clients[gids]
        scale = gt.scale(members, clients)
        vol_ratio = np.minimum(1.0, gt.volunteers[gids] / gt.volunteers_sought(gids, scale))
        donations = (members * gt.donations_per_member_per_year[gids] * (0.5 + gt.trust[gids])
                     / WEEKS_PER_YEAR)
        fundraising = (gt.running_cost_per_year[gids] * scale * gp.fundraising_cover * vol_ratio * gt.luck[gids]
                       / WEEKS_PER_YEAR)
        costs = gt.running_costs(gids, scale, self.collaboration_counts(gids)) + gt.staff_costs(gids)
        reserves = gt.reserves[gids] + donations + fundraising - costs
        places = gt.contract_places[gids]
        under = places > 0
        served = np.minimum(clients, places)
        reserves = np.where(under, reserves - served * p.providers.local_unit_cost_per_client_per_year
                            / WEEKS_PER_YEAR, reserves)
        paid = np.where(under, gt.contract_payment_per_week[gids], 0.0)
        gt.reserves[gids] = np.where(under, reserves + paid, reserves)
        for source, amount in (("donations", donations), ("fundraising", fundraising), ("contracts", paid)):
            gt.income_year[gids, _SOURCE[source]] += amount
            gt.income_total[gids, _SOURCE[source]] += amount

    def closure_clocks(self, gids: np.ndarray) -> list[tuple[CommunityGroup, str]]:
        """Advance the groups' weeks-without counters (money: reserves below ``min_reserves``;
        volunteers: none and under half a paid post; members: fewer people served than
        ``min_members``); the groups that reach ``closure_weeks`` on one, with its cause (money
        first, then volunteers, then members)."""
        gp, gt = self.params.groups, self.gt
        money = np.where(gt.reserves[gids] < gp.min_reserves, gt.weeks_without_money[gids] + 1, 0)
        staffed = (gt.volunteers[gids] > 0) | (gt.staff[gids] >= 0.5)
        vols = np.where(staffed, 0, gt.weeks_without_volunteers[gids] + 1)
        served = gt.n_members[gids] + gt.clients[gids]
        members = np.where(served < gp.min_members, gt.weeks_without_members[gids] + 1, 0)
        gt.weeks_without_money[gids], gt.weeks_without_volunteers[gids] = money, vols
        gt.weeks_without_members[gids] = members
        w = gp.closure_weeks
        cause = np.where(money >= w, 0, np.where(vols >= w, 1, np.where(members >= w, 2, -1)))
        return [(self.all_groups[k], CLOSURE_CAUSES[c]) for k, c in zip(gids.tolist(), cause.tolist(), strict=True)
                if c >= 0]
