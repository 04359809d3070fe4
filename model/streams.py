"""Common random numbers: one seeded generator per run, split into named streams.

Each random process draws only from its own stream, derived from the run seed and the process's
name. Two runs with the same seed therefore see identical draws in every process that the
regime does not act on (Starsim's common random numbers), and differences between regimes come
from policy, not from noise.
"""

from __future__ import annotations

import zlib

import numpy as np

from model import kernels

# Every random process of the model itself, by name; the regimes' own streams are declared on their
# classes (``@instrument(..., streams=...)``, model/regimes/). A process not listed cannot draw.
MODEL_STREAMS: tuple[str, ...] = (
    "init",  # initial population, ties, groups
    "life_events",  # bereavement, illness onset
    "turnover",  # moves and deaths, newcomers
    "ageing",  # moving up an age band
    "recruitment",  # volunteers recruited beyond a group's members
    "membership",  # joining groups, one draw per resident a week
    "membership_leave",  # leaving groups, one draw per membership (how many there are depends on
    # the regime: drawn from "membership" before the joining draws, they shifted every resident's
    # joining draw from the first week two regimes' memberships differed; model version 16)
    "membership_pick",  # the group a joiner joins (two draws per joiner, a number that depends on
    # the regime)
    "attendance",  # who attends this week
    "co_attendance",  # who meets whom at an activity
    "services",  # visits, calls, intake of clients
    "signposting",  # the group a provider's call signposts its client to (its own stream: how many
    # calls signpost depends on the regime, and drawing them from "services" shifted every later
    # week's visits; model version 14)
    "volunteering",  # quitting and burning out, one draw per resident a week
    "volunteer_join",  # members offering to volunteer, one draw per membership (how many there are
    # depends on the regime: drawn from "volunteering", they shifted next week's quitting draws)
    "contact",  # contact along ties
    "loneliness",  # idiosyncratic shocks
    "neighbours",  # ties formed in the neighbourhood
    "triadic",  # meeting a friend's friend
    "finances",  # a group's fundraising luck each budget year, keyed by its first week and the group
    # (``Streams.by_id``)
    "foundings",  # new groups
    "collaboration",  # ties between groups
    "council",  # the council's noisy observation
    "withdrawal",  # clients withdrawing from a service before its end
    "adherence",  # referred members giving the group up before the support period ends
    "funders",  # outside funders' awards to groups, keyed by week and group (``Streams.by_id``: up
    # to model version 15 drawn in the order of the open groups, so one group more or less under a
    # regime shifted every other group's draws, and from the first year regimes stopped sharing them)
    "hubs",  # where the community hubs stand, their first members and volunteers
    "volunteer_draw",  # serving volunteers asked by another group short of volunteers
    "brokerage",  # volunteers placed by a volunteer centre (its own stream, so placing them shifts
    # no other process's draws: regimes with and without brokerage stay paired)
)


def stream_names() -> tuple[str, ...]:
    """Every stream: the model's, then those the registered regimes declare. A stream's draws
    depend only on the seed and its name, so adding a stream changes no other stream's draws."""
    from model.regimes import instrument_streams  # (the regimes import the parameters, as this module does)

    return tuple(dict.fromkeys((*MODEL_STREAMS, *instrument_streams())))


def __getattr__(name: str):
    if name == "STREAM_NAMES":  # derived when asked, so that regimes registered later are included
        return stream_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Stream:
    """One named stream. Uniform draws on [0, 1) (``random``) come from a xoshiro256+ generator
    that the compiled kernels also advance in place (``uniform_state``: contact along ties draws
    one number per tie inside its loop); every other distribution (integers, choice, normal,
    Poisson, binomial, ...) is numpy's, from a PCG64 ``numpy.random.Generator``. Both are seeded
    from the stream's own seed sequence.

    Why two: a week draws ~10 uniforms per resident and one per tie, and numpy spends ~3 ns a
    draw (a call through a function pointer per number, then a pass over the array written);
    xoshiro256+ inlined in a kernel costs ~1 ns and writes nothing (measured: one draw per tie of
    the town, 90k ties, 0.32 ms in numpy plus the kernel's read, 0.085 ms fused)."""

    __slots__ = ("gen", "uniform_state")

    def __init__(self, seed: int, key: int) -> None:
        self.gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(key,))))
        state = np.random.SeedSequence(entropy=seed, spawn_key=(key, 1)).generate_state(4, np.uint64)
        if not state.any():  # the one state xoshiro cannot leave (probability 2**-256)
            state[0] = 1
        self.uniform_state = state

    def random(self, size: int | None = None, out: np.ndarray | None = None) -> float | np.ndarray:
        """Uniform draws on [0, 1): a float, an array of ``size``, or written into ``out``."""
        if out is None:
            if size is None:
                return float(kernels.uniforms(self.uniform_state, np.empty(1))[0])
            out = np.empty(size)
        return kernels.uniforms(self.uniform_state, out)

    def __getattr__(self, name: str):
        if name.startswith("__") or name in Stream.__slots__:  # (unpickling asks before slots exist)
            raise AttributeError(name)
        return getattr(self.gen, name)  # every other distribution: numpy's Generator


class Streams:
    """Named, independent streams (``Stream``) derived from one seed."""

    __slots__ = ("seed", "_gens")

    def __init__(self, seed: int) -> None:
        if int(seed) < 0:
            raise ValueError(f"seed must be a non-negative integer (got {seed})")
        self.seed = int(seed)
        self._gens = {name: Stream(self.seed, zlib.crc32(name.encode())) for name in stream_names()}

    def __getitem__(self, name: str) -> Stream:
        try:
            return self._gens[name]
        except KeyError:
            raise KeyError(f"no random stream named '{name}'; add it to MODEL_STREAMS or to its regime's streams") from None

    def by_id(self, name: str, key: int, ids: np.ndarray, k: int = 1) -> np.ndarray:
        """``k`` uniforms on (0, 1) for each of ``ids`` (shape ``(len(ids), k)``) that depend only on
        the seed, the stream's name, ``key`` (e.g. the week) and the id: a group's draws are the same
        whichever other groups exist, so regimes that keep different groups open still pair on the
        groups they share (the groups open at the study's start, and those founded in the same
        order: gids are given in order of founding). Equal ids get equal draws. Draws nothing from
        the stream itself; memory grows with the largest id (the model's gids are dense)."""
        if name not in self._gens:
            self[name]  # (the same error as for an undeclared stream)
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return np.empty((0, k))
        if ids.min() < 0 or key < 0:
            raise ValueError(f"by_id needs non-negative ids and key (got ids from {ids.min()}, key {key})")
        ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(zlib.crc32(name.encode()), 2, int(key)))
        # (+2**-54 and the cap below 1: on (0, 1), so that a normal made from it by its inverse CDF
        # is finite; the top draw, 1 - 2**-53, would round to 1 with the offset)
        u = np.random.Generator(np.random.PCG64(ss)).random((int(ids.max()) + 1, k))[ids] + 2.0**-54
        return np.minimum(u, 1.0 - 2.0**-53)

    def state(self, name: str) -> tuple[dict, tuple[int, ...]]:
        """The state of one stream: numpy's bit generator and the uniform generator (for tests of
        common random numbers)."""
        g = self._gens[name]
        return g.gen.bit_generator.state, tuple(int(x) for x in g.uniform_state)
