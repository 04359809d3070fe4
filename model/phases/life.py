"""Life and turnover: the first ties of the population, bereavement and illness, moves and deaths."""

from __future__ import annotations

import numpy as np

from model import kernels
from model.network import ORIGIN_ELSEWHERE


class LifePhases:
    """Residents' lives: bereavement, illness, moving away or dying, newcomers. A part of :class:`CommunityModel`."""

    def _init_ties(self, rng: np.random.Generator) -> None:
        p = self.params.ties
        n = self.res.n
        m = int(n * p.initial_ties_mean / 2)
        a = rng.integers(0, n, size=m)
        b = self._partners_near(a, rng, p.bridging_share)
        close = rng.random(m) < p.initial_close_share
        w = np.where(close, rng.uniform(p.close_threshold, 1.0, m), rng.uniform(0.1, p.close_threshold, m))
        self.ties.add(a, b, 0.0)
        # weights: each tie takes the weight drawn for its (first) pair
        keys = np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)
        order = np.argsort(keys, kind="stable")
        pos = np.searchsorted(keys[order], self.ties.keys())
        self.ties.w = w[order][pos]

    def _partners_near(self, a: np.ndarray, rng: np.random.Generator, bridging: float) -> np.ndarray:
        """A random partner for each resident in ``a``: in the same neighbourhood, except a
        ``bridging`` share anywhere in the place. Draws exactly two values per resident."""
        n = self.res.n
        u, v = rng.random(a.size), rng.random(a.size)
        local = self._nbhd_index.order[self._nbhd_index.slot(self.res.nbhd[a], u)]
        anywhere = (u * n).astype(np.int64)
        return np.where(v < bridging, anywhere, local)

    def _phase_life_events(self) -> None:
        """Bereavement breaks a close tie; a limiting illness starts or ends (by age band);
        bereavement and onset raise loneliness."""
        r, p = self.res, self.params.residents
        rng = self.streams["life_events"]
        u_b, u_i = rng.random(r.n), rng.random(r.n)
        # bereavement by age band; illness onset makes a resident disabled; both raise loneliness
        bereaved = kernels.life_events(u_b, u_i, self.rates.bereavement, r.age, self.rates.illness,
                                       self.rates.recovery, r.disabled, r.loneliness, p.life_event_loneliness)
        if bereaved.any() and len(self.ties):
            # each bereaved resident loses their strongest tie
            t = self.ties
            best = np.sort(kernels.strongest_tie(t.i, t.j, t.w, bereaved))  # one per bereaved resident
            # distinct (one tie can be both ends' strongest) and existing (-1: no tie), sorted
            best = best[(best >= 0) & (best != np.append(-1, best[:-1]))]
            t.remove_edges(best)

    def _phase_turnover(self) -> None:
        """Residents age into the next band; residents move away or die; newcomers arrive with
        few local ties, their age bands drawn to keep the age structure."""
        r = self.res
        rng = self.streams["turnover"]
        leave = rng.random(r.n) < self.rates.move_or_die[r.age]
        if self.params.residents.ageing:  # the stayers grow older: some move up a band
            r.age_up((self.streams["ageing"].random(r.n) < self.rates.ageing[r.age]) & ~leave,
                     self.params.residents)
        idx = np.flatnonzero(leave)
        if idx.size == 0:
            return
        self.ties.remove_residents(leave)
        self.members.keep(~leave[self.members.res])
        if self.params.residents.ageing:  # newcomers' bands keep the age structure (model.newcomer_bands)
            bands = np.searchsorted(self.rates.newcomer_bands, rng.random(idx.size), side="right")
            r.age[idx] = np.minimum(bands, r.age.dtype.type(len(self.rates.ageing) - 1))
        r.replace(idx, self.week, self.params.residents, rng)
        k = self.params.ties.newcomer_ties
        if k > 0:  # added with the week's other new ties (one insertion a week), already close
            a = np.repeat(idx, k)
            self._new_a.append(a)
            self._new_b.append(self._partners_near(a, rng, 0.0))
            self._new_w.append(np.full(a.size, self.params.ties.close_threshold + 0.1))
            self._new_o.append(np.full(a.size, ORIGIN_ELSEWHERE, dtype=np.int32))
