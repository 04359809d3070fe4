"""Common random numbers: one seeded generator per run, split into named streams.

Each random process draws only from its own stream, derived from the run seed and the process's
name. Two runs with the same seed therefore see identical draws in every process that the
regime does not act on (Starsim's common random numbers), and differences between regimes come
from policy, not from noise.
"""

from __future__ import annotations

import zlib

import numpy as np

# Every random process of the model, by name. A process not listed here cannot draw.
STREAM_NAMES: tuple[str, ...] = (
    "init",  # initial population, ties, groups
    "life_events",  # bereavement, illness onset
    "turnover",  # moves and deaths, newcomers
    "membership",  # joining and leaving groups
    "attendance",  # who attends this week
    "co_attendance",  # who meets whom at an activity
    "services",  # visits, calls, intake of clients
    "volunteering",  # starting, quitting, burning out
    "contact",  # contact along ties
    "loneliness",  # idiosyncratic shocks
    "neighbours",  # ties formed in the neighbourhood
    "triadic",  # meeting a friend's friend
    "finances",  # donations and fundraising noise
    "foundings",  # new groups
    "collaboration",  # ties between groups
    "council",  # the council's noisy observation
    "grants",  # grant rounds
    "tender",  # bids and scores
    "outcomes",  # outcome verification
    "community_development",  # connectors
    "partnership",  # link-worker referrals, brokerage
)


class Streams:
    """Named, independent ``numpy.random.Generator`` streams derived from one seed."""

    __slots__ = ("seed", "_gens")

    def __init__(self, seed: int) -> None:
        if int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer (got {seed})")
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}
        for name in STREAM_NAMES:
            ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(zlib.crc32(name.encode()),))
            self._gens[name] = np.random.Generator(np.random.PCG64(ss))

    def __getitem__(self, name: str) -> np.random.Generator:
        try:
            return self._gens[name]
        except KeyError:
            raise KeyError(f"no random stream named '{name}'; add it to STREAM_NAMES") from None

    def state(self, name: str) -> dict:
        """The bit-generator state of one stream (for tests of common random numbers)."""
        return self._gens[name].bit_generator.state
