"""Community groups and membership: founding, closing, joining, attending, collaborating.

The group table (``model.gt``, model/agents.py: ``GroupTable``) is the groups' state and holds their
formulas; a ``CommunityGroup`` agent is a view over its row. The phases read the table through the
``g_*`` views below (one array over all gids, live); members, volunteers and places are recounted
from the resident arrays by ``recount_groups``, after membership changes and foundings.
"""

from __future__ import annotations

import mesa
import numpy as np

from model import kernels
from model.agents import CommunityGroup
from model.params import GROUP_KINDS, WEEKS_PER_YEAR
from model.phases import Buckets, stable_order
from model.residents import NO_GROUP, PROVIDER_BASE


class GroupPhases:
    """Groups' lives and their members. A part of :class:`CommunityModel`."""

    def _init_groups(self, rng: np.random.Generator) -> None:
        p = self.params
        kinds = [k for k in GROUP_KINDS if k in p.groups.kinds and p.groups.kinds[k].share > 0]
        shares = np.array([p.groups.kinds[k].share for k in kinds])
        chosen = rng.choice(len(kinds), size=p.place.n_groups, p=shares / shares.sum())
        nbhds = rng.integers(0, p.place.n_neighbourhoods, size=p.place.n_groups)
        for k, nb in zip(chosen, nbhds, strict=True):
            kind = kinds[int(k)]
            kp = p.groups.kinds[kind]
            weekly_cost = (kp.running_cost_per_year + kp.staff * kp.staff_cost_per_year) / WEEKS_PER_YEAR
            reserves = kp.initial_reserves_weeks * weekly_cost * rng.uniform(0.5, 1.5)
            self._new_group(kind, int(nb), reserves)
        # initial members and volunteers, drawn from each group's neighbourhood
        self.recount_groups()
        order, counts, start = self._nbhd_index
        res_parts: list[np.ndarray] = []
        grp_parts: list[np.ndarray] = []
        for g in self.all_groups:
            pool = order[start[g.nbhd]:start[g.nbhd] + counts[g.nbhd]]
            if g.kp.activities:
                k = min(pool.size, int(rng.poisson(p.groups.members_initial_mean)))
                who = np.sort(rng.choice(pool, size=k, replace=False))
                res_parts.append(who)
                grp_parts.append(np.full(k, g.gid, dtype=np.int64))
            free = pool[self.res.vol_group[pool] == NO_GROUP]
            k = min(free.size, self._first_volunteers(g.kp))
            self.res.vol_group[rng.choice(free, size=k, replace=False)] = g.gid
        # one append for all groups (members are drawn without replacement within a group, and
        # pairs in different groups differ, so no duplicate check is needed)
        if res_parts:
            m = self.members
            m.res = np.concatenate([m.res, *res_parts])
            m.grp = np.concatenate([m.grp, *grp_parts])
        self._init_hubs(self.streams["hubs"])

    def _first_volunteers(self, kp) -> int:
        """Volunteers a group of kind ``kp`` starts with: 80% of its establishment, scaled by how
        many residents volunteer at the start against the survey's 16%."""
        return int(round(kp.volunteers_needed * self.params.residents.volunteer_initial_share / 0.16 * 0.8))

    def _init_hubs(self, rng: np.random.Generator) -> None:
        """Community hubs standing at the start (``groups.hubs_per_10k_adults``), each in a
        neighbourhood of its own (among those with residents) while there are neighbourhoods
        without one, with members and volunteers drawn from there like the other first groups'.
        Their own stream, so placing them shifts no other draw of the set-up."""
        p = self.params
        if "community_hub" not in p.groups.kinds or p.groups.hubs_per_10k_adults <= 0:
            return
        kp = p.groups.kinds["community_hub"]
        exact = p.groups.hubs_per_10k_adults * p.place.n_residents / 10_000
        n = int(exact) + int(rng.random() < exact - int(exact))
        order, counts, start = self._nbhd_index
        lived = np.flatnonzero(counts > 0)
        if n == 0 or lived.size == 0:
            return
        nbhds = np.concatenate([lived[rng.permutation(lived.size)] for _ in range(-(-n // lived.size))])[:n]
        # its reserves at the start: initial_reserves_weeks of the costs of the posts its trading and
        # fundraising pay for at full operation (no donations yet); the first budget year's start
        # (CommunityGroup.own_surplus) then sets its posts from its actual size and volunteers
        own = kp.trading_per_year - (1.0 - p.groups.fundraising_cover) * kp.running_cost_per_year
        staff = min(kp.staff, max(0.0, own) / kp.staff_cost_per_year) if kp.staff_cost_per_year else 0.0
        weekly_cost = (kp.running_cost_per_year + staff * kp.staff_cost_per_year) / WEEKS_PER_YEAR
        in_groups = np.bincount(self.members.res, minlength=self.res.n)
        res_parts, grp_parts = [self.members.res], [self.members.grp]
        for nbhd in nbhds.tolist():
            g = self._new_group("community_hub", nbhd, kp.initial_reserves_weeks * weekly_cost * rng.uniform(0.5, 1.5))
            g.staff = staff
            pool = order[start[nbhd]:start[nbhd] + counts[nbhd]]
            room = pool[in_groups[pool] < p.groups.max_memberships]
            who = np.sort(rng.choice(room, size=min(room.size, int(rng.poisson(p.groups.members_initial_mean))),
                                     replace=False))
            in_groups[who] += 1
            res_parts.append(who)
            grp_parts.append(np.full(who.size, g.gid, dtype=np.int64))
            free = pool[self.res.vol_group[pool] == NO_GROUP]
            self.res.vol_group[rng.choice(free, size=min(free.size, self._first_volunteers(kp)), replace=False)] = g.gid
        self.members.res = np.concatenate(res_parts)
        self.members.grp = np.concatenate(grp_parts)

    def _new_group(self, kind: str, nbhd: int, reserves: float) -> CommunityGroup:
        g = CommunityGroup(self, len(self.all_groups), kind, nbhd, reserves, founded_week=self.week)
        g.trust = self.params.groups.trust_initial * self.sector_trust[nbhd]
        if self.week > -self.burn_in_weeks:
            g.staff = 0.0  # a new group starts volunteer-run; staff come with funded income
        self.all_groups.append(g)
        self._kind_codes.append(GROUP_KINDS.index(kind))
        self.collab[g.gid] = set()
        return g

    @property
    def groups(self):
        """The active community groups (a Mesa AgentSet)."""
        return self.agents_by_type.get(CommunityGroup, mesa.agent.AgentSet([], random=self.random))

    def active_gids(self) -> np.ndarray:
        """The active groups' gids, increasing, read from the group table (the truth)."""
        return np.flatnonzero(self.g_open)

    def active_groups(self) -> list[CommunityGroup]:
        """The active groups (views over their rows of the group table), in gid order."""
        return [self.all_groups[k] for k in self.active_gids().tolist()]

    def group_by_gid(self, gid: int) -> CommunityGroup:
        return self.all_groups[gid]

    def collaboration_count(self, gid: int) -> int:
        return len(self.collab.get(gid, ()))

    def collaborators(self, g: CommunityGroup) -> list[CommunityGroup]:
        return [self.all_groups[k] for k in sorted(self.collab.get(g.gid, ()))]

    # -- the groups' state as arrays over gids 0..G-1: live views of the group table, so a phase
    # always reads what the table holds now (members, volunteers and capacity as last recounted)
    @property
    def g_open(self) -> np.ndarray:
        """Which groups are open."""
        return self.gt.active[:self.gt.size]

    @property
    def g_nbhd(self) -> np.ndarray:
        return self.gt.nbhd[:self.gt.size]

    @property
    def g_trust(self) -> np.ndarray:
        return self.gt.trust[:self.gt.size]

    @property
    def g_acts(self) -> np.ndarray:
        """Open groups that run activities (residents can join them)."""
        return self.gt.activities[:self.gt.size] & self.g_open

    @property
    def g_visits(self) -> np.ndarray:
        """Open groups that visit clients at home."""
        return self.gt.visits[:self.gt.size] & self.g_open

    @property
    def g_members(self) -> np.ndarray:
        return self.gt.n_members[:self.gt.size]

    @property
    def g_capacity(self) -> np.ndarray:
        return self.gt.capacity[:self.gt.size]

    @property
    def g_visit_share(self) -> np.ndarray:
        return self.gt.visit_share[:self.gt.size]

    @property
    def g_activity_places(self) -> np.ndarray:
        """Weekly places at activities: the capacity not given to home visits (all of an activity
        group's, 70% of a group that also visits; up to version 12 the whole capacity, so a group
        that both ran activities and visited counted its visit places twice)."""
        return self.g_capacity * (1.0 - self.g_visit_share)

    def recount_groups(self) -> None:
        """Recount every group's members and volunteers from the resident arrays, and its places:
        volunteers x places per volunteer + staff x places per staff member."""
        G, gt = self.gt.size, self.gt
        gt.volunteers[:G] = self._volunteer_counts()
        gt.n_members[:G] = self.members.counts_by_group(G)
        gt.capacity[:G] = gt.volunteers[:G] * gt.places_per_volunteer[:G] + gt.all_staff(slice(0, G)) * gt.places_per_staff[:G]
        np.maximum(gt.max_members_seen[:G], gt.n_members[:G], out=gt.max_members_seen[:G])

    def _pick_groups(self, who: np.ndarray, rng: np.random.Generator, eligible: np.ndarray,
                     weight: np.ndarray, local_share: float | None = None) -> np.ndarray:
        """For each resident in ``who``, a group: in their neighbourhood with probability
        ``local_share`` (default ``groups.local_share``; else anywhere), chosen with probability proportional to ``weight`` among
        ``eligible`` groups. -1 where none is eligible. Draws two values per resident."""
        if who.size == 0:
            return np.full(0, -1, dtype=np.int64)
        u, v = rng.random(who.size), rng.random(who.size)
        if local_share is None:
            local_share = self.params.groups.local_share
        return kernels.pick_groups(u, v, self.res.nbhd[who], local_share, eligible & (weight > 0),
                                   np.asarray(weight, dtype=np.float64), self.g_nbhd,
                                   self.params.place.n_neighbourhoods)

    def _volunteer_counts(self) -> np.ndarray:
        """Volunteers per group."""
        return kernels.code_counts(self.res.vol_group, len(self.all_groups), PROVIDER_BASE, 0)[0]

    def found_group(self, kind: str, nbhd: int, cause: str = "",
                    rng: np.random.Generator | None = None, refresh: bool = True) -> CommunityGroup:
        """A new group with a few founders as volunteers and members. ``rng``: the stream of the
        process that founds it (a regime passes its own, so it does not shift the draws of
        spontaneous foundings). ``refresh=False`` leaves the per-group arrays to the caller, which
        founds several groups and then calls ``recount_groups`` once (rebuilding them per
        founding costs time in proportion to the number of groups, so a city's many foundings a
        week would cost time growing with the square of its size)."""
        kp = self.params.groups.kinds[kind]
        rng = self.streams["foundings"] if rng is None else rng
        g = self._new_group(kind, nbhd, reserves=8 * kp.running_cost_per_year / WEEKS_PER_YEAR)
        # the neighbourhood's residents in increasing order, from the index (not a scan of everyone:
        # a city founds groups every week)
        order, counts, start = self._nbhd_index
        local = order[start[nbhd]:start[nbhd] + counts[nbhd]]
        pool = local[self.res.vol_group[local] == NO_GROUP]
        founders = rng.choice(pool, size=min(3, pool.size), replace=False) if pool.size else pool
        self.res.vol_group[founders] = g.gid
        pool = local
        if kp.activities and pool.size:
            joiners = rng.choice(pool, size=min(5, pool.size), replace=False)
            self.members.add(np.concatenate([founders, joiners]), np.full(founders.size + joiners.size, g.gid),
                             len(self.all_groups))
        self._period_foundings += 1
        self.record_event("group_founded", nbhd, kind, cause, gid=g.gid)
        if refresh:
            self.recount_groups()
        return g

    def close_groups(self, closing: list[tuple[CommunityGroup, str]]) -> None:
        """Groups close (each with its cause): members lose their place to meet and part of the ties
        and trust the group held. One pass over residents, memberships and ties for all of a week's
        closures (closing one group changes nothing another closure reads)."""
        if not closing:
            return
        p = self.params.groups
        gids = np.array([g.gid for g, _ in closing])
        # the ties made at a closing group weaken at once, and from now on they meet only in their
        # ends' own time (no group to meet at: kernels.tie_contact)
        closing_gid = np.zeros(len(self.all_groups), dtype=bool)
        closing_gid[gids] = True
        t = self.ties
        made_here = np.flatnonzero(t.o >= 0)
        made_here = made_here[closing_gid[t.o[made_here]]]
        t.w[made_here] *= 1.0 - 0.5 * p.trust_loss_on_closure
        self.members.keep(~np.isin(self.members.grp, gids))
        self.res.vol_group[np.isin(self.res.vol_group, gids)] = NO_GROUP
        self.res.client_of[np.isin(self.res.client_of, gids)] = NO_GROUP
        for g, _ in closing:
            g.active = False
        for g, cause in closing:
            g.closed_week, g.cause = self.week, cause
            for other in self.collab.pop(g.gid, set()):
                self.collab[other].discard(g.gid)
            self.sector_trust[g.nbhd] = max(0.2, self.sector_trust[g.nbhd] - 0.1 * p.trust_loss_on_closure)
            g.contract_places = 0
            g.contract_payment_per_week = 0.0
            g.award_per_week = 0.0  # an outside funder stops paying a group that has folded
            self._period_closures += 1
            self.record_event("group_closed", g.nbhd, g.kind, cause, gid=g.gid)
            g.remove()

    def _referral_dropout(self) -> None:
        """Referrals into a group (``refer``) are on trial for the support period: each week a
        referred member gives the group up at the hazard that leaves ``groups.referral_adherence``
        still going at its end (apart from ordinary leaving, which goes on as for any member), from
        its own stream. A trial ends, the member staying like any other, when the period is over
        or they start volunteering there; it lapses when the membership has gone anyway (ordinary
        leaving, the group's closure, the resident moving away)."""
        res, grp, since = self.trials
        if res.size == 0:
            return
        r, m, G = self.res, self.members, len(self.all_groups)
        on = (np.isin(res * G + grp, m.res * G + m.grp) & (self.week - since <= self.params.groups.service_weeks)
              & (r.arrived_week[res] <= since) & (r.vol_group[res] != grp))  # weeks 1..26 draw
        res, grp, since = res[on], grp[on], since[on]
        if self.rates.referral_dropout > 0 and res.size:
            quit_ = self.streams["adherence"].random(res.size) < self.rates.referral_dropout
            if quit_.any():
                m.remove(res[quit_], grp[quit_], G)
                res, grp, since = res[~quit_], grp[~quit_], since[~quit_]
        self.trials = (res, grp, since)

    def _phase_membership(self) -> None:
        """Residents leave groups, join nearby groups by fit and trust."""
        r, g, rates = self.res, self.params.groups, self.rates
        rng = self.streams["membership"]
        thr = self.params.residents.lonely_threshold
        lonely = r.loneliness >= thr
        m = self.members
        u_leave = self.streams["membership_leave"].random(len(m))
        leave_p = rates.leave * (1.0 + lonely[m.res])
        m.keep(u_leave >= leave_p)
        self._referral_dropout()
        self.gt.n_members[:self.gt.size] = m.counts_by_group(self.gt.size)
        n_mem = m.counts_by_resident(r.n)
        u_join = rng.random(r.n)
        # p_join = join x (lonely_join_factor if lonely) x need / mean need x sector trust of the
        # neighbourhood x (disability_contact_factor if disabled); below max_memberships
        joiners = kernels.joiners(u_join, rates.join, r.loneliness, thr, g.lonely_join_factor, r.need,
                                  r.need.mean(), self.sector_trust * self.supply_factor(), r.nbhd, r.disabled,
                                  self.params.residents.disability_contact_factor, n_mem, g.max_memberships)
        room = self.g_acts & (self.g_activity_places > self.g_members)
        grp = self._pick_groups(joiners, self.streams["membership_pick"], room, self.g_trust + 0.05)
        ok = grp >= 0
        m.add(joiners[ok], grp[ok], len(self.all_groups))
        self.recount_groups()

    def supply_factor(self) -> np.ndarray:
        """By neighbourhood, how much more (or less) readily residents join a group than at the
        reference supply of places to go (``groups.supply_elasticity``; 1 everywhere when it is 0)."""
        g, nb = self.params.groups, self.params.place.n_neighbourhoods
        if g.supply_elasticity == 0:
            return np.ones(nb)
        open_here = np.bincount(self.g_nbhd[self.g_acts], minlength=nb).astype(float)
        adults = np.maximum(1, self._nbhd_index[1])
        supply = 1000.0 * (g.local_share * open_here / adults + (1.0 - g.local_share) * open_here.sum() / self.res.n)
        return np.minimum(g.max_supply_factor, (supply / g.reference_groups_per_1k) ** g.supply_elasticity)

    def _phase_activities(self) -> None:
        """Members attend group activities: contact and new acquaintances."""
        r, m, p = self.res, self.members, self.params
        rng = self.streams["attendance"]
        if len(m) == 0:
            return
        fill = np.minimum(1.0, self.g_activity_places / np.maximum(1, self.g_members))
        lonely = r.loneliness >= p.residents.lonely_threshold
        pr = (p.groups.attend_prob * fill[m.grp] * np.where(r.disabled[m.res], p.residents.disability_contact_factor, 1.0)
              * np.where(lonely[m.res], p.residents.lonely_reciprocity, 1.0) * self.g_acts[m.grp])
        att = rng.random(len(m)) < pr
        a_res, a_grp = m.res[att], m.grp[att]
        self.taking_part(a_res, a_grp)
        self._contact += p.residents.group_contact * np.bincount(a_res, minlength=r.n)
        # co-attendance: some attendees get to know another attendee of the same activity
        rng2 = self.streams["co_attendance"]
        if a_res.size:
            by_grp = Buckets.of(a_grp, len(self.all_groups))
            a_res, a_grp = a_res[by_grp.order], a_grp[by_grp.order]
            u, v = rng2.random(a_res.size), rng2.random(a_res.size)
            meet = u < self.rates.co_attendance
            partner = a_res[by_grp.slot(a_grp, v)]
            self._queue_ties(a_res[meet], partner[meet], a_grp[meet])

    def _phase_closures_and_foundings(self) -> None:
        """Groups close when money, volunteers or members run out; new ones form."""
        p = self.params
        self.close_groups(self.closure_clocks(self.active_gids()))
        rng = self.streams["foundings"]
        nb = p.place.n_neighbourhoods
        u = rng.random(nb)
        counts = np.bincount(self.res.nbhd, minlength=nb)
        has = np.zeros(self.res.n, dtype=bool)
        has[self.members.res] = True  # residents in at least one group
        mem = np.bincount(self.res.nbhd[has], minlength=nb) / np.maximum(1, counts)
        rate = (self.rates.foundings_per_resident * counts * (mem / 0.35) ** p.groups.founding_capital_elasticity
                * self.active_regime.founding_multiplier(self) * self.sector_trust)
        kinds = [k for k in GROUP_KINDS if k in p.groups.kinds and k != "volunteer_centre"
                 and p.groups.kinds[k].share > 0]
        shares = np.array([p.groups.kinds[k].share for k in kinds])
        for k in np.flatnonzero(u < rate):
            kind = kinds[int(rng.choice(len(kinds), p=shares / shares.sum()))]
            self.found_group(kind, int(k), refresh=False)
        self.recount_groups()

    def _phase_collaboration(self) -> None:
        """Collaboration ties between groups form and lapse."""
        p = self.params
        rng = self.streams["collaboration"]
        skill = self.connector_skill()
        # lapses: collaborations fade unless a connector keeps brokering
        pairs = sorted((a, b) for a, partners in self.collab.items() for b in partners if b > a)
        if pairs:
            first = np.array([a for a, _ in pairs])
            keep_p = 1.0 - self.rates.collab_decay * (1.0 - 0.7 * skill[self.g_nbhd[first]])
            for k in np.flatnonzero(rng.random(len(pairs)) > keep_p):
                a, b = pairs[k]
                self.collab[a].discard(b)
                self.collab[b].discard(a)
        # formation within neighbourhoods, faster with a skilled connector
        active = self.active_gids()
        nb = p.place.n_neighbourhoods
        brokered = self.active_regime.brokered_collaborations(self)  # by connectors, a week
        active = active[stable_order(self.g_nbhd[active], nb)]  # by neighbourhood, gid order within
        bounds = np.searchsorted(self.g_nbhd[active], np.arange(nb + 1))
        for nbhd in range(nb):
            here = active[bounds[nbhd]:bounds[nbhd + 1]]
            if here.size < 2:
                continue
            pairs = here.size * (here.size - 1) / 2
            lam = pairs * self.rates.collab_form + brokered[nbhd]
            for _ in range(int(rng.poisson(lam))):
                a, b = rng.choice(here, size=2, replace=False)
                self.collab[int(a)].add(int(b))
                self.collab[int(b)].add(int(a))
