"""Volunteering: residents start volunteering, quit or burn out."""

from __future__ import annotations

import numpy as np

from model.params import WEEKS_PER_YEAR
from model.residents import NO_GROUP, PROVIDER_BASE


class VolunteeringPhases:
    """Residents' volunteering for groups. A part of :class:`CommunityModel`."""

    def _phase_volunteering(self) -> None:
        """Residents start volunteering, quit or burn out; volunteering gives contact."""
        r, p, rates = self.res, self.params, self.rates
        rng = self.streams["volunteering"]
        G = len(self.all_groups)
        vol = r.vol_group
        # quitting: a steady rate, plus burnout where a group is stretched beyond its volunteers
        gcl, _ = self._client_counts()
        demand = self.g_members * p.groups.attend_prob + gcl
        load = demand / np.maximum(1.0, self.g_capacity)
        is_vol = vol >= 0
        stretched = np.append(load > p.residents.burnout_load, False)[vol]  # vol = -1 (none) reads the appended False
        u_quit = rng.random(r.n)
        quit_ = is_vol & (u_quit < rates.vol_quit + rates.vol_burnout * stretched)
        vol[quit_] = NO_GROUP
        # starting: members of groups that need volunteers, against competing groups nearby
        sought = self.gt.volunteers_sought(slice(0, G), self.gt.scale(self.g_members, gcl))
        gap = np.maximum(0.0, sought - self._volunteer_counts())
        seeking = (gap > 0) & self.g_open
        competitors = np.bincount(self.g_nbhd[seeking], minlength=p.place.n_neighbourhoods)
        partners = np.array([len(self.collab.get(k, ())) for k in range(G)])
        rivals = np.maximum(0, competitors[self.g_nbhd] - 1 - partners)
        placements = self.active_regime.volunteer_brokerage(self)  # a funded volunteer centre's, a year
        soften = 1.0 - 0.7 * self.connector_skill()  # a connector eases turf, by neighbourhood
        turf = p.groups.turf_penalty * soften[self.g_nbhd]
        pull = (0.5 + self.g_trust) / (1.0 + turf * rivals / np.maximum(1, competitors[self.g_nbhd]))
        self._draw_volunteers(self.streams["volunteer_draw"], seeking, gap, soften)
        m = self.members
        u_join = self.streams["volunteer_join"].random(len(m))
        ask = np.where(seeking, 1.0, p.groups.surplus_volunteering * self.g_open)
        cand = (u_join < rates.vol_join * pull[m.grp] * ask[m.grp]) & (vol[m.res] == NO_GROUP)
        who, where = m.res[cand], m.grp[cand]
        who, first = np.unique(who, return_index=True)
        vol[who] = where[first]
        self._recruit_beyond_members(self.streams["recruitment"], seeking, pull, ask)
        # brokerage by a funded volunteer centre: a bounded flow of residents placed with groups
        # that need help (a resident already volunteering is not placed again)
        if placements > 0:
            b_rng = self.streams["brokerage"]
            k = int(b_rng.poisson(placements / WEEKS_PER_YEAR))
            who = b_rng.integers(0, r.n, size=k)
            who = who[vol[who] == NO_GROUP]
            grp = self._pick_groups(who, b_rng, seeking, gap.astype(float), local_share=0.9)
            ok = grp >= 0
            vol[who[ok]] = grp[ok]
            self.placements_made += int(ok.sum())
        is_vol = vol >= 0
        self._contact += p.residents.volunteer_contact * is_vol
        vols = np.flatnonzero(is_vol)
        self.taking_part(vols, vol[vols])  # volunteers are at their group's work each week
        # what volunteering gives the volunteer, by kind (GoodGym's group runs: issue 15, item 6)
        self._contact[is_vol] += self.gt.volunteer_gain[vol[is_vol]]
        self.gt.volunteers[:G] = self._volunteer_counts()

    def _draw_volunteers(self, rng, seeking: np.ndarray, gap: np.ndarray, soften: np.ndarray) -> None:
        """Groups compete for serving volunteers (issue 15, item 3). Each week a serving volunteer
        is asked, with ``groups.volunteer_approach_per_year`` x (1 - 0.7 x the connector's skill)
        as a yearly chance, by a group of their own neighbourhood that is short of volunteers
        (chosen in proportion to how short; nobody asks where none is short); ``soften`` is that
        factor by neighbourhood. Unless it is their
        own group or a collaborating one, they move with probability (0.5 + its trust) / ((0.5 +
        its trust) + (0.5 + their group's trust)), whatever their group's own needs. A group that
        wins a contract or grows seeks more volunteers and so draws them from its neighbours; a
        group that loses them raises less (``_phase_finances``) and runs fewer places."""
        rate = self.rates.vol_approach
        if rate <= 0 or not seeking.any():
            return
        vol = self.res.vol_group
        serving = np.flatnonzero(vol >= 0)
        asked = serving[rng.random(serving.size) < rate * soften[self.res.nbhd[serving]]]
        if asked.size == 0:
            return
        own = vol[asked]
        to = self._pick_groups(asked, rng, seeking, gap, local_share=1.0)
        u = rng.random(asked.size)
        # the picker falls back on any short group in the place when none is short at home: not
        # asked, then
        ok = (to >= 0) & (to != own) & (self.g_nbhd[to] == self.res.nbhd[asked])
        asked, own, to, u = asked[ok], own[ok], to[ok], u[ok]
        attract = 0.5 + self.g_trust
        moves = u * (attract[to] + attract[own]) < attract[to]
        for i in np.flatnonzero(moves):  # a few a week: partners share, they do not draw
            if int(to[i]) in self.collab.get(int(own[i]), ()):
                moves[i] = False
        vol[asked[moves]] = to[moves]
        self.volunteers_drawn += int(moves.sum())

    def _recruit_beyond_members(self, rng, seeking: np.ndarray, pull: np.ndarray, ask: np.ndarray) -> None:
        """Volunteers from beyond a group's members (issue 15, item 2): groups that visit but run
        no activities recruit from their neighbourhood (``groups.community_recruit_pool``
        residents asked, each at a member's rate), and residents a group visits who are no longer
        lonely volunteer for it at ``groups.client_volunteer_factor`` x a member's rate, ending
        their time as its clients."""
        r, p, vol = self.res, self.params, self.res.vol_group
        base = self.rates.vol_join
        pool = p.groups.community_recruit_pool
        if pool > 0:
            gids = np.flatnonzero(self.g_visits & ~self.g_acts & seeking)
            if gids.size:
                k = rng.poisson(base * pull[gids] * pool)
                g = np.repeat(gids, k)
                idx = self._nbhd_index
                who = idx.order[idx.slot(self.g_nbhd[g], rng.random(g.size))]
                ok = vol[who] == NO_GROUP
                who, first = np.unique(who[ok], return_index=True)
                vol[who] = g[ok][first]
        f = p.groups.client_volunteer_factor
        if f > 0:
            cl = r.client_of
            idx = np.flatnonzero((cl >= 0) & (cl < PROVIDER_BASE) & (vol == NO_GROUP)
                                 & (r.loneliness < p.residents.lonely_threshold))
            gi = cl[idx]
            sel = rng.random(idx.size) < base * f * pull[gi] * ask[gi]
            vol[idx[sel]] = gi[sel]
            # their service ends early: a discharge, so an outcome contract reads the recovery
            # (up to model version 13 these recoveries were never checked, and never paid for)
            done = idx[sel]
            if done.size:
                self.active_regime.on_discharge(self, done, cl[done])
            cl[done] = NO_GROUP
