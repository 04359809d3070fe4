"""Kernels over the tie network's edge arrays (``i < j``, sorted; int32 ends, float64 weights)."""

from __future__ import annotations

import math  # noqa: F401

import numpy as np
from numba import njit

from model.kernels._jit import (  # noqa: F401
    _JIT,
    PREFETCH_AHEAD,
    PREFETCH_MIN_RESIDENTS,
    _move,
    _prefetch,
    _prefetch_distance,
)
from model.kernels.random import _U11, _U17, _U19, _U45, _normal, _xoshiro  # noqa: F401


@njit(**_JIT)
def participation(res, gid, n):
    """Each resident's groups this week, up to two, in the order noted: ``res[k]`` takes part in
    ``gid[k]``. Returns (part1, part2), int32, -1 for none."""
    part1 = np.full(n, -1, dtype=np.int32)
    part2 = np.full(n, -1, dtype=np.int32)
    for k in range(res.size):
        r, g = res[k], gid[k]
        if part1[r] < 0:
            part1[r] = g
        elif part2[r] < 0 and part1[r] != g:
            part2[r] = g
    return part1, part2


@njit(**_JIT)
def _at_group(g, a, b, part1, part2):
    """Whether both ends of a tie made at group ``g`` (a gid, or a negative origin code: never)
    take part in that group this week (each resident takes part in up to two groups)."""
    return g >= 0 and (part1[a] == g or part2[a] == g) and (part1[b] == g or part2[b] == g)


@njit(**_JIT)
def tie_contact(i, j, w, o, L, threshold, lonely_recip, disabled, disability_factor, time_budget, contact_prob, state,
                strengthen, decay, drop_below, part1, part2, group_meet_prob, lonely_met):
    """Contact along ties, then the ties' update. Each resident's time is shared over their ties'
    total weight (the time budget) and scaled by their reciprocity, ``recip`` = (``lonely_recip``
    if ``L >= threshold``) x (``disability_factor`` if disabled); a tie meets this week when ``u <
    contact_prob * w * min(effort_i, effort_j)``. A tie made at a group (origin ``o`` >= 0) whose
    two ends both take part in that group this week (``part1``/``part2``: each resident's groups
    this week, -1 for none) meets there instead: ``u < max(group_meet_prob, the rule above)``, and
    its weight takes none of either end's time budget (the group's time is shared time). A tie
    that met moves ``strengthen`` of the way to 1, the others decay by ``decay``, and ties below
    ``drop_below`` are removed (the arrays are compacted in place). ``u`` is one draw per tie, in
    edge order, from the xoshiro256+ ``state`` (advanced in place). Ties removed earlier in the
    week (weight -0.0, see ``Ties``) add nothing to the loads and are taken out here without a
    draw, exactly as if they had gone before the pass. Returns (number of meetings per resident,
    number of ties kept); ``lonely_met`` (int64, one per resident, zero on entry) receives each
    resident's meetings with an other end who is lonely (``L >= threshold``)."""
    E = i.size
    n = L.size
    ahead = _prefetch_distance(n, E)
    load = np.zeros(n)  # each resident's total tie weight, summed in edge order
    at_group = np.zeros(E, dtype=np.bool_)  # the ties that meet at their group this week
    for k in range(E):
        if k + ahead < E:
            _prefetch(load, j[k + ahead])
        wk = w[k]
        a, b = i[k], j[k]
        # (a tie removed earlier in the week, weight -0.0, never meets)
        if o[k] >= 0 and wk > 0.0 and _at_group(o[k], a, b, part1, part2):
            at_group[k] = True
            continue
        load[a] += wk
        load[b] += wk
    # each resident's effort, negative for a lonely resident (so one read of effort[b] also says
    # whether b is lonely; -0.0 keeps the sign of a lonely resident with no effort)
    effort = np.empty(n)
    for r in range(n):
        lonely = L[r] >= threshold
        recip = (lonely_recip if lonely else 1.0) * (disability_factor if disabled[r] else 1.0)
        e = recip * min(1.0, time_budget / max(load[r], 1e-9))
        effort[r] = -e if lonely else e
    # meetings per resident (low 32 bits) and meetings with a lonely other end (high 32 bits): one
    # array, so a meeting costs one store at b, as before
    meetings = np.zeros(n, dtype=np.int64)
    keep = 1.0 - decay
    # the new weight is picked from a two-entry table by the meeting (0 or 1): a branch there
    # would be mispredicted on one tie in five and, at large sizes, wait on the read of effort[b]
    new_w = np.empty(2)
    # the weights are updated in place and the (few) ties that fall below drop_below are listed,
    # then removed by moving the runs between them: cheaper than rewriting i, j and w for every tie
    drops = np.empty(E, dtype=np.int64)  # pages never written cost nothing
    nd = 0
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for k in range(E):
        if k + ahead < E:
            _prefetch(effort, j[k + ahead])
            _prefetch(meetings, j[k + ahead])
        a, b, wk = i[k], j[k], w[k]
        p0, p1, p2, p3 = s0, s1, s2, s3
        u, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)  # one draw per tie, as ``uniforms`` would
        ea, eb = effort[a], effort[b]
        p_meet = max(contact_prob * wk * min(abs(ea), abs(eb)), group_meet_prob * at_group[k])
        hit = np.int64(u < p_meet)
        meetings[a] += hit + ((hit & np.int64(math.copysign(1.0, eb) < 0.0)) << 32)
        meetings[b] += hit + ((hit & np.int64(math.copysign(1.0, ea) < 0.0)) << 32)
        new_w[0] = wk * keep
        new_w[1] = wk + strengthen * (1.0 - wk)
        x = new_w[np.int64(hit)]
        w[k] = x
        if x < drop_below:  # rare, so well predicted (a store at a data-dependent position is not)
            if _removed(wk):  # removed earlier in the week (never met: x is -0.0): take the draw back
                s0, s1, s2, s3 = p0, p1, p2, p3
            drops[nd] = k
            nd += 1
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    for r in range(n):
        lonely_met[r] = meetings[r] >> 32
        meetings[r] &= 0xFFFFFFFF
    return meetings, remove_edges(i, j, w, o, drops[:nd])


