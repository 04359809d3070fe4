"""Ties and memberships as edge arrays."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from model.network import Memberships, Ties


def test_ties_are_undirected_unique_and_sorted():
    t = Ties(10)
    added = t.add(np.array([3, 1, 1, 4, 5]), np.array([1, 3, 2, 4, 6]), 0.3)
    assert added == 3  # (1,3) once, (1,2), (5,6); the self-pair (4,4) is ignored
    assert np.all(t.i < t.j)
    assert np.all(np.diff(t.keys()) > 0)
    assert t.add(np.array([2]), np.array([1]), 0.9) == 0  # existing pair
    assert np.allclose(t.w, 0.3)


def test_reinforce_moves_existing_weight_towards_one():
    t = Ties(5)
    t.add(np.array([0]), np.array([1]), 0.2)
    t.add(np.array([1]), np.array([0]), 0.5, reinforce=True)
    assert t.w[0] == pytest.approx(0.2 + 0.5 * 0.8)


def test_remove_residents_and_matrix_symmetry():
    t = Ties(6)
    t.add(np.array([0, 0, 1, 2]), np.array([1, 2, 3, 4]), 0.6)
    gone = np.zeros(6, dtype=bool)
    gone[0] = True
    t.remove_residents(gone)
    assert len(t) == 2 and not np.any((t.i == 0) | (t.j == 0))
    m = t.matrix()
    assert (m != m.T).nnz == 0
    assert m.shape == (6, 6)


def test_degree_matches_networkx():
    rng = np.random.default_rng(0)
    t = Ties(40)
    t.add(rng.integers(0, 40, 120), rng.integers(0, 40, 120), 0.7)
    g = nx.Graph()
    g.add_nodes_from(range(40))
    g.add_edges_from(zip(t.i.tolist(), t.j.tolist(), strict=True))
    assert t.degree().tolist() == [g.degree[k] for k in range(40)]


def test_memberships_skip_duplicates():
    m = Memberships()
    assert m.add(np.array([1, 1, 2]), np.array([0, 0, 0]), n_groups=3) == 2
    assert m.add(np.array([1, 3]), np.array([0, 1]), n_groups=3) == 1
    assert m.counts_by_group(3).tolist() == [2, 1, 0]


def test_compiled_edge_updates_match_a_plain_reference():
    """Many rounds of insertion (with duplicates and reinforcement, reusing the spare room of the
    buffers), removal of residents and of single ties, checked against a dict of pairs."""
    rng = np.random.default_rng(3)
    n = 60
    t = Ties(n)
    ref: dict[tuple[int, int], float] = {}
    made: dict[tuple[int, int], int] = {}  # where each tie was made
    for round_ in range(40):
        a, b = rng.integers(0, n, 25), rng.integers(0, n, 25)
        w = rng.uniform(0.1, 0.9, 25)
        o = rng.integers(-3, 8, 25).astype(np.int32)
        reinforce = round_ % 2 == 1
        seen = set()
        new = 0
        for x, y, wt, ot in zip(a.tolist(), b.tolist(), w.tolist(), o.tolist(), strict=True):
            key = (min(x, y), max(x, y))
            if x == y or key in seen:
                continue  # self-pairs ignored; a pair's first occurrence counts
            seen.add(key)
            if key in ref:
                if reinforce:
                    ref[key] += wt * (1.0 - ref[key])  # a tie keeps the origin it was made at
            else:
                ref[key] = wt
                made[key] = ot
                new += 1
        assert t.add(a, b, w, reinforce=reinforce, origin=o) == new
        if round_ % 5 == 4:
            gone = rng.random(n) < 0.05
            t.remove_residents(gone)
            ref = {k: v for k, v in ref.items() if not (gone[k[0]] or gone[k[1]])}
        if round_ % 7 == 6 and len(t):
            drop = np.unique(rng.integers(0, len(t), 3))
            for k in drop.tolist():
                del ref[(int(t.i[k]), int(t.j[k]))]
            t.remove_edges(drop)
        assert list(zip(t.i.tolist(), t.j.tolist(), strict=True)) == sorted(ref)
        assert np.allclose(t.w, [ref[k] for k in sorted(ref)], rtol=0, atol=1e-15)
        assert t.o.tolist() == [made[k] for k in sorted(ref)]


def test_network_outcomes_match_networkx():
    from model import kernels

    rng = np.random.default_rng(4)
    n = 80
    t = Ties(n)
    t.add(rng.integers(0, n, 300), rng.integers(0, 20, 300), rng.uniform(0.1, 1.0, 300))
    nbhd = rng.integers(0, 3, n).astype(np.int32)
    deg, triangles, largest, bridging = kernels.close_tie_stats(t.i, t.j, t.w, n, 0.5, nbhd)
    close = nx.Graph()
    close.add_nodes_from(range(n))
    close.add_edges_from((a, b) for a, b, w in zip(t.i.tolist(), t.j.tolist(), t.w.tolist(), strict=True) if w >= 0.5)
    everyone = nx.Graph()
    everyone.add_nodes_from(range(n))
    everyone.add_edges_from(zip(t.i.tolist(), t.j.tolist(), strict=True))
    assert deg.tolist() == [close.degree[k] for k in range(n)]
    assert triangles == sum(nx.triangles(close).values()) // 3 > 0
    assert largest == max(len(c) for c in nx.connected_components(everyone))
    assert bridging == sum(nbhd[a] != nbhd[b] for a, b in everyone.edges)
    ptr, idx = kernels.adjacency(t.i, t.j, n)
    for k in range(n):
        assert idx[ptr[k]:ptr[k + 1]].tolist() == sorted(everyone.neighbors(k))


def test_pick_groups_matches_the_numpy_rule():
    """Local with probability local_share (all eligible groups if none is local), chosen along the
    cumulative weights, as searchsorted(cumsum(w), u * total, side="right")."""
    from model import kernels

    rng = np.random.default_rng(5)
    G, nb = 30, 5
    g_nbhd = rng.integers(0, nb, G)
    g_nbhd[g_nbhd == 4] = 3  # neighbourhood 4 has no groups
    eligible = rng.random(G) < 0.6
    weight = rng.uniform(0.0, 2.0, G)
    home = rng.integers(0, nb, 500)
    u, v = rng.random(500), rng.random(500)
    got = kernels.pick_groups(u, v, home, 0.7, eligible & (weight > 0), weight, g_nbhd, nb)
    elig = np.flatnonzero(eligible & (weight > 0))
    for k in range(500):
        cand = elig[g_nbhd[elig] == home[k]] if v[k] < 0.7 else elig
        cand = cand if cand.size else elig
        cw = np.cumsum(weight[cand])
        assert got[k] == cand[min(np.searchsorted(cw, u[k] * cw[-1], side="right"), cand.size - 1)]
    none = kernels.pick_groups(u, v, home, 0.7, np.zeros(G, dtype=bool), weight, g_nbhd, nb)
    assert (none == -1).all()


def _random_ties(n: int, m: int, seed: int) -> Ties:
    """Mostly local ties (ends close in number, so triangles occur), some anywhere; a third made
    at one of 30 groups, the rest elsewhere."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, m)
    b = np.where(rng.random(m) < 0.8, (a + rng.integers(1, 40, m)) % n, rng.integers(0, n, m))
    t = Ties(n)
    t.add(a, b, rng.uniform(0.1, 1.0, m), origin=np.where(rng.random(m) < 0.33, rng.integers(0, 30, m), -1))
    return t


