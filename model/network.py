"""Residents' social ties and group memberships as edge arrays.

Ties are a weighted, undirected graph stored as four parallel arrays (``i < j``, weight, origin): a
sparse matrix in coordinate form, which is what the weekly updates (decay, removal, addition) need.
A tie's origin says where it was made (issue 15, item 1): a group's gid (met at its activities or
on its visits), or one of the negative codes below.
End indices are int32 (half the memory traffic of int64 on the large edge arrays); keys ``i * n +
j`` are formed in int64. The per-edge loops are compiled (:mod:`model.kernels`).
:meth:`Ties.matrix` gives the symmetric CSR matrix for analysis.
Memberships are (resident, group) pairs in two parallel arrays.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from model import kernels

ORIGIN_ELSEWHERE = -1  # before the record, or brought by a newcomer (a partner, a relative)
ORIGIN_NEIGHBOURS = -2  # met in the street or the neighbourhood
ORIGIN_FRIEND_OF_FRIEND = -3  # met through a friend (triadic closure)


class Ties:
    """Undirected weighted ties between residents (no self-ties, no duplicates), kept sorted by
    key ``i * n + j``.

    Removals are deferred: ``remove_edges`` and ``remove_residents`` mark ties with the weight
    -0.0, and the marked ties are taken out by the next pass that rewrites the arrays anyway, the
    week's contact along ties (``kernels.tie_contact``), or by ``flush`` when ``i``, ``j``, ``w``
    or any other view is read first. So the week's bereavements and departures move no edges of
    their own (at 1M residents each such move rewrote ~120 MB)."""

    __slots__ = ("n", "_i", "_j", "_w", "_o", "_buf", "_pending")

    def __init__(self, n: int) -> None:
        self.n = n
        self._i = np.empty(0, dtype=np.int32)
        self._j = np.empty(0, dtype=np.int32)
        self._w = np.empty(0, dtype=np.float64)
        self._o = np.empty(0, dtype=np.int32)
        # i, j, w and o are the leading part of these buffers, which keep room for new ties so
        # that a week's insertions neither allocate nor copy the whole edge list (see add)
        self._buf = (self._i, self._j, self._w, self._o)
        self._pending = False  # ties marked removed but not yet taken out

    def __getstate__(self):
        self.flush()
        return (self.n, self._i.copy(), self._j.copy(), self._w.copy(), self._o.copy())

    def __setstate__(self, state) -> None:
        self.n, self._i, self._j, self._w, self._o = state
        self._buf = (self._i, self._j, self._w, self._o)
        self._pending = False

    # the edge arrays as they stand, with pending removals taken out
    @property
    def i(self) -> np.ndarray:
        self.flush()
        return self._i

    @property
    def j(self) -> np.ndarray:
        self.flush()
        return self._j

    @property
    def w(self) -> np.ndarray:
        self.flush()
        return self._w

    @property
    def o(self) -> np.ndarray:
        """Where each tie was made: a group's gid, or an ``ORIGIN_*`` code."""
        self.flush()
        return self._o

    @w.setter
    def w(self, value: np.ndarray) -> None:
        self.flush()
        if value.shape != self._w.shape:
            raise ValueError(f"{value.size} tie weights given for {self._w.size} ties")
        self._w = np.ascontiguousarray(value, dtype=np.float64)

    def __len__(self) -> int:
        self.flush()
        return int(self._i.size)

    def marked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, w, o)`` with the pending removals still in (weight -0.0), for a kernel that
        takes them out (``kernels.tie_contact``) and then calls ``compact``."""
        return self._i, self._j, self._w, self._o

    def flush(self) -> None:
        """Take out the ties marked removed."""
        if self._pending:
            self.compact(kernels.drop_removed(self._i, self._j, self._w, self._o))

    def keys(self) -> np.ndarray:
        self.flush()
        return self._i.astype(np.int64) * self.n + self._j

    def add(self, a: np.ndarray, b: np.ndarray, weight: float | np.ndarray, reinforce: bool = False,
            origin: int | np.ndarray = ORIGIN_ELSEWHERE) -> int:
        """Add ties between residents a[k] and b[k] at ``weight`` and made at ``origin`` (each one
        value, or one per pair); self-pairs are ignored, and an existing pair is left as it is or,
        with ``reinforce``, moved ``weight`` of the way towards 1 (it keeps the origin where it was
        first made). Returns the number of new ties. Ties stay sorted by key, so look-ups need no
        sort."""
        if a.size == 0:
            return 0
        self.flush()
        weight = np.ascontiguousarray(np.broadcast_to(np.asarray(weight, dtype=np.float64), a.shape))
        origin = np.ascontiguousarray(np.broadcast_to(np.asarray(origin, dtype=np.int32), a.shape))
        lo, hi, weight, origin = kernels.distinct_pairs(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64),
                                                        weight, origin, self.n)
        E = self._i.size
        bi, bj, bw, bo = self._buf
        if not (self._i.base is bi and self._j.base is bj and self._w.base is bw and self._o.base is bo
                and bi.size >= E + lo.size):
            # the arrays were replaced (keep, a test), or the buffers are full: new buffers with
            # a quarter more room (many weeks of net growth; pruning frees room every week)
            cap = int((E + lo.size) * 1.25) + 16
            bi, bj = np.empty(cap, np.int32), np.empty(cap, np.int32)
            bw, bo = np.empty(cap, np.float64), np.empty(cap, np.int32)
            bi[:E], bj[:E], bw[:E], bo[:E] = self._i, self._j, self._w, self._o
            self._buf = (bi, bj, bw, bo)
        added = kernels.merge_new(bi, bj, bw, bo, E, lo, hi, weight, origin, reinforce)
        self._i, self._j, self._w, self._o = bi[:E + added], bj[:E + added], bw[:E + added], bo[:E + added]
        return int(added)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the ties where ``mask`` (over the ties as ``i``, ``j``, ``w`` read) is true."""
        self.flush()
        self._i, self._j, self._w, self._o = self._i[mask], self._j[mask], self._w[mask], self._o[mask]

    def compact(self, m: int) -> None:
        """Keep the first ``m`` ties, after a kernel has taken out every marked tie in place."""
        self._i, self._j, self._w, self._o = self._i[:m], self._j[:m], self._w[:m], self._o[:m]
        self._pending = False

    def remove_edges(self, drop: np.ndarray) -> None:
        """Remove the ties at positions ``drop`` (in ``i``, ``j``, ``w`` as they read now); deferred."""
        self.flush()
        if drop.size:
            self._w[drop] = -0.0
            self._pending = True

    def remove_residents(self, who: np.ndarray) -> None:
        """Remove every tie of the residents flagged in boolean array ``who`` (length n); deferred."""
        if self._i.size and who.any():
            kernels.mark_residents(self._i, self._j, self._w, who)
            self._pending = True

    def degree(self, min_weight: float = 0.0) -> np.ndarray:
        m = self.w >= min_weight
        return np.bincount(self.i[m], minlength=self.n) + np.bincount(self.j[m], minlength=self.n)

    def matrix(self, min_weight: float = 0.0) -> sp.csr_matrix:
        """Symmetric CSR matrix of tie weights (ties below ``min_weight`` left out)."""
        m = self.w >= min_weight
        i, j, w = self.i[m], self.j[m], self.w[m]
        upper = sp.csr_matrix((w, j, np.searchsorted(i, np.arange(self.n + 1))), shape=(self.n, self.n))
        return (upper + upper.T).tocsr()