@njit(**_JIT)
def _removed(x):
    """Whether a tie's weight is the removal mark -0.0 (a live tie's weight is never negative,
    and a live weight of +0.0 is not a mark)."""
    return x == 0.0 and math.copysign(1.0, x) < 0.0


@njit(**_JIT)
def mark_residents(i, j, w, gone):
    """Mark as removed (weight -0.0) every tie with an end flagged in ``gone``. The flagged
    residents are few: their i-end runs are found by binary search and their j-end ties by one
    pass over ``j``."""
    for k in _j_end_hits(j, gone):
        w[k] = -0.0
    rows = np.flatnonzero(gone)
    lo, hi = np.searchsorted(i, rows), np.searchsorted(i, rows, side="right")
    for s in range(rows.size):
        for k in range(lo[s], hi[s]):
            w[k] = -0.0


@njit(**_JIT)
def drop_removed(i, j, w, o):
    """Take out, in place, the ties marked removed (weight -0.0); returns the new length. The
    weekly path does this inside ``tie_contact`` instead."""
    drop = np.empty(i.size, dtype=np.int64)  # pages never written cost nothing
    nd = 0
    for k in range(i.size):
        if _removed(w[k]):
            drop[nd] = k
            nd += 1
    return remove_edges(i, j, w, o, drop[:nd])


@njit(**_JIT)
def remove_edges(i, j, w, o, drop):
    """Remove the edges at the sorted, distinct positions ``drop``, in place: each run of kept edges
    after a removed one moves down (one memmove per array). Returns the new length."""
    if drop.size == 0:
        return i.size
    m = drop[0]
    for q in range(drop.size):
        start = drop[q] + 1
        end = drop[q + 1] if q + 1 < drop.size else i.size
        _move(i, start, m, end - start)
        _move(j, start, m, end - start)
        _move(w, start, m, end - start)
        _move(o, start, m, end - start)
        m += end - start
    return m


@njit(**_JIT)
def _row(i, r):
    """The range of edges whose i-end is ``r`` (edges are sorted by i)."""
    return np.searchsorted(i, r), np.searchsorted(i, r, side="right")


@njit(**_JIT)
def _j_end_hits(j, flagged):
    """Positions of the edges whose j-end is flagged (few residents), in edge order: one pass over
    ``j`` alone (the i-ends need no pass: a resident's edges as an i-end are one run, found by
    binary search)."""
    E = j.size
    ahead = _prefetch_distance(flagged.size, E)
    hits = np.empty(E, dtype=np.int64)  # pages never written cost nothing
    h = 0
    for k in range(E):
        if k + ahead < E:
            _prefetch(flagged, j[k + ahead])
        if flagged[j[k]]:  # rare, so well predicted (a store at a data-dependent position is not)
            hits[h] = k
            h += 1
    return hits[:h]