def _participation(t: Ties, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Each resident's groups this week (up to two of the 30; -1 none): the two ends of some of
    the ties made at a group take part in it (later ties overwrite earlier ones), some residents
    in a second group at random."""
    rng = np.random.default_rng(seed)
    part1, part2 = np.full(t.n, -1, dtype=np.int32), np.full(t.n, -1, dtype=np.int32)
    some = np.flatnonzero((t.o >= 0) & (rng.random(len(t)) < 0.2))
    part1[t.i[some]], part1[t.j[some]] = t.o[some], t.o[some]
    part2[:] = np.where(rng.random(t.n) < 0.1, rng.integers(0, 30, t.n), -1)
    return part1, part2


# Both sizes: the kernels prefetch from PREFETCH_MIN_RESIDENTS residents on, and not below.
@pytest.mark.parametrize("n", [2_000, 300_000])
def test_tie_contact_kernel_matches_the_numpy_rule(n):
    from model import kernels

    assert (n >= kernels.PREFETCH_MIN_RESIDENTS) == (n == 300_000)
    t = _random_ties(n, 4 * n, seed=n)
    rng = np.random.default_rng(1)
    L, disabled = rng.random(n), rng.random(n) < 0.2
    recip = np.where(L >= 0.8, 0.7, 1.0) * np.where(disabled, 0.6, 1.0)
    state = np.array([1, 2, 3, n], dtype=np.uint64)
    u = kernels.uniforms(state.copy(), np.empty(len(t)))  # the kernel draws these, one per tie in order
    i, j, w, o = t.i.copy(), t.j.copy(), t.w.copy(), t.o.copy()
    part1, part2 = _participation(t, seed=n + 1)
    budget, cp, s, d, drop, gm = 5.8, 0.8, 0.08, 0.02, 0.12, 0.3
    # the rule in numpy: ties made at a group both ends take part in this week meet there (with
    # at least probability gm) and take no time; the others share each end's time budget by weight
    both = (o >= 0) & ((part1[i] == o) | (part2[i] == o)) & ((part1[j] == o) | (part2[j] == o))
    load = np.bincount(i, w * ~both, n) + np.bincount(j, w * ~both, n)
    effort = recip * np.minimum(1.0, budget / np.maximum(load, 1e-9))
    p_meet = cp * w * np.minimum(effort[i], effort[j])
    hit = u < np.where(both, np.maximum(p_meet, gm), p_meet)
    new_w = np.where(hit, w + s * (1.0 - w), w * (1.0 - d))
    kept = new_w >= drop
    after = state.copy()
    kernels.uniforms(after, np.empty(len(t)))
    lonely_met = np.zeros(n, dtype=np.int64)
    meetings, m = kernels.tie_contact(t.i, t.j, t.w, t.o, L, 0.8, 0.7, disabled, 0.6, budget, cp, state, s, d, drop,
                                      part1, part2, gm, lonely_met)
    assert np.array_equal(state, after)  # the generator advanced by exactly one draw per tie
    assert 0.05 < hit.mean() < 0.95 and 0 < (~kept).sum()  # both outcomes occur
    assert 0.01 < both.mean() < 0.2 and hit[both].mean() > hit[~both].mean()  # the group rule acts
    assert meetings.tolist() == (np.bincount(i, hit, n) + np.bincount(j, hit, n)).astype(int).tolist()
    lonely = L >= 0.8  # meetings with a lonely other end, for each end
    want = np.bincount(i, hit & lonely[j], n) + np.bincount(j, hit & lonely[i], n)
    assert lonely_met.tolist() == want.astype(int).tolist() and 0 < lonely_met.sum() < meetings.sum()
    assert m == kept.sum()
    assert np.array_equal(t.i[:m], i[kept]) and np.array_equal(t.j[:m], j[kept])
    assert np.array_equal(t.w[:m], new_w[kept])  # exactly: the same arithmetic
    assert np.array_equal(t.o[:m], o[kept])


@pytest.mark.parametrize("n", [2_000, 300_000])
def test_removals_marked_earlier_in_the_week_are_taken_out_by_the_contact_pass(n):
    """Bereavement and turnover only mark ties (weight -0.0); the contact pass then gives exactly
    what it gives when those ties were taken out first: the same meetings, ties and draws."""
    from model import kernels

    rng = np.random.default_rng(n + 5)
    first, marked = _random_ties(n, 4 * n, seed=n + 5), _random_ties(n, 4 * n, seed=n + 5)
    gone = rng.random(n) < 0.02
    drop = np.unique(rng.integers(0, len(first), len(first) // 50))
    keep = ~(gone[first.i] | gone[first.j])
    keep[drop] = False
    first.keep(keep)  # taken out before the pass, with a plain mask
    marked.remove_edges(drop)
    marked.remove_residents(gone)
    w_marked = marked.marked()[2]
    assert np.signbit(w_marked).sum() > drop.size > 0 and w_marked.size > len(first)
    L, disabled = rng.random(n), rng.random(n) < 0.2
    part1, part2 = _participation(first, seed=n + 6)  # a removed tie made at a group never meets there
    out = []
    for t in (first, marked):
        state = np.array([1, 2, 3, n], dtype=np.uint64)
        lonely_met = np.zeros(n, dtype=np.int64)
        meetings, m = kernels.tie_contact(*t.marked(), L, 0.8, 0.7, disabled, 0.6, 5.8, 0.8, state, 0.08, 0.02, 0.12,
                                          part1, part2, 0.9, lonely_met)
        t.compact(m)
        out.append((meetings, lonely_met, state, t.i.copy(), t.j.copy(), t.w.copy(), t.o.copy()))
    for a, b in zip(*out, strict=True):
        assert np.array_equal(a, b)
    assert not (gone[marked.i] | gone[marked.j]).any() and not np.signbit(marked.w).any()


@pytest.mark.parametrize("n", [2_000, 300_000])
def test_network_outcomes_match_scipy_at_both_sizes(n):
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    from model import kernels

    t = _random_ties(n, n, seed=n + 1)  # sparse enough to leave several components
    nbhd = (np.arange(n) // 1250).astype(np.int32)
    deg, triangles, largest, bridging = kernels.close_tie_stats(t.i, t.j, t.w, n, 0.5, nbhd)
    close = t.w >= 0.5
    upper = sp.csr_matrix((np.ones(close.sum()), (t.i[close], t.j[close])), shape=(n, n))
    sym = upper + upper.T
    assert deg.tolist() == np.asarray(sym.sum(axis=1)).ravel().astype(int).tolist()
    # each triangle a < b < c once: paths a-b-c in the upper graph closed by the edge a-c
    assert triangles == int((upper @ upper).multiply(upper).sum()) > 0
    every = sp.csr_matrix((np.ones(len(t)), (t.i, t.j)), shape=(n, n))
    k, labels = connected_components(every, directed=False)
    assert k > 1 and largest == np.bincount(labels).max()
    assert bridging == int((nbhd[t.i] != nbhd[t.j]).sum())
    ptr, idx = kernels.adjacency(t.i, t.j, n)
    canonical = (every + every.T).tocsr()
    canonical.sort_indices()
    assert np.array_equal(ptr, canonical.indptr) and np.array_equal(idx, canonical.indices)


@pytest.mark.parametrize("n", [2_000, 300_000])
def test_removal_kernels_match_numpy_at_both_sizes(n):
    from model import kernels

    rng = np.random.default_rng(n + 2)
    t = _random_ties(n, 2 * n, seed=n + 2)
    flagged = rng.random(n) < 0.01
    flagged[np.flatnonzero(np.bincount(t.i, minlength=n) + np.bincount(t.j, minlength=n) == 0)[:3]] = True
    best = kernels.strongest_tie(t.i, t.j, t.w, flagged)
    assert best.size == flagged.sum() and (best == -1).sum() >= 1  # residents with no tie: -1
    for r, b in zip(np.flatnonzero(flagged)[:200].tolist(), best[:200].tolist(), strict=True):
        mine = np.flatnonzero((t.i == r) | (t.j == r))
        assert b == (mine[np.argmax(t.w[mine])] if mine.size else -1)
    # equal weights: the later edge wins, and a j-end edge over an i-end edge
    w = np.round(t.w, 1)
    best = kernels.strongest_tie(t.i, t.j, w, flagged)
    for r, b in zip(np.flatnonzero(flagged)[:200].tolist(), best[:200].tolist(), strict=True):
        as_i, as_j = np.flatnonzero(t.i == r), np.flatnonzero(t.j == r)
        top = max(w[as_i].max(initial=-1.0), w[as_j].max(initial=-1.0))
        expect = as_j[w[as_j] == top][-1] if (w[as_j] == top).any() else as_i[w[as_i] == top][-1] if as_i.size else -1
        assert b == expect
    gone = rng.random(n) < 0.01
    keep = ~(gone[t.i] | gone[t.j])
    i, j, w = t.i[keep], t.j[keep], t.w[keep]
    t.remove_residents(gone)
    assert np.array_equal(t.i, i) and np.array_equal(t.j, j) and np.array_equal(t.w, w)


def test_memberships_add_matches_a_set_of_pairs():
    """Rounds of additions with repeats within a round and pairs already held: each new pair is
    added once, appended in key order (resident, then group)."""
    rng = np.random.default_rng(9)
    m, ref, G = Memberships(), [], 7
    for _ in range(30):
        res, grp = rng.integers(0, 40, 25), rng.integers(0, G, 25)
        held = set(ref)
        new = sorted({(int(r), int(g)) for r, g in zip(res, grp, strict=True)} - held)
        assert m.add(res, grp, G) == len(new)
        ref += new
        assert list(zip(m.res.tolist(), m.grp.tolist(), strict=True)) == ref


def test_memberships_remove_takes_out_exactly_the_pairs_held():
    """Removing pairs (some held, some not, some repeated) leaves the other pairs in their order."""
    rng = np.random.default_rng(10)
    m, G = Memberships(), 7
    m.add(rng.integers(0, 40, 120), rng.integers(0, G, 120), G)
    held = list(zip(m.res.tolist(), m.grp.tolist(), strict=True))
    res, grp = rng.integers(0, 40, 30), rng.integers(0, G, 30)
    res[:5], grp[:5] = m.res[:5], m.grp[:5]  # five certainly held, one of them twice
    res[5], grp[5] = m.res[0], m.grp[0]
    drop = {(int(r), int(g)) for r, g in zip(res, grp, strict=True)}
    m.remove(res, grp, G)
    assert list(zip(m.res.tolist(), m.grp.tolist(), strict=True)) == [p for p in held if p not in drop]
    assert len(held) - len(m) == len(drop & set(held)) >= 5
    m.remove(np.empty(0, np.int64), np.empty(0, np.int64), G)  # nothing to remove: unchanged
    assert len(m) == len(held) - len(drop & set(held))


def test_distinct_pairs_match_np_unique_with_first_weights():
    """New ties: self-pairs skipped, each pair once in (lo, hi) order, with the weight of its first
    occurrence (as np.unique on the keys with return_index)."""
    from model import kernels

    rng = np.random.default_rng(11)
    n = 50
    a, b = rng.integers(0, n, 400), rng.integers(0, n, 400)  # many repeats, some self-pairs
    w = rng.random(400)
    o = rng.integers(-3, 20, 400).astype(np.int32)
    lo, hi, got_w, got_o = kernels.distinct_pairs(a, b, w, o, n)
    keep = a != b
    keys, first = np.unique(np.minimum(a, b)[keep] * n + np.maximum(a, b)[keep], return_index=True)
    assert keys.size < keep.sum() < a.size  # both kinds of repeat occur
    assert np.array_equal(lo.astype(np.int64) * n + hi, keys) and (lo < hi).all()
    assert np.array_equal(got_w, w[keep][first]) and np.array_equal(got_o, o[keep][first])


def test_joiners_and_life_events_match_the_numpy_rules():
    from model import kernels

    rng = np.random.default_rng(12)
    n, nb = 5_000, 4
    L, need, nbhd = rng.random(n), rng.uniform(0.5, 2.0, n), rng.integers(0, nb, n)
    disabled, n_mem = rng.random(n) < 0.2, rng.integers(0, 4, n)
    trust, u = rng.uniform(0.5, 1.0, nb), rng.random(n) * 0.2
    p = 0.05 * np.where(L >= 0.6, 1.5, 1.0) * (need / need.mean()) * trust[nbhd] * np.where(disabled, 0.7, 1.0)
    expect = np.flatnonzero((u < p) & (n_mem < 3))
    got = kernels.joiners(u, 0.05, L, 0.6, 1.5, need, need.mean(), trust, nbhd, disabled, 0.7, n_mem, 3)
    assert 50 < expect.size < n // 2 and np.array_equal(got, expect)
    # life events: bereavement by age, illness onset among those not yet disabled, recovery
    age, rate = rng.integers(0, 6, n), np.linspace(0.01, 0.3, 6)
    onset, recovery = np.linspace(0.05, 0.15, 6), np.linspace(0.3, 0.1, 6)
    u_b, u_i = rng.random(n), rng.random(n)
    bereaved = u_b < rate[age]
    ill = (u_i < onset[age]) & ~disabled
    well = (u_i < recovery[age]) & disabled
    hit = bereaved | ill
    L2, dis2 = L.copy(), disabled.copy()
    got = kernels.life_events(u_b, u_i, rate, age, onset, recovery, dis2, L2, 0.25)
    assert np.array_equal(got, bereaved) and np.array_equal(dis2, (disabled | ill) & ~well) and well.any()
    assert np.array_equal(L2[hit], np.minimum(1.0, L[hit] + 0.25)) and np.array_equal(L2[~hit], L[~hit])
    assert (L2 == 1.0).any() and ill.any() and (bereaved & ~ill).any()