class Memberships:
    """Group memberships as (resident, group) pairs."""

    __slots__ = ("res", "grp")

    def __init__(self) -> None:
        self.res = np.empty(0, dtype=np.int64)
        self.grp = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.res.size)

    def add(self, res: np.ndarray, grp: np.ndarray, n_groups: int) -> int:
        """Add memberships, skipping pairs that already exist. Returns the number added."""
        if res.size == 0:
            return 0
        keys = res.astype(np.int64) * n_groups + grp
        # distinct pairs in key order, each at its first occurrence (np.unique with return_index,
        # without its overhead on the few pairs of a week)
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first_of_run = np.ones(keys.size, dtype=bool)
        first_of_run[1:] = keys[1:] != keys[:-1]
        keys, first = keys[first_of_run], order[first_of_run]
        res, grp = res[first], grp[first]
        if self.res.size:
            # only the new pairs' residents can hold a pair that already exists: look their
            # existing pairs up among the (sorted) new keys
            mine = np.zeros(int(max(self.res.max(), res.max())) + 1, dtype=bool)
            mine[res] = True
            sel = mine[self.res]
            held = self.res[sel] * n_groups + self.grp[sel]
            pos = np.minimum(np.searchsorted(keys, held), keys.size - 1)
            new = np.ones(keys.size, dtype=bool)
            new[pos[keys[pos] == held]] = False
            res, grp = res[new], grp[new]
        self.res = np.concatenate([self.res, res.astype(np.int64)])
        self.grp = np.concatenate([self.grp, grp.astype(np.int64)])
        return int(res.size)

    def keep(self, mask: np.ndarray) -> None:
        self.res, self.grp = self.res[mask], self.grp[mask]

    def remove(self, res: np.ndarray, grp: np.ndarray, n_groups: int) -> None:
        """Remove the memberships (res[k], grp[k]) that exist; the others are ignored."""
        if res.size and self.res.size:
            drop = res.astype(np.int64) * n_groups + grp
            self.keep(~np.isin(self.res * n_groups + self.grp, drop))

    def counts_by_group(self, n_groups: int) -> np.ndarray:
        return np.bincount(self.grp, minlength=n_groups)

    def counts_by_resident(self, n: int) -> np.ndarray:
        return np.bincount(self.res, minlength=n)
