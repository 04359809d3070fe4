"""The room: every connected table (browser session) of one workshop server, and the room code.

A :class:`Table` is one browser session's state: its controls, chosen card, runs, and a queue of the
participant's commands. One worker thread per table takes commands from the queue in order (build a
run, step, compare, reset, play), so a click made while a run is being built is applied after the build,
never dropped, and the page only ever draws a finished run.

:data:`ROOM` lists the tables of this server process for the facilitator's view (``/facilitator``),
which can push a card or a seed to every table and export every run as CSV.
"""

from __future__ import annotations

import csv
import hmac
import io
import itertools
import math
import os
import queue
import threading
import time
from dataclasses import dataclass, field

from workshop.controls import Controls, Start, controls_from_params, params_for, regime_label
from workshop.scenarios import CARD_BY_KEY
from workshop.session import Run

ROOM_ENV = "RESILIENCE_WORKSHOP_ROOM"  # the room code (set by `resilience workshop`)
ROOM_REQUIRED_ENV = "RESILIENCE_WORKSHOP_ROOM_REQUIRED"  # "1": participants need the code too
PLAY_SPEEDS = {"Slow (1 week a second)": 1.0, "Normal (4 weeks a second)": 0.25,
               "Fast (10 weeks a second)": 0.1}  # seconds per frame while playing
DEFAULT_SPEED = "Normal (4 weeks a second)"


def room_code() -> str:
    return os.environ.get(ROOM_ENV, "")


def participants_need_code() -> bool:
    return bool(room_code()) and os.environ.get(ROOM_REQUIRED_ENV) == "1"


def code_ok(given: str | None) -> bool:
    """True when ``given`` is this room's code (compared in constant time); no code set: always."""
    code = room_code()
    return not code or hmac.compare_digest(str(given or "").strip().lower(), code.lower())


def headline(run: Run | None) -> dict[str, float]:
    """The live numbers beside the charts: lonely %, groups open, volunteers %, money to local groups %
    (over the past year, as the chart), from the run's last weekly record."""
    out = {"week": 0, "lonely_pct": math.nan, "groups_open": math.nan, "volunteers_pct": math.nan,
           "local_money_pct": math.nan}
    if run is None:
        return out
    with run.lock:
        m = run.model
        out["week"] = int(m.week)
        ts = m.timeseries()
    if len(ts):
        last = ts.iloc[-1]
        out["lonely_pct"] = 100.0 * float(last["lonely_share"])
        out["groups_open"] = float(last["active_groups"])
        out["volunteers_pct"] = 100.0 * float(last["volunteer_share"])
        out["local_money_pct"] = 100.0 * float(last["local_funding_share"])
    return out


