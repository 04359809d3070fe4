"""Compiled per-edge and per-resident kernels (numba).

The tie network has ~17 edges per resident, and a week passes over the edge arrays several times
(contact, strengthening and decay, removal, insertion, measurement). In numpy each of those passes
builds several temporary arrays; here each is one loop. The kernels do exactly the arithmetic of
the numpy expressions they replace, in the same order (sums in edge order, as ``np.bincount``
does), and take their random numbers from the caller, so results are identical to the numpy form;
the exceptions are ``tie_contact``, which draws its one uniform per tie from the caller's
xoshiro256+ state (``uniforms`` draws the same numbers into an array), and ``loneliness_update``,
which draws its one standard normal per resident from it (``normals`` draws the same numbers).
Loops over edges are written without data-dependent branches where a branch would be unpredictable
(a 0/1 factor or an unconditional write with a conditional advance), which is what makes them fast.

Edges are stored with ``i < j``, sorted by (i, j); ``i``/``j`` are int32 and ``w`` float64. A
weight of -0.0 marks a tie removed earlier in the week (``Ties`` defers removals); only
``tie_contact`` is handed such arrays, and every other kernel sees the ties after they are taken out.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_JIT = {"cache": True, "nogil": True}

# Prefetching: at large sizes the per-resident arrays that edge loops read at random (8 bytes x n)
# no longer fit the core's cache, and each such read waits on memory. Kernels then ask for the
# entry needed PREFETCH_AHEAD edges later. Below PREFETCH_MIN_RESIDENTS (arrays of ~2 MB) the data
# is in cache and the extra instructions only cost time (measured on this project's 2-core AMD
# EPYC machines: at 1M residents, contact along ties went from ~17 to ~11 ns an edge; at 10k,
# prefetching made it ~20% slower).
PREFETCH_MIN_RESIDENTS = 250_000
PREFETCH_AHEAD = 16

_U11, _U17, _U19, _U45 = np.uint64(11), np.uint64(17), np.uint64(19), np.uint64(45)


@njit(inline="always")
def _xoshiro(s0, s1, s2, s3):
    """One step of xoshiro256+ (Blackman & Vigna 2021, ACM TOMS 47:36): a double in [0, 1) from
    the top 53 bits of the output (the bits the authors recommend for floating point), and the next
    state. Kernels hold the state in registers, so a draw costs ~1 ns."""
    r = s0 + s3
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return np.float64(r >> _U11) * 1.1102230246251565e-16, s0, s1, s2, s3


def _ziggurat_tables(c: int = 128, r: float = 3.442619855899, v: float = 9.91256303526217e-3):
    """Layer edges ``x`` (c + 1) and ratios ``x[k+1] / x[k]`` (c) of the 128-layer ziggurat for the
    standard normal (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8); constants and construction as
    in Doornik 2005, "An improved ziggurat method to generate normal random samples")."""
    x = np.zeros(c + 1)
    f = np.exp(-0.5 * r * r)
    x[0], x[1] = v / f, r
    for k in range(2, c):
        x[k] = np.sqrt(-2.0 * np.log(v / x[k - 1] + f))
        f = np.exp(-0.5 * x[k] * x[k])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()
_ZIG_R = 3.442619855899


@njit(inline="always")
def _normal(s0, s1, s2, s3):
    """One standard normal draw by the ziggurat, from the xoshiro256+ state (Doornik 2005's
    ZIGNOR: the layer comes from a second draw, not from the bits of the first, so the two are
    independent). ~99% of draws take the first branch: two uniforms, a compare and a multiply."""
    xs, ratio = _ZIG_X, _ZIG_RATIO
    while True:
        u, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        v, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        u = 2.0 * u - 1.0
        k = np.int64(v * 128.0)  # the layer, uniform on 0..127
        if abs(u) < ratio[k]:
            return u * xs[k], s0, s1, s2, s3
        if k == 0:  # the tail beyond R (Marsaglia 1964)
            while True:
                a, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
                b, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
                x = np.log(1.0 - a) / _ZIG_R  # 1 - a in (0, 1]: never log(0)
                y = np.log(1.0 - b)
                if -2.0 * y >= x * x:
                    return (x - _ZIG_R if u < 0.0 else _ZIG_R - x), s0, s1, s2, s3
        x = u * xs[k]
        f0 = np.exp(-0.5 * (xs[k] * xs[k] - x * x))
        f1 = np.exp(-0.5 * (xs[k + 1] * xs[k + 1] - x * x))
        w, s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
        if f1 + w * (f0 - f1) < 1.0:
            return x, s0, s1, s2, s3


@njit(**_JIT)
def normals(state, out):
    """Fill ``out`` with standard normal draws from the xoshiro256+ ``state`` (advanced in place),
    as ``loneliness_update`` draws them; returns ``out``."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for k in range(out.size):
        out[k], s0, s1, s2, s3 = _normal(s0, s1, s2, s3)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return out


