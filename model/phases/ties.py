"""Ties between residents: contact along them, the loneliness balance, new ties."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from model import kernels
from model.network import ORIGIN_FRIEND_OF_FRIEND, ORIGIN_NEIGHBOURS
from model.params.base import LONELY_HISTORY_WEEKS


class TiePhases:
    """Contact along ties, loneliness, and new ties. A part of :class:`CommunityModel`."""

    def _queue_ties(self, a: np.ndarray, b: np.ndarray, origin: int | np.ndarray) -> None:
        """New acquaintances (or a meeting that reinforces an existing tie), added in the ties
        phase, made at ``origin`` (a group's gid, one per pair or one for all, or an ``ORIGIN_*``)."""
        self._new_a.append(a)
        self._new_b.append(b)
        self._new_w.append(np.full(a.size, self.params.ties.new_tie_weight))
        self._new_o.append(np.broadcast_to(np.asarray(origin, dtype=np.int32), a.shape))

    def taking_part(self, res: np.ndarray, gids: np.ndarray) -> None:
        """Residents ``res`` take part in groups ``gids`` this week (attend, volunteer, are visited):
        ties made there can meet there (``_participation``)."""
        self._at_groups.append((res, gids))

    def _participation(self) -> tuple[np.ndarray, np.ndarray]:
        """Each resident's groups this week, up to two (-1: none), in the order they were noted."""
        n = self.res.n
        if not self._at_groups or self.params.ties.group_meet_prob == 0:
            return np.full(n, -1, dtype=np.int32), np.full(n, -1, dtype=np.int32)
        res = np.concatenate([r for r, _ in self._at_groups]).astype(np.int64)
        gid = np.concatenate([g for _, g in self._at_groups]).astype(np.int32)
        return kernels.participation(res, gid, n)

    def ties_matrix(self, min_weight: float = 0.0) -> sp.csr_matrix:
        return self.ties.matrix(min_weight)

    def _phase_tie_contact(self) -> None:
        """Contact along ties, less often for lonely residents; ties strengthen with contact,
        decay without it."""
        r, t, p = self.res, self.ties, self.params
        rng = self.streams["contact"]
        # reciprocity: lower for lonely residents and for disabled residents (in the kernel)
        # time budget: a resident whose ties weigh more than they can keep up shares their time;
        # a tie meets with probability contact_prob * weight * the lower effort of its two ends.
        # Then ties that met strengthen, the others decay, and those below drop_below are gone.
        # The kernel also takes out the ties removed earlier in the week (bereavement, turnover).
        # Ties made at a group whose two ends both take part in it this week meet there, outside
        # either one's time budget (ties.group_meet_prob; issue 15, item 1).
        part1, part2 = self._participation()
        lonely_met = np.zeros(r.n, dtype=np.int64)
        meetings, kept = kernels.tie_contact(*t.marked(), r.loneliness, p.residents.lonely_threshold,
                                             p.residents.lonely_reciprocity, r.disabled,
                                             p.residents.disability_contact_factor, p.ties.time_budget,
                                             p.ties.contact_prob, rng.uniform_state, p.ties.strengthen,
                                             p.ties.decay, p.ties.drop_below, part1, part2, p.ties.group_meet_prob,
                                             lonely_met)
        t.compact(kept)
        # time with a lonely friend restores less (ties.lonely_alter_contact of a meeting's contact)
        self._contact += p.ties.tie_contact * (meetings - (1.0 - p.ties.lonely_alter_contact) * lonely_met)

    def _phase_loneliness(self) -> None:
        """Loneliness rises when contact falls short of need and falls when met."""
        r, p = self.res, self.params.residents
        rng = self.streams["loneliness"]
        # L += rise * prone * shortfall * (1 - L) - fall / prone * met * L + noise, clipped to [0, 1],
        # with s = contact / need, shortfall = clip(1 - s), met = clip(s), noise = sd x a standard
        # normal drawn in the kernel (ziggurat on the stream's xoshiro256+; model/kernels/random.py)
        by_nb = kernels.loneliness_update(r.loneliness, self._contact, r.need, r.prone, rng.uniform_state, p.loneliness_rise,
                                          p.loneliness_fall, p.loneliness_noise_sd, p.lonely_threshold,
                                          r.weeks_lonely, r.nbhd, self.params.place.n_neighbourhoods)
        self._lonely_hist.append(by_nb)
        if len(self._lonely_hist) > LONELY_HISTORY_WEEKS + 1:  # (as long as the council may look back)
            self._lonely_hist.pop(0)

    def _phase_ties(self) -> None:
        """New ties form: neighbours, friends of friends, the week's acquaintances."""
        t, p = self.ties, self.params.ties
        rng = self.streams["neighbours"]
        n = self.res.n
        u = rng.random(n)
        who = np.flatnonzero(u < self.rates.neighbour)
        self._queue_ties(who, self._partners_near(who, rng, p.bridging_share), ORIGIN_NEIGHBOURS)
        # triadic closure: some residents meet a friend's friend (processed every 4 weeks, with
        # the 4-week probability, to build the adjacency matrix once a month rather than weekly)
        rng = self.streams["triadic"]
        u2 = rng.random(n)
        who = np.flatnonzero(u2 < self.rates.triadic) if self.week % 4 == 0 else np.empty(0, dtype=np.int64)
        if who.size and len(t):
            ptr, idx = kernels.adjacency(t.i, t.j, n)
            deg = ptr[who + 1] - ptr[who]
            who, deg = who[deg > 0], deg[deg > 0]
            friend = idx[ptr[who] + (rng.random(who.size) * deg).astype(np.int64)]
            fdeg = ptr[friend + 1] - ptr[friend]
            fof = idx[ptr[friend] + (rng.random(who.size) * fdeg).astype(np.int64)]
            self._queue_ties(who, fof, ORIGIN_FRIEND_OF_FRIEND)
        a, b, w = np.concatenate(self._new_a), np.concatenate(self._new_b), np.concatenate(self._new_w)
        t.add(a, b, w, reinforce=True, origin=np.concatenate(self._new_o))
