"""Residents as arrays: one numpy array per attribute (Starsim style)."""

from __future__ import annotations

import numpy as np

from model.params import AGE_BANDS, ResidentParams

NO_GROUP = -1
# client_of codes: -1 none; 0..G-1 a community group's gid; PROVIDER_BASE + pid an outside provider
PROVIDER_BASE = 1 << 30
BEFORE_START = -(1 << 40)  # arrived_week of the first residents


class Residents:
    """State of every resident, one array per attribute (index = resident slot).

    A slot is reused when a resident leaves (moves away or dies): the newcomer's age band is drawn
    so the age structure stays stationary while residents age (or, without ageing, is the leaver's
    band), and everything else is drawn afresh.
    """

    __slots__ = (
        "n", "age", "nbhd", "disabled", "need", "prone", "loneliness", "weeks_lonely",
        "vol_group", "client_of", "client_since", "arrived_week",
    )

    def __init__(self, n: int, n_nbhd: int, p: ResidentParams, rng: np.random.Generator) -> None:
        self.n = n
        self.age = rng.choice(len(AGE_BANDS), size=n, p=np.asarray(p.age_shares) / sum(p.age_shares)).astype(np.int8)
        # slots are numbered neighbourhood by neighbourhood: most ties and group memberships are
        # local, so a resident's partners sit in nearby memory (at 1M residents this decides how
        # much of a pass over the ties waits on memory)
        self.nbhd = np.sort(rng.integers(0, n_nbhd, size=n)).astype(np.int32)
        self.disabled = np.zeros(n, dtype=bool)
        self.need = np.zeros(n)
        self.prone = np.zeros(n)
        self.loneliness = np.zeros(n)
        self._draw_traits(np.arange(n), p, rng)
        self.weeks_lonely = np.zeros(n, dtype=np.int32)
        self.vol_group = np.full(n, NO_GROUP, dtype=np.int64)
        self.client_of = np.full(n, NO_GROUP, dtype=np.int64)
        self.client_since = np.zeros(n, dtype=np.int64)
        # the first residents were here before any week the model counts (a newcomer who arrives in
        # week 0 must not look like the resident whose slot it takes: up to version 12 both read 0)
        self.arrived_week = np.full(n, BEFORE_START, dtype=np.int64)

    def _draw_traits(self, idx: np.ndarray, p: ResidentParams, rng: np.random.Generator) -> None:
        """Disability, sociability (need), proneness and starting loneliness for slots ``idx``.
        Always draws exactly four values per slot, so streams stay aligned."""
        k = idx.size
        u_dis, z_need, z_prone, u_lon = rng.random(k), rng.standard_normal(k), rng.standard_normal(k), rng.random(k)
        age = self.age[idx]
        self.disabled[idx] = u_dis < np.asarray(p.disability_by_age)[age]
        self.need[idx] = np.asarray(p.need_by_age)[age] * np.exp(p.need_sd * z_need - p.need_sd**2 / 2)
        self.prone[idx] = np.exp(p.proneness_sd * z_prone - p.proneness_sd**2 / 2)
        # starting loneliness: right-skewed, mean 0.9 / 3.2 = 0.28 (the burn-in settles it)
        self.loneliness[idx] = u_lon ** 2.2 * 0.9

    def age_up(self, moving: np.ndarray, p: ResidentParams) -> None:
        """Residents in ``moving`` (a mask) move up one age band; their contact need follows their
        band's (the individual's sociability relative to the band is kept). Disability and
        everything else carry over."""
        idx = np.flatnonzero(moving & (self.age < len(AGE_BANDS) - 1))
        if idx.size:
            need = np.asarray(p.need_by_age)
            old = self.age[idx]
            self.age[idx] = old + 1
            self.need[idx] *= need[old + 1] / need[old]

    def replace(self, idx: np.ndarray, week: int, p: ResidentParams, rng: np.random.Generator) -> None:
        """Newcomers take the slots ``idx``: same age band, fresh traits, no local ties."""
        self._draw_traits(idx, p, rng)
        self.weeks_lonely[idx] = 0
        self.vol_group[idx] = NO_GROUP
        self.client_of[idx] = NO_GROUP
        self.arrived_week[idx] = week

    def lonely(self, threshold: float) -> np.ndarray:
        return self.loneliness >= threshold
