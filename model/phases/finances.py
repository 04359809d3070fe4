"""Groups' finances: size, costs, income, and the clocks that close a group."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

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
        each contract client served (``contract_clients``: its clients up to its contract places)
        out and the contract's payment in; a community hub's trading
        (its kind's ``trading_per_year`` at its scale) in. Fundraising is volunteer-led
        (events, trading, small trusts): a group with the volunteers it seeks covers
        ``fundraising_cover`` of its running costs, less with fewer (assumption, see ODD)."""
        p, gt = self.params, self.gt
        # an ended award's staff leave, and its commitments end, when their notice is worked out:
        # before this week's costs, so an award that ends at week w is charged for weeks w to
        # w + notice_weeks - 1 (up to version 12 the check came after the costs, one week more)
        award = gt.award_per_week[gids]
        leaving = gids[(gt.award_cost_per_week[gids] > 0) & (award == 0) & (gt.notice_end_week[gids] <= self.week)]
        gt.award_staff[leaving] = 0.0
        gt.award_cost_per_week[leaving] = 0.0
        clients = gt.clients[gids]
        scale = gt.scale(gt.n_members[gids], clients)
        donations, fundraising, trading = (x / WEEKS_PER_YEAR for x in gt.own_income(gids, scale, gt.luck[gids]))
        costs = gt.running_costs(gids, scale, self.collaboration_counts(gids)) + gt.staff_costs(gids)
        reserves = gt.reserves[gids] + donations + fundraising + trading - costs
        # (both 0 for a group without contracts): a holder is paid what the council's ledger
        # records for it, so the two agree by construction (they did before only because a holder
        # still paid keeps at least one place, _TenderBase._rescale)
        delivery = self.contract_clients(gids) * p.providers.local_unit_cost_per_client_per_year / WEEKS_PER_YEAR
        paid = gt.contract_payment_per_week[gids]
        gt.reserves[gids] = reserves - delivery + paid + award
        for source, amount in (("donations", donations), ("fundraising", fundraising), ("contracts", paid),
                               ("trusts", award), ("trading", trading)):
            gt.income_year[gids, _SOURCE[source]] += amount
            gt.income_total[gids, _SOURCE[source]] += amount

    def funders_round(self) -> None:
        """At the start of a budget year, outside funders (trusts, foundations, the National
        Lottery: ``groups.funders``) decide. An award that ends now is continued if its holder's
        bid to continue succeeds (at ``repeat_factor`` of the usual chance); otherwise its payments
        stop while the costs it committed the group to (posts, their overheads) run on, unfunded,
        for ``notice_weeks``. Groups that employ staff (a kind with a staff cost) and hold no award
        apply with ``apply_per_year``, and succeed with ``success_prob`` x (0.5 + trust). An award
        of lognormal size (median ``median_award_per_year``, at most what ``max_award_fte`` posts
        and their overheads cost) runs ``term_years``; it is spent on the posts it funds
        (``1 - overhead_share`` of it) and their overheads, but for ``reserve_share`` of it, kept
        back in reserves against its end.
        Draws: three per open group, keyed by the week and the group (``Streams.by_id``)."""
        f, gt = self.params.groups.funders, self.gt
        gids = self.active_gids()
        if gids.size == 0:
            return
        u = self.streams.by_id("funders", self.week + self.burn_in_weeks, gids, 3)
        u_apply, u_win, z = u[:, 0], u[:, 1], ndtri(u[:, 2])
        cost = gt.staff_cost_per_year[gids]
        live = gt.award_per_week[gids] > 0
        ending = live & (gt.award_end_week[gids] <= self.week)
        applies = (cost > 0) & (ending | (~live & (u_apply < f.apply_per_year)))
        p_win = f.success_prob * (0.5 + gt.trust[gids]) * np.where(ending, f.repeat_factor, 1.0)
        wins = applies & (u_win < p_win)
        safe = np.where(cost > 0, cost, 1.0)
        value = np.minimum(f.median_award_per_year * np.exp(f.award_sd * z),
                           f.max_award_fte * safe / (1.0 - f.overhead_share))
        won = gids[wins]
        gt.award_per_week[won] = value[wins] / WEEKS_PER_YEAR
        gt.award_staff[won] = value[wins] * (1.0 - f.reserve_share) * (1.0 - f.overhead_share) / safe[wins]
        gt.award_cost_per_week[won] = value[wins] * (1.0 - f.reserve_share) / WEEKS_PER_YEAR
        gt.award_end_week[won] = self.week + f.term_years * WEEKS_PER_YEAR
        lost = gids[ending & ~wins]
        per_year = gt.award_per_week[lost] * WEEKS_PER_YEAR
        gt.award_per_week[lost] = 0.0
        gt.notice_end_week[lost] = self.week + f.notice_weeks
        if self.week >= 0:  # events of the study period (record_event keeps none in the burn-in)
            for k, cont in zip(won.tolist(), ending[wins].tolist(), strict=True):
                g = self.all_groups[k]
                self.record_event("award_won", g.nbhd, g.kind, "continued" if cont else "", gid=k,
                                  per_year=round(float(gt.award_per_week[k]) * WEEKS_PER_YEAR), years=f.term_years)
            for k, v in zip(lost.tolist(), per_year.tolist(), strict=True):
                g = self.all_groups[k]
                self.record_event("award_ended", g.nbhd, g.kind, gid=k, per_year=round(v), notice_weeks=f.notice_weeks)

    def closure_clocks(self, gids: np.ndarray) -> list[tuple[CommunityGroup, str]]:
        """Advance the groups' weeks-without counters (money: reserves below ``min_reserves``;
        volunteers: none and under half a paid post; members: fewer people served than
        ``min_members``); the groups that reach ``closure_weeks`` on one, with its cause (money
        first, then volunteers, then members)."""
        gp, gt = self.params.groups, self.gt
        money = np.where(gt.reserves[gids] < gp.min_reserves, gt.weeks_without_money[gids] + 1, 0)
        staffed = (gt.volunteers[gids] > 0) | (gt.all_staff(gids) >= 0.5)
        vols = np.where(staffed, 0, gt.weeks_without_volunteers[gids] + 1)
        served = gt.n_members[gids] + gt.clients[gids]
        members = np.where(served < gp.min_members, gt.weeks_without_members[gids] + 1, 0)
        gt.weeks_without_money[gids], gt.weeks_without_volunteers[gids] = money, vols
        gt.weeks_without_members[gids] = members
        w = gp.closure_weeks
        cause = np.where(money >= w, 0, np.where(vols >= w, 1, np.where(members >= w, 2, -1)))
        return [(self.all_groups[k], CLOSURE_CAUSES[c]) for k, c in zip(gids.tolist(), cause.tolist(), strict=True)
                if c >= 0]
