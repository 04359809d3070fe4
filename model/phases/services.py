"""Services: intake of lonely residents, visits and calls, discharge; referrals."""

from __future__ import annotations

import numpy as np

from model import kernels
from model.agents import CommunityGroup, OutsideProvider
from model.phases import Buckets, stable_order
from model.residents import NO_GROUP, PROVIDER_BASE


class ServicePhases:
    """One-to-one services by groups and outside providers. A part of :class:`CommunityModel`."""

    def _client_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Clients per group and per outside provider."""
        return kernels.code_counts(self.res.client_of, len(self.all_groups), PROVIDER_BASE, len(self.providers))

    def discharge_provider_clients(self, prov: OutsideProvider) -> None:
        self.res.client_of[self.res.client_of == PROVIDER_BASE + prov.pid] = NO_GROUP

    def refer(self, detection: float, rng: np.random.Generator, *, k: int | None = None,
              where: np.ndarray | None = None) -> None:
        """Referrals (social prescribing or connectors), either ``k`` of them anywhere in the place
        or one in each neighbourhood listed in ``where`` (a connector's, whose residents it finds):
        each finds a lonely resident with probability ``detection`` (else any resident, lonely or
        not), who joins a nearby group and, where a visiting group has a free place, becomes its
        client."""
        if (k is None) == (where is None):
            raise TypeError("refer() takes either k or where")
        if where is not None:
            where = where[self._nbhd_index.counts[where] > 0]  # (no one to find in an empty neighbourhood)
            k = where.size
        if k <= 0:
            return
        thr = self.params.residents.lonely_threshold
        lonely = np.flatnonzero(self.res.loneliness >= thr)
        u = rng.random(k)
        if where is None:
            pick_any = rng.integers(0, self.res.n, size=k)
            pick_lonely = lonely[rng.integers(0, lonely.size, size=k)] if lonely.size else pick_any
        else:
            idx = self._nbhd_index
            pick_any = idx.order[idx.slot(where, rng.random(k))]
            by_nb = Buckets.of(self.res.nbhd[lonely], self.params.place.n_neighbourhoods)
            lon = lonely[by_nb.order]  # the lonely, by neighbourhood
            has = by_nb.counts[where] > 0
            j = by_nb.slot(where, rng.random(k))
            pick_lonely = np.where(has, lon[np.minimum(j, lon.size - 1)], pick_any) if lon.size else pick_any
        who = np.unique(np.where(u < detection, pick_lonely, pick_any))
        self.recount_groups()
        room = self.g_acts & (self.g_activity_places > self.g_members)
        grp = self._pick_groups(who, rng, room, self.g_trust + 0.1, local_share=self.params.groups.referral_local_share)
        ok = grp >= 0
        joined, into = who[ok], grp[ok]
        G = len(self.all_groups)
        # a referral into a group the resident already belongs to changes nothing; a new one is
        # on trial for the support period (groups.referral_adherence, _referral_dropout)
        m = self.members
        mine = np.isin(m.res, joined)
        new = ~np.isin(joined * G + into, m.res[mine] * G + m.grp[mine])
        tr, tg, ts = self.trials
        self.trials = (np.concatenate([tr, joined[new]]), np.concatenate([tg, into[new]]),
                       np.concatenate([ts, np.full(int(new.sum()), self.week, dtype=np.int64)]))
        m.add(joined, into, G)
        gclients, _ = self._client_counts()
        # whole free places, as the weekly intake counts them; a group takes at most its free places
        # from one call, the residents referred in the order of their index (up to model version 14
        # a fraction of a place counted as room, and every pick of a call saw the room as it was
        # before the call)
        free = np.floor(self._visit_places()) - gclients
        visit_room = self.g_visits & (free > 0)
        cand = who[self.res.client_of[who] == NO_GROUP]
        svc = self._pick_groups(cand, rng, visit_room, np.ones(len(self.all_groups)),
                                local_share=self.params.groups.referral_local_share)
        ok = svc >= 0
        picked = np.flatnonzero(ok)
        order = picked[np.argsort(svc[picked], kind="stable")]  # by group, in pick order within each
        g_sorted = svc[order]
        rank = np.arange(order.size) - np.searchsorted(g_sorted, g_sorted)  # a pick's place in its group's
        ok[order[rank >= free[g_sorted]]] = False
        self.res.client_of[cand[ok]] = svc[ok]
        self.res.client_since[cand[ok]] = self.week

    def visit_places_of(self, g: CommunityGroup) -> float:
        return float(self.g_capacity[g.gid] * self.g_visit_share[g.gid] + g.contract_places)

    def trim_clients(self, holder: CommunityGroup | OutsideProvider) -> None:
        """A group or outside provider that has lost places (a contract ended, varied or handed
        back) keeps only the clients its places now carry (a group's visiting places, its own and
        its contracts'; a provider's contract places); the rest, the newest first, are discharged
        early, as an outside provider's clients leave with it."""
        r = self.res
        provider = isinstance(holder, OutsideProvider)
        if provider:
            code, places = PROVIDER_BASE + holder.pid, holder.contract_places
        else:
            code, places = holder.gid, int(np.floor(self.visit_places_of(holder)))
        mine = np.flatnonzero(r.client_of == code)
        if mine.size > places:
            newest = mine[np.argsort(-r.client_since[mine], kind="stable")]
            r.client_of[newest[: mine.size - places]] = NO_GROUP
            # its count, read (finances, outcome slices) until the next recount
            if provider:
                holder.clients = places
            else:
                self.gt.clients[holder.gid] = places

    def contract_clients(self, gids) -> np.ndarray:
        """The clients of the groups ``gids`` counted against their contracts: a holder's clients
        are not labelled by contract, and it reports them against its contracts first (it is paid
        for those places), so up to all its contract places; the rest are its own. Each contract
        has its places' share of these. The one definition used by a holder's reserves
        (``group_finances``), an outcome contract's working capital (``OutcomesBased.weekly``) and
        the slice in which a discharge is a contract's outcome (``OutcomesBased._slice``). In model
        version 14 the working capital and the outcomes used the contracts' share of all the
        holder's visiting places instead, so the reserves paid for more client-weeks (in one run 10
        against 6.15) than the capital tracked or the outcomes could pay for."""
        gt = self.gt
        return np.minimum(gt.clients[gids], gt.contract_places[gids])

    def _visit_places(self) -> np.ndarray:
        """One-to-one visit places a week per group: all of a visiting group's capacity if it runs
        no activities, else 30% of it; plus its contract places."""
        return self.g_capacity * self.g_visit_share + self.gt.contract_places[:len(self.all_groups)]

    def _phase_services(self) -> None:
        """Intake of lonely residents, visits and calls, discharge and outcome checks."""
        r, p = self.res, self.params
        rng = self.streams["services"]
        thr = p.residents.lonely_threshold
        gcl, pcl = self._client_counts()
        # discharge after the support period; outcome verification for outcome contracts
        c = r.client_of
        done = np.flatnonzero((c >= 0) & (self.week - r.client_since >= p.groups.service_weeks))
        if done.size:
            self.active_regime.on_discharge(self, done, c[done])  # e.g. outcomes verified
            c[done] = NO_GROUP
        # withdrawal: a client may drop out before the end (groups.service_dropout over the period)
        if self.rates.service_dropout > 0:
            on = np.flatnonzero(c >= 0)
            c[on[self.streams["withdrawal"].random(on.size) < self.rates.service_dropout]] = NO_GROUP
        if done.size or self.rates.service_dropout > 0:
            gcl, pcl = self._client_counts()
        # intake: services with free places find lonely residents in their catchment
        free_g = np.where(self.g_visits, np.floor(self._visit_places() - gcl), 0).astype(np.int64)
        free_p = np.array([pv.contract_places - k for pv, k in zip(self.providers, pcl, strict=True)], dtype=np.int64)
        pool_mask = (r.loneliness >= thr) & (c == NO_GROUP)
        takes_g = rng.binomial(np.maximum(free_g, 0), self.rates.intake) if free_g.size else free_g
        takes_p = rng.binomial(np.maximum(free_p, 0), self.rates.intake) if free_p.size else free_p
        if takes_g.sum() + takes_p.sum() > 0:
            pool = np.flatnonzero(pool_mask)
            rng.shuffle(pool)
            taken = np.zeros(r.n, dtype=bool)
            # the pool by neighbourhood (shuffled order kept within each): a group takes the next
            # residents of its own neighbourhood's slice
            by_nb = pool[stable_order(r.nbhd[pool], self.params.place.n_neighbourhoods)]
            nbs = r.nbhd[by_nb]
            nb_ids = np.arange(self.params.place.n_neighbourhoods)
            next_free, nb_end = np.searchsorted(nbs, nb_ids), np.searchsorted(nbs, nb_ids, side="right")
            for gid in np.flatnonzero(takes_g):
                k = self.g_nbhd[gid]
                lo = next_free[k]
                hi = min(nb_end[k], lo + takes_g[gid])
                cand = by_nb[lo:hi]
                next_free[k] = hi
                c[cand] = gid
                r.client_since[cand] = self.week
                taken[cand] = True
            for pid in np.flatnonzero(takes_p):
                # in pool order, unless the regime says otherwise (creaming under outcome payments)
                free = self.active_regime.intake_order(self, int(pid), pool[~taken[pool]])
                cand = free[: takes_p[pid]]
                c[cand] = PROVIDER_BASE + pid
                r.client_since[cand] = self.week
                taken[cand] = True
        # delivery: visits by local volunteers (which can become ties), calls by providers
        u, v = rng.random(r.n), rng.random(r.n)
        by_group = (c >= 0) & (c < PROVIDER_BASE)
        by_prov = c >= PROVIDER_BASE
        visited = by_group & (u < p.groups.visit_weekly_prob)
        called = by_prov & (u < p.providers.call_weekly_prob * (1.0 - 0.5 * p.providers.staff_turnover_per_year))
        self._contact[visited] += p.residents.visit_contact
        self._contact[called] += p.residents.phone_contact
        # a visit can turn into a friendship with the visiting volunteer, at its kind's rate
        # (GroupKindParams.visit_tie_per_week; GoodGym's runners more often)
        tie_p = self.gt.visit_tie_per_week
        vis = np.flatnonzero(visited)
        self.taking_part(vis, c[vis])
        befriend = vis[v[vis] < tie_p[c[vis]]]
        if befriend.size:
            vols = np.flatnonzero(r.vol_group >= 0)
            by_grp = Buckets.of(r.vol_group[vols], len(self.all_groups))
            vols = vols[by_grp.order]
            gid = c[befriend]
            has = by_grp.counts[gid] > 0
            u_pick = v[befriend][has] / tie_p[gid[has]]  # uniform on [0, 1) again
            pick = by_grp.slot(gid[has], u_pick)
            self._queue_ties(befriend[has], vols[np.minimum(pick, vols.size - 1)], gid[has])
        # a provider's call occasionally signposts the client to a local group
        signpost = np.flatnonzero(called & (v < p.providers.signpost_prob * p.providers.tie_formation_factor))
        if signpost.size:
            room = self.g_acts & (self.g_activity_places > self.g_members)
            grp = self._pick_groups(signpost, self.streams["signposting"], room, self.g_trust + 0.05,
                                   local_share=1.0)
            ok = grp >= 0
            self.members.add(signpost[ok], grp[ok], len(self.all_groups))
        gcl, pcl = self._client_counts()
        self.gt.clients[:len(self.all_groups)] = gcl
        for pv, k in zip(self.providers, pcl, strict=True):
            pv.clients = int(k)