@dataclass
class Table:
    """One browser session: what it shows and what it has run."""

    start: Start
    controls: Controls
    number: int = 0
    card: str | None = None
    compare_with: str | None = None  # the second regime when side by side
    runs: list[Run] = field(default_factory=list)
    building: bool = True
    error: str = ""
    playing: bool = False
    speed: str = DEFAULT_SPEED
    history: list[dict] = field(default_factory=list)  # finished or abandoned runs (for the CSV)
    commands: queue.Queue = field(default_factory=queue.Queue)
    version: int = 0  # bumped on every change; the page polls it and redraws (see ``redraw``)
    closed: threading.Event = field(default_factory=threading.Event)
    _worker: threading.Thread | None = None

    def redraw(self) -> None:
        """Mark the table changed. The page's own poller redraws it: only the session's threads touch
        its widgets, never this worker or the facilitator's session."""
        self.version += 1

    def start_worker(self) -> None:
        """Start the worker thread (once); it stops when the table leaves the room."""
        if self._worker is None:
            self._worker = threading.Thread(target=self.work, args=(self.closed,), daemon=True,
                                            name=f"workshop-table-{self.number}")
            self._worker.start()

    # --- what participants (and the facilitator) ask for; applied in order by the worker ----------
    def ask(self, *command) -> None:
        if command[0] in ("build", "card", "seed"):
            self.building = True
        self.commands.put(command)
        self.redraw()

    def choose_card(self, key: str) -> None:
        self.ask("card", key)

    def set_controls(self, controls: Controls) -> None:
        self.controls, self.card = controls, None
        self.ask("build")

    # --- the worker ------------------------------------------------------------------------------
    def work(self, cancel: threading.Event) -> None:
        """Take commands in order until ``cancel``; play between commands while playing."""
        while not (cancel.is_set() or self.closed.is_set()):
            try:
                timeout = PLAY_SPEEDS.get(self.speed, 0.25) if self.playing and self.runs else 0.2
                command = self.commands.get(timeout=timeout)
            except queue.Empty:
                if self.playing and self.runs and not self.building:
                    if not sum(r.step(1) for r in self.runs):
                        self.playing = False
                    self.redraw()
                continue
            try:
                self._do(command)
            except Exception as exc:  # a bad setting: shown on the page, the table keeps working
                self.error = str(exc)
                self.building = False
                self.playing = False
            self.redraw()

    def _pending_build(self) -> bool:
        return any(c[0] in ("build", "card", "seed") for c in list(self.commands.queue))

    def _do(self, command: tuple) -> None:
        kind = command[0]
        if kind in ("build", "card", "seed"):
            if kind == "card":
                self.controls = CARD_BY_KEY[command[1]].apply(self.controls, base=self.base())
                self.card = command[1]
            elif kind == "seed":
                self.controls = self.controls.replace(seed=int(command[1]))
            if self._pending_build():  # a newer rebuild is queued: this one would be thrown away
                return
            self.playing = False
            self._retire()
            self.error = ""
            self.runs = self._build(keep=None)
            self.building = False
        elif kind == "step":
            if self.runs:
                for run in self.runs:
                    run.step(int(command[1]))
        elif kind == "compare":
            self.compare_with = command[1]
            if self.runs:
                self.building = True
                self.redraw()
                self.runs = self._build(keep=self.runs[0])
                self.building = False
        elif kind == "reset":
            self.playing = False
            self._retire()
            self.runs = self._build(keep=None)
            self.building = False
        elif kind == "play":
            self.playing = bool(command[1]) and bool(self.runs)
        elif kind == "speed":
            self.speed = str(command[1])

    def base(self) -> Controls:
        from workshop.controls import controls_from_start

        return controls_from_start(self.start)

    def _build(self, keep: Run | None) -> list[Run]:
        """The runs: run A (kept as it is when given) and, side by side, run B on the same seed,
        brought to run A's week."""
        a = keep or Run.start(params_for(self.start, self.controls), self.controls.seed,
                              label=regime_label(self.controls.regime))
        runs = [a]
        if self.compare_with is not None:
            other = self.controls.replace(regime=self.compare_with)
            b = Run.start(params_for(self.start, other), other.seed, label=regime_label(self.compare_with))
            b.step(a.week)
            runs.append(b)
        for run in runs:
            run.card, run.compared = self.card or "", len(runs) > 1
        return runs

    def _retire(self) -> None:
        for k, run in enumerate(self.runs):
            if run.week > 0:
                self.history.append(self.record(run, k))

    def record(self, run: Run, k: int = 0) -> dict:
        """One CSV row: the table, its settings and the run's outcomes so far."""
        c = controls_from_params(run.params, run.seed)
        row = {"table": self.number, "card": run.card, "side": "AB"[k] if k or run.compared else "",
               "regime": run.params.regime.name, "funding": run.params.funding.path, "seed": run.seed}
        row |= {f: getattr(c, f) for f in ("budget_per_resident", "max_grant", "contract_years", "payment_ratio",
                                            "max_connectors", "link_worker_share", "investor")}
        row |= {k2: (round(v, 2) if isinstance(v, float) else v) for k2, v in headline(run).items()}
        return row

    def status(self) -> dict:
        """The facilitator's row for this table."""
        run = self.runs[0] if self.runs else None
        h = headline(run)
        return {"table": self.number, "card": CARD_BY_KEY[self.card].title if self.card else "(own settings)",
                "regime": regime_label(self.controls.regime)
                + (f" vs {regime_label(self.compare_with)}" if self.compare_with else ""),
                "seed": self.controls.seed, "state": "building" if self.building else
                ("playing" if self.playing else "paused"), **h}


class Room:
    """The tables connected to this server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[int, Table] = {}
        self._numbers = itertools.count(1)
        self.log: list[dict] = []  # runs of tables that have left

    def join(self, table: Table) -> Table:
        with self._lock:
            table.number = next(self._numbers)
            self._tables[table.number] = table
        return table

    def leave(self, table: Table) -> None:
        table.closed.set()
        with self._lock:
            if self._tables.pop(table.number, None) is not None:
                table._retire()
                self.log.extend(table.history)

    def tables(self) -> list[Table]:
        with self._lock:
            return sorted(self._tables.values(), key=lambda t: t.number)

    def push_card(self, key: str) -> int:
        if key not in CARD_BY_KEY:
            raise ValueError(f"unknown card '{key}'")
        tables = self.tables()
        for t in tables:
            t.choose_card(key)
        return len(tables)

    def push_seed(self, seed: int) -> int:
        tables = self.tables()
        for t in tables:
            t.ask("seed", int(seed))
        return len(tables)

    def rows(self) -> list[dict]:
        """Every run of the room: those left behind and each table's current runs."""
        rows = list(self.log)
        for t in self.tables():
            rows += t.history
            rows += [t.record(r, k) for k, r in enumerate(list(t.runs))]
        return rows

    def csv(self) -> str:
        rows = self.rows()
        out = io.StringIO()
        fields = list(dict.fromkeys(k for r in rows for k in r)) or ["table"]
        w = csv.DictWriter(out, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
        return out.getvalue()


ROOM = Room()
STARTED = time.time()
