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

The package by subject: ``random`` (uniforms and normals from a stream's state), ``ties`` (the edge
arrays), ``people`` (residents and groups); ``_jit`` holds the shared options and prefetching.
"""

from model.kernels._jit import PREFETCH_AHEAD, PREFETCH_MIN_RESIDENTS
from model.kernels.people import code_counts, joiners, life_events, loneliness_update, pick_groups
from model.kernels.random import normals, uniforms
from model.kernels.ties import (
                                adjacency,
                                close_tie_stats,
                                distinct_pairs,
                                drop_removed,
                                mark_residents,
                                merge_new,
                                participation,
                                remove_edges,
                                strongest_tie,
                                tie_contact,
)

__all__ = ["PREFETCH_AHEAD", "PREFETCH_MIN_RESIDENTS", "adjacency", "close_tie_stats", "code_counts",
           "distinct_pairs", "drop_removed", "joiners", "life_events", "loneliness_update", "mark_residents",
           "merge_new", "normals", "participation", "pick_groups", "remove_edges", "strongest_tie", "tie_contact", "uniforms"]