@njit(**_JIT)
def uniforms(state, out):
    """Fill ``out`` with uniform draws on [0, 1) from the xoshiro256+ ``state`` (4 uint64,
    advanced in place); returns ``out``."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for k in range(out.size):
        out[k], s0, s1, s2, s3 = _xoshiro(s0, s1, s2, s3)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return out


@intrinsic
def _move(typingctx, arr, src, dst, count):
    """Move ``arr[src:src + count]`` to ``arr[dst:dst + count]`` (the ranges may overlap) with one
    memmove: shifting a run of edges this way is ~5x faster than a loop."""
    sig = types.void(arr, types.intp, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        itemsize = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        cgutils.raw_memmove(builder, cgutils.gep(builder, a.data, args[2]),
                            cgutils.gep(builder, a.data, args[1]), args[3], itemsize)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint that ``arr[idx]`` will be used soon (LLVM's prefetch, asked for writing, which also
    serves reads); no effect on results."""
    sig = types.void(arr, types.intp)

    def codegen(context, builder, signature, args):
        a = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        ptr = builder.bitcast(cgutils.gep(builder, a.data, args[1]), i8p)
        builder.call(fn, [ptr, i32(1), i32(3), i32(1)])  # for writing, keep in all caches, data
        return context.get_dummy_value()

    return sig, codegen


@njit(**_JIT)
def _prefetch_distance(n, E):
    """How many edges ahead a loop over ``E`` edges prefetches per-resident entries (``n``
    residents): ``PREFETCH_AHEAD`` from ``PREFETCH_MIN_RESIDENTS`` on, else ``E`` (never)."""
    return PREFETCH_AHEAD if n >= PREFETCH_MIN_RESIDENTS else E


@njit(**_JIT)
def tie_contact(i, j, w, L, threshold, lonely_recip, disabled, disability_factor, time_budget, contact_prob, state,
                strengthen, decay, drop_below):
    """Contact along ties, then the ties' update. Each resident's time is shared over their ties'
    total weight (the time budget) and scaled by their reciprocity, ``recip`` = (``lonely_recip``
    if ``L >= threshold``) x (``disability_factor`` if disabled); a tie meets this week when ``u <
    contact_prob * w * min(effort_i, effort_j)``. A tie that met moves ``strengthen`` of the way to 1, the others decay
    by ``decay``, and ties below ``drop_below`` are removed (the arrays are compacted in place). ``u``
    is one draw per tie, in edge order, from the xoshiro256+ ``state`` (advanced in place).
    Ties removed earlier in the week (weight -0.0, see ``Ties``) add nothing to the loads and are
    taken out here without a draw, exactly as if they had gone before the pass. Returns (number of
    meetings per resident, number of ties kept)."""
    E = i.size
    n = L.size
    ahead = _prefetch_distance(n, E)
    load = np.zeros(n)  # each resident's total tie weight, summed in edge order
    for k in range(E):
        if k + ahead < E:
            _prefetch(load, j[k + ahead])
        wk = w[k]
        load[i[k]] += wk
        load[j[k]] += wk
    effort = np.empty(n)
    for r in range(n):
        recip = (lonely_recip if L[r] >= threshold else 1.0) * (disability_factor if disabled[r] else 1.0)
        effort[r] = recip * min(1.0, time_budget / max(load[r], 1e-9))
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
        hit = u < contact_prob * wk * min(effort[a], effort[b])
        meetings[a] += hit
        meetings[b] += hit
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
    return meetings, remove_edges(i, j, w, drops[:nd])


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
def drop_removed(i, j, w):
    """Take out, in place, the ties marked removed (weight -0.0); returns the new length. The
    weekly path does this inside ``tie_contact`` instead."""
    drop = np.empty(i.size, dtype=np.int64)  # pages never written cost nothing
    nd = 0
    for k in range(i.size):
        if _removed(w[k]):
            drop[nd] = k
            nd += 1
    return remove_edges(i, j, w, drop[:nd])


@njit(**_JIT)
def remove_edges(i, j, w, drop):
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
def merge_new(i, j, w, E, lo, hi, weight, reinforce):
    """Merge new pairs (``lo < hi``, sorted by (lo, hi), no duplicates) into the first ``E`` edges
    of the sorted arrays, which must have room for them (size >= E + number new). A pair already
    present is left alone or, with ``reinforce``, moved ``weight`` of the way to 1. Works in place
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
        src = p
        dst -= 1
        i[dst], j[dst], w[dst] = lo[q], hi[q], weight[q]
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
def weaken_shared(i, j, w, bits, factor):
    """Multiply each tie's weight by ``factor`` once for every bit its two ends share (one bit per
    closing group the two were both members of)."""
    E = i.size
    ahead = _prefetch_distance(bits.size, E)
    for k in range(E):
        if k + ahead < E:
            _prefetch(bits, j[k + ahead])
        common = bits[i[k]] & bits[j[k]]
        while common:
            common &= common - np.uint64(1)
            w[k] *= factor


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
def distinct_pairs(a, b, weight, n):
    """The distinct pairs among (a[k], b[k]) as (lo, hi) with lo < hi, sorted by (lo, hi), each with
    the weight of its first occurrence; self-pairs are skipped (``np.unique`` of the keys ``lo * n
    + hi`` with ``return_index``)."""
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
    d = 0
    for q in range(m):
        key = keys[order[q]]
        if d == 0 or key != keys[order[q - 1]]:
            out_lo[d], out_hi[d], out_w[d] = key // n, key % n, weight[src[order[q]]]
            d += 1
    return out_lo[:d], out_hi[:d], out_w[:d]


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