@njit(**_JIT)
def strongest_tie(i, j, w, flagged):
    """For each flagged resident (in increasing order), the index of their strongest tie (-1 if
    none). Equal weights go to the later edge, the tie as an i-end before the tie as a j-end (the
    order of a stable lexsort on (weight, resident) over the i-ends then the j-ends)."""
    rows = np.flatnonzero(flagged)
    slot = np.empty(flagged.size, dtype=np.int32)  # read only where flagged
    for s in range(rows.size):
        slot[rows[s]] = s
    best_j = np.full(rows.size, -1, dtype=np.int64)
    for k in _j_end_hits(j, flagged):
        s = slot[j[k]]
        if best_j[s] < 0 or w[k] >= w[best_j[s]]:
            best_j[s] = k
    best = np.full(rows.size, -1, dtype=np.int64)
    for s in range(rows.size):
        lo, hi = _row(i, rows[s])
        for k in range(lo, hi):
            if best[s] < 0 or w[k] >= w[best[s]]:
                best[s] = k
        if best_j[s] >= 0 and (best[s] < 0 or w[best_j[s]] >= w[best[s]]):
            best[s] = best_j[s]
    return best


@njit(**_JIT)
def merge_new(i, j, w, o, E, lo, hi, weight, origin, reinforce):
    """Merge new pairs (``lo < hi``, sorted by (lo, hi), no duplicates; each with its weight and
    origin) into the first ``E`` edges of the sorted arrays, which must have room for them (size
    >= E + number new). A pair already present is left alone or, with ``reinforce``, moved
    ``weight`` of the way to 1 (its origin stays where it was first made). Works in place
    from the back, so nothing is allocated. Returns the number of new ties."""
    k_new = lo.size
    pos = np.empty(k_new, dtype=np.int64)  # insertion point of each pair; -1 if present
    n_new = 0
    for q in range(k_new):
        a, b = lo[q], hi[q]
        left, right = 0, E
        while left < right:  # binary search on (i, j)
            mid = (left + right) // 2
            if i[mid] < a or (i[mid] == a and j[mid] < b):
                left = mid + 1
            else:
                right = mid
        if left < E and i[left] == a and j[left] == b:
            pos[q] = -1
            if reinforce:
                w[left] += weight[q] * (1.0 - w[left])
        else:
            pos[q] = left
            n_new += 1
    src = E  # edges [0, src) not yet moved
    dst = E + n_new  # slots [dst, E + n_new) filled
    for q in range(k_new - 1, -1, -1):
        p = pos[q]
        if p < 0:
            continue
        run = src - p  # edges [p, src) move up to make room
        dst -= run
        _move(i, p, dst, run)
        _move(j, p, dst, run)
        _move(w, p, dst, run)
        _move(o, p, dst, run)
        src = p
        dst -= 1
        i[dst], j[dst], w[dst], o[dst] = lo[q], hi[q], weight[q], origin[q]
    return n_new


@njit(**_JIT)
def adjacency(i, j, n):
    """Symmetric adjacency of the edges in CSR form (indptr, indices), each row's neighbours in
    increasing order (as scipy's canonical CSR of ``upper + upper.T``)."""
    E = i.size
    ahead = _prefetch_distance(n, E)
    deg = np.zeros(n + 1, dtype=np.int64)
    for k in range(E):
        if k + ahead < E:
            _prefetch(deg, j[k + ahead] + 1)
        deg[i[k] + 1] += 1
        deg[j[k] + 1] += 1
    ptr = np.cumsum(deg)
    fill = ptr[:-1].astype(np.int32)  # next free slot of each row (2E < 2^31)
    idx = np.empty(2 * E, dtype=np.int32)
    # edges are sorted by (i, j): row r first receives its lower neighbours (edges where r is the
    # j-end, in increasing i) and then its higher ones (where r is the i-end, in increasing j).
    # The j-end's row is random: its slot counter is fetched two steps ahead, then the slot.
    for k in range(E):
        if k + 2 * ahead < E:
            _prefetch(fill, j[k + 2 * ahead])
        if k + ahead < E:
            _prefetch(idx, fill[j[k + ahead]])
        a, b = i[k], j[k]
        idx[fill[a]] = b
        fill[a] += 1
        idx[fill[b]] = a
        fill[b] += 1
    return ptr, idx


