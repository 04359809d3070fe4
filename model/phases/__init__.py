"""The week's phases, grouped by subject. Each module holds one part of ``CommunityModel`` (a class
the model inherits from): its phases (``_phase_*`` methods) and the helpers only they use.

==================  ===============================================================================
``life``            the first ties; bereavement, illness, moves and deaths, newcomers
``groups``          groups founded and closed, membership, activities, collaboration
``services``        intake, visits and calls, discharge; referrals into groups and services
``volunteering``    starting, quitting and burning out as a volunteer
``ties``            contact along ties, loneliness, new ties
``finances``        groups' size, costs and income; the closure clocks
``council``         the budget year, the instruments' weekly acts, the spend ledger
``record``          the outcomes measured and summarised
==================  ===============================================================================

The order in which the phases run is the model's plan (``CommunityModel.plan``, model/model.py).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def stable_order(codes: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` for non-negative integer codes below ``bound``; when
    they fit in 16 bits numpy sorts them by radix, several times faster (same order)."""
    return np.argsort(codes.astype(np.int16) if bound < 2**15 else codes, kind="stable")


class Buckets(NamedTuple):
    """Items grouped by a non-negative integer code below some bound: ``order``, the items' indices
    sorted by code (stably), and each code's ``counts`` and ``start`` in it, so that
    ``order[start[c]:start[c] + counts[c]]`` are the items with code ``c``."""

    order: np.ndarray
    counts: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, bound: int) -> Buckets:
        counts = np.bincount(codes, minlength=bound)
        return cls(stable_order(codes, bound), counts, np.concatenate([[0], np.cumsum(counts)[:-1]]))

    def slot(self, codes: np.ndarray, u: np.ndarray) -> np.ndarray:
        """For each code in ``codes`` and uniform ``u`` in [0, 1), the position in ``order`` of one
        of its items, chosen uniformly (a code with no items gives the next code's start)."""
        return self.start[codes] + (u * self.counts[codes]).astype(np.int64)
