"""One browser session's simulation: a model, a lock, and snapshots for drawing.

A :class:`Run` owns one :class:`model.model.CommunityModel`. Each browser session (a table) has its own runs and
models; only the pickled post-burn-in state is shared (:mod:`workshop.burnin`), never a live model. Stepping and
snapshotting hold the run's lock, so the play loop (a thread) and a redraw never see a half-stepped
model. :class:`View` is an immutable copy of what the pictures need.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model import Params

_GOLDEN = 0.6180339887498949


@dataclass(frozen=True, slots=True)
class View:
    """A snapshot of one run for drawing (copies: the model can move on while it is drawn)."""

    week: int
    cells: tuple[tuple[float, float], ...]  # lower-left corner of each neighbourhood's unit cell
    xy: np.ndarray  # (n, 2) resident positions
    loneliness: np.ndarray  # (n,)
    lonely_threshold: float
    group_xy: np.ndarray  # (g, 2)
    group_kind: np.ndarray  # (g,) str
    group_members: np.ndarray  # (g,)
    group_health: np.ndarray  # (g,) weeks of reserves
    gone_xy: np.ndarray  # (c, 2) where closed groups were
    timeseries: pd.DataFrame
    events: tuple[tuple[int, str], ...]
    spend: dict[str, float]
    ties: tuple[np.ndarray, np.ndarray] | None = None  # close ties (i, j), when asked for
    lonely_share: float = float("nan")
    active_groups: int = 0


def neighbourhood_cells(n_nbhd: int) -> tuple[tuple[float, float], ...]:
    """Unit cells for the neighbourhoods on a near-square grid, first row at the top."""
    cols = max(1, math.ceil(math.sqrt(n_nbhd)))
    rows = max(1, math.ceil(n_nbhd / cols))
    return tuple((float(k % cols), float(rows - 1 - k // cols)) for k in range(n_nbhd))


def resident_positions(nbhd: np.ndarray, cells: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Each resident on a jittered grid inside its neighbourhood's cell, in index order (stable while
    the population turns over in place)."""
    n = nbhd.size
    xy = np.zeros((n, 2))
    idx = np.arange(n)
    jitter = np.stack([(idx * _GOLDEN) % 1.0, (idx * _GOLDEN * _GOLDEN * 7.0) % 1.0], axis=1) - 0.5
    for k, (x0, y0) in enumerate(cells):
        members = np.flatnonzero(nbhd == k)
        if members.size == 0:
            continue
        side = math.ceil(math.sqrt(members.size))
        rank = np.arange(members.size)
        gx = (rank % side + 0.5) / side
        gy = (rank // side + 0.5) / side
        spacing = 0.84 / side
        xy[members, 0] = x0 + 0.08 + gx * 0.84 + jitter[members, 0] * spacing * 0.7
        xy[members, 1] = y0 + 0.06 + gy * 0.84 + jitter[members, 1] * spacing * 0.7
    return xy


def group_position(gid: int, nbhd: int, cells: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    """A fixed place for a group inside its neighbourhood (a golden-angle spiral around the centre)."""
    x0, y0 = cells[nbhd]
    angle = gid * 2.399963229728653
    radius = 0.12 + 0.26 * ((gid * _GOLDEN) % 1.0)
    return (x0 + 0.5 + radius * math.cos(angle), y0 + 0.5 + radius * math.sin(angle))


@dataclass(slots=True)
class Run:
    """One model run inside one browser session."""

    params: Params
    seed: int
    label: str = ""
    model: object = None
    card: str = ""  # the scenario card the run was started from ("" for the table's own settings)
    compared: bool = False  # one of a side-by-side pair
    lock: threading.Lock = field(default_factory=threading.Lock)
    cells: tuple[tuple[float, float], ...] = ()
    group_xy: dict[int, tuple[float, float]] = field(default_factory=dict)  # every group ever seen
    _xy: np.ndarray | None = None
    _xy_nbhd: np.ndarray | None = None

    @classmethod
    def start(cls, params: Params, seed: int, label: str = "") -> Run:
        """A run at week 0 on its own copy of the settled place (the burn-in is computed once per
        place and seed by :mod:`workshop.burnin` and shared, as pickled bytes, by every session)."""
        from workshop.burnin import settled_model

        run = cls(params=params, seed=seed, label=label)
        run.model = settled_model(params, seed)
        run.cells = neighbourhood_cells(params.place.n_neighbourhoods)
        run._remember_groups()
        return run

    @property
    def week(self) -> int:
        return int(self.model.week)

    @property
    def finished(self) -> bool:
        """True at the horizon (``params.horizon_years``): the model cannot step further."""
        return self.model.week >= self.model.horizon_weeks

    def step(self, weeks: int = 1) -> int:
        """Advance up to ``weeks`` weeks (never past the horizon); return the weeks stepped."""
        done = 0
        with self.lock:
            while done < weeks and not self.finished:
                self.model.step()
                done += 1
            self._remember_groups()
        return done

    def _remember_groups(self) -> None:
        for g in self.model.groups:
            if g.gid not in self.group_xy:
                self.group_xy[g.gid] = group_position(g.gid, int(g.nbhd), self.cells)

    def _positions(self, nbhd: np.ndarray) -> np.ndarray:
        if self._xy is None or self._xy_nbhd is None or not np.array_equal(nbhd, self._xy_nbhd):
            self._xy = resident_positions(nbhd, self.cells)
            self._xy_nbhd = nbhd.copy()
        return self._xy

    def view(self, *, with_ties: bool = False) -> View:
        with self.lock:
            m = self.model
            res = m.res
            nbhd = np.asarray(res.nbhd)
            groups = [g for g in m.groups if getattr(g, "active", True)]
            active = {g.gid for g in groups}
            gone = [xy for gid, xy in self.group_xy.items() if gid not in active]
            ties = None
            if with_ties:
                mat = m.ties_matrix().tocoo()
                keep = (mat.row < mat.col) & (mat.data >= self.params.ties.close_threshold)
                ties = (mat.row[keep].copy(), mat.col[keep].copy())
            ts = m.timeseries()
            loneliness = np.asarray(res.loneliness, dtype=float).copy()
            thr = float(self.params.residents.lonely_threshold)
            return View(
                week=int(m.week),
                cells=self.cells,
                xy=self._positions(nbhd),
                loneliness=loneliness,
                lonely_threshold=thr,
                group_xy=np.array([self.group_xy[g.gid] for g in groups]).reshape(-1, 2),
                group_kind=np.array([g.kind for g in groups], dtype=object),
                group_members=np.array([g.n_members for g in groups], dtype=float),
                group_health=np.array([_finite(g.weeks_of_reserves) for g in groups], dtype=float),
                gone_xy=np.array(gone, dtype=float).reshape(-1, 2),
                timeseries=ts,
                events=tuple((int(w), str(t)) for w, t in m.events),
                spend=spend_past_year(m, int(ts["week"].iloc[-1]) if len(ts) else int(m.week)),
                ties=ties,
                lonely_share=float(np.mean(loneliness > thr)) if loneliness.size else float("nan"),
                active_groups=len(groups),
            )


def spend_past_year(m, week: int) -> dict[str, float]:
    """Council spend by recipient over the past 52 weeks (never reaching back into the burn-in): the
    same window and categories as the model's ``local_funding_share`` record, so the money bar and the
    money line always agree; ``week`` is the last recorded week. (The model's ``spend_by_recipient`` is the budget year so far, which puts
    a year's grants, paid up front, against a few weeks of a contract.)"""
    from model.model import WEEKS_PER_YEAR
    from model.phases.council import SPEND_CATEGORIES  # (the ledger's spend columns; 'unspent' follows)

    w1 = int(week) + int(m.burn_in_weeks) + 1
    ledger = m._ledger[max(int(m.burn_in_weeks), w1 - WEEKS_PER_YEAR):w1, :len(SPEND_CATEGORIES)]
    tot = ledger.sum(axis=0) if len(ledger) else [0.0] * len(SPEND_CATEGORIES)
    return {k: float(v) for k, v in zip(SPEND_CATEGORIES, tot, strict=True)}


def _finite(x: float) -> float:
    return 1e6 if not math.isfinite(x) else float(x)
