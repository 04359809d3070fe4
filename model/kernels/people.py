"""Kernels over residents: loneliness, life events, joining, choosing a group, counting codes."""

from __future__ import annotations

import math  # noqa: F401

import numpy as np
from numba import njit

from model.kernels._jit import _JIT, PREFETCH_AHEAD, PREFETCH_MIN_RESIDENTS, _prefetch  # noqa: F401
from model.kernels.random import _U11, _U17, _U19, _U45, _normal, _xoshiro  # noqa: F401


@njit(**_JIT)
def pick_groups(u, v, home, local_share, eligible, weight, g_nbhd, n_nbhd):
    """For each resident (home neighbourhood ``home``), an eligible group chosen with probability
    proportional to ``weight``: among those in the home neighbourhood if ``v < local_share`` (all
    eligible groups if it has none), else among all. ``u`` picks along the cumulative weights (as
    ``searchsorted(cumsum(w), u * total, side="right")``). -1 where no group is eligible."""
    out = np.full(u.size, -1, dtype=np.int64)
    elig = np.flatnonzero(eligible)
    if elig.size == 0:
        return out
    # cumulative weights of the eligible groups: all of them, and each neighbourhood's own
    cw_all = np.cumsum(weight[elig])
    order = np.argsort(g_nbhd[elig], kind="mergesort")  # stable: keeps gid order within each
    by_nb = elig[order]
    start = np.zeros(n_nbhd + 1, dtype=np.int64)
    for g in by_nb:
        start[g_nbhd[g] + 1] += 1
    for k in range(n_nbhd):
        start[k + 1] += start[k]
    cw_nb = np.empty(by_nb.size)
    for k in range(n_nbhd):
        acc = 0.0
        for p in range(start[k], start[k + 1]):
            acc += weight[by_nb[p]]
            cw_nb[p] = acc
    for r in range(u.size):
        nb = home[r]
        if v[r] < local_share and start[nb + 1] > start[nb]:
            lo, hi = start[nb], start[nb + 1]
            cand, cw = by_nb[lo:hi], cw_nb[lo:hi]
        else:
            cand, cw = elig, cw_all
        x = np.searchsorted(cw, u[r] * cw[-1], side="right")
        out[r] = cand[min(x, cand.size - 1)]
    return out


@njit(**_JIT)
def loneliness_update(L, contact, need, prone, state, rise, fall, noise_sd, threshold, weeks_lonely, nbhd,
                      n_nbhd):
    """The weekly loneliness balance (ODD 7.1), in place on ``L`` and ``weeks_lonely`` (weeks in a
    row at or above ``threshold``); the noise ``z`` is one standard normal per resident, in order,
    from the xoshiro256+ ``state`` (advanced in place; ``normals`` draws the same numbers). Returns
    the lonely share of each neighbourhood."""
    lonely_nb = np.zeros(n_nbhd)
    count_nb = np.zeros(n_nbhd, dtype=np.int64)
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for r in range(L.size):
        z, s0, s1, s2, s3 = _normal(s0, s1, s2, s3)
        s = contact[r] / need[r]
        shortfall = min(max(1.0 - s, 0.0), 1.0)
        met = min(max(s, 0.0), 1.0)
        x = L[r]
        x = x + (rise * prone[r] * shortfall * (1.0 - x) - fall / prone[r] * met * x + noise_sd * z)
        x = min(max(x, 0.0), 1.0)
        L[r] = x
        lonely = x >= threshold
        weeks_lonely[r] = weeks_lonely[r] + 1 if lonely else 0
        lonely_nb[nbhd[r]] += lonely
        count_nb[nbhd[r]] += 1
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return lonely_nb / np.maximum(1, count_nb)


@njit(**_JIT)
def code_counts(codes, n_low, base, n_high):
    """Counts of the codes in ``[0, n_low)`` and, separately, of those in ``[base, base + n_high)``
    (as two ``np.bincount`` calls on the selected codes; negative codes are skipped). Used for
    residents' group and provider codes (client of, volunteer for), one pass instead of masks."""
    low = np.zeros(n_low, dtype=np.int64)
    high = np.zeros(n_high, dtype=np.int64)
    for c in codes:
        if c >= base:
            high[c - base] += 1
        elif c >= 0:
            low[c] += 1
    return low, high


@njit(**_JIT)
def joiners(u, join, L, threshold, lonely_factor, need, mean_need, sector_trust, nbhd, disabled,
            disability_factor, n_memberships, max_memberships):
    """Residents who look for a group this week: ``u < p`` with p = join x (lonely_factor if
    lonely) x need / mean need x trust in the sector of their neighbourhood x (disability_factor
    if disabled), among those below ``max_memberships`` (the numpy expression's products, in its
    order)."""
    out = np.empty(u.size, dtype=np.int64)
    m = 0
    for r in range(u.size):
        p = join * (lonely_factor if L[r] >= threshold else 1.0)
        p = p * (need[r] / mean_need)
        p = p * sector_trust[nbhd[r]]
        p = p * (disability_factor if disabled[r] else 1.0)
        if u[r] < p and n_memberships[r] < max_memberships:
            out[m] = r
            m += 1
    return out[:m]


@njit(**_JIT)
def life_events(u_bereave, u_ill, bereavement, age, illness, recovery, disabled, L, rise):
    """Bereavement (``u_bereave < bereavement[age]``), illness onset among residents not disabled
    (``u_ill < illness[age]``, which makes them disabled) and recovery among the disabled
    (``u_ill < recovery[age]``, which ends it). Bereavement and onset raise loneliness by ``rise``
    (capped at 1). In place on ``disabled`` and ``L``; returns who was bereaved."""
    bereaved = np.empty(L.size, dtype=np.bool_)
    for r in range(L.size):
        b = u_bereave[r] < bereavement[age[r]]
        ill = False
        if disabled[r]:
            if u_ill[r] < recovery[age[r]]:
                disabled[r] = False
        elif u_ill[r] < illness[age[r]]:
            disabled[r] = True
            ill = True
        if b or ill:
            L[r] = min(1.0, L[r] + rise)
        bereaved[r] = b
    return bereaved