@njit(**_JIT)
def close_tie_stats(i, j, w, n, close_threshold, nbhd):
    """Network outcomes: close-tie degree per resident, triangles among close ties (each counted
    once), size of the largest connected component of all ties, and the number of ties that cross
    neighbourhoods. Working arrays are int32 (half the cache footprint at large sizes)."""
    E = i.size
    ahead = _prefetch_distance(n, E)
    deg = np.zeros(n, dtype=np.int32)
    ci = np.empty(E, dtype=np.int32)
    cj = np.empty(E, dtype=np.int32)
    m = 0
    bridging = 0
    for k in range(E):
        if k + ahead < E:
            _prefetch(deg, j[k + ahead])
            _prefetch(nbhd, j[k + ahead])
        a, b = i[k], j[k]
        close = w[k] >= close_threshold
        deg[a] += close
        deg[b] += close
        ci[m], cj[m] = a, b
        m += close
        bridging += nbhd[a] != nbhd[b]
    # upper-triangle CSR of close ties (each row's higher neighbours, increasing: edges are sorted)
    ptr = np.zeros(n + 1, dtype=np.int32)
    for k in range(m):
        ptr[ci[k] + 1] += 1
    for r in range(n):
        ptr[r + 1] += ptr[r]
    # triangles a < b < c: mark a's higher neighbours, then look for them among each b's. Only a
    # row with two higher neighbours can hold one, and its highest neighbour cannot be the middle.
    mark = np.full(n, -1, dtype=np.int32)
    triangles = 0
    for a in range(n):
        lo, hi = ptr[a], ptr[a + 1]
        if hi - lo < 2:
            continue
        for p in range(lo, hi):
            mark[cj[p]] = a
        for p in range(lo, hi - 1):
            if p + ahead < m:
                _prefetch(ptr, cj[p + ahead])
            b = cj[p]
            for q in range(ptr[b], ptr[b + 1]):
                triangles += mark[cj[q]] == a
    # connected components of all ties: Rem's union-find with splicing (Patwary, Blair & Manne
    # 2010), each parent index above its child's, so a root is its set's highest member
    parent = np.arange(n).astype(np.int32)
    for k in range(E):
        if k + ahead < E:
            _prefetch(parent, j[k + ahead])
        x, y = i[k], j[k]
        while parent[x] != parent[y]:
            if parent[x] > parent[y]:  # x: the end with the lower parent
                x, y = y, x
            if x == parent[x]:  # a root: hang it under y's parent
                parent[x] = parent[y]
                break
            z = parent[x]  # splice: x now points higher, and the walk goes on from its old parent
            parent[x] = parent[y]
            x = z
    # from the highest resident down each parent (>= r) already points at its root
    size = np.zeros(n, dtype=np.int32)
    largest = 0
    for r in range(n - 1, -1, -1):
        root = parent[parent[r]]
        parent[r] = root
        size[root] += 1
        largest = max(largest, size[root])
    return deg.astype(np.int64), triangles, largest, bridging


@njit(**_JIT)
def distinct_pairs(a, b, weight, origin, n):
    """The distinct pairs among (a[k], b[k]) as (lo, hi) with lo < hi, sorted by (lo, hi), each with
    the weight and origin of its first occurrence; self-pairs are skipped (``np.unique`` of the
    keys ``lo * n + hi`` with ``return_index``)."""
    keys = np.empty(a.size, dtype=np.int64)
    src = np.empty(a.size, dtype=np.int64)
    m = 0
    for k in range(a.size):
        lo, hi = min(a[k], b[k]), max(a[k], b[k])
        if lo != hi:
            keys[m] = np.int64(lo) * n + hi
            src[m] = k
            m += 1
    keys, src = keys[:m], src[:m]
    order = np.argsort(keys, kind="mergesort")  # stable: the first occurrence leads each run
    out_lo = np.empty(m, dtype=np.int32)
    out_hi = np.empty(m, dtype=np.int32)
    out_w = np.empty(m)
    out_o = np.empty(m, dtype=np.int32)
    d = 0
    for q in range(m):
        key = keys[order[q]]
        if d == 0 or key != keys[order[q - 1]]:
            out_lo[d], out_hi[d], out_w[d], out_o[d] = key // n, key % n, weight[src[order[q]]], origin[src[order[q]]]
            d += 1
    return out_lo[:d], out_hi[:d], out_w[:d], out_o[:d]


