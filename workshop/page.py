"""The workshop pages (served by ``solara run workshop.page``; started by ``resilience workshop``).

``/`` is a table's page: one per browser session. Its state lives in a :class:`workshop.room.Table`
made when the session opens (never at module level), so every browser has its own controls and its
own models; only the settled place after the burn-in is shared, as bytes (:mod:`workshop.burnin`).
A worker thread per table applies the participant's clicks in order, so a click made while a run is
being built is applied after the build, never dropped.

``/facilitator`` lists every table of the room live, pushes a card or a seed to every table, and
exports the room's runs as CSV. Both pages ask for the room code when one is set.

The layout is made for a projector at 1366x768: everything important above the fold, text at least
16 px. Importing this module does no work, unless the server asks it to warm the burn-in cache.
"""

from __future__ import annotations

import html
import math
import os
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs

import solara

from workshop import burnin
from workshop.controls import (
    FUNDING_LABELS,
    REGIME_CHOICES,
    START_ENV,
    Controls,
    Slider,
    Start,
    controls_from_start,
    params_for,
    parse_seed,
    regime_description,
    regime_label,
    sliders_for,
)
from workshop.events import feed, week_label
from workshop.figures import charts_html, place_legend_html, place_svg
from workshop.room import (
    DEFAULT_SPEED,
    PLAY_SPEEDS,
    ROOM,
    Table,
    code_ok,
    headline,
    participants_need_code,
)
from workshop.scenarios import CARD_BY_KEY, CARDS
from workshop.session import Run, View

WARM_ENV = "RESILIENCE_WORKSHOP_WARM"  # "1": compute the default burn-ins when the server starts
WARM_SEEDS = 3  # the start's seed and the next two: what a room usually tries first
FACILITATOR_REFRESH_SECONDS = 1.0
POLL_SECONDS = 0.05  # how soon a table's page shows what its worker did (a step, a finished build)

CSS = """
.workshop { font-size: 16px; }
.workshop .v-input, .workshop .v-label, .workshop .v-select__selection, .workshop .v-btn { font-size: 16px !important; }
.topbar { display: flex; align-items: center; flex-wrap: wrap; gap: 6px; }
.workshop-title { font-size: 20px; font-weight: 600; margin-right: 10px; }
.week-counter { font-size: 20px; font-weight: 600; margin: 0 8px; }
.card-chip { text-transform: none !important; letter-spacing: 0 !important; }
.card-chip.chosen { outline: 3px solid #1976d2; background: #e3f2fd !important; }
.question-banner { background: #e3f2fd; padding: 2px 12px; border-radius: 6px; font-style: italic; font-size: 17px; }
.card-story { font-size: 16px; color: #333; }
.regime-note { font-size: 16px; color: #444; margin: -4px 0 6px 0; }
.event-feed { font-size: 16px; line-height: 1.25; max-height: 190px; overflow-y: auto; }
.event-feed .bad { color: #b71c1c; }
.event-feed .good { color: #1b5e20; }
.event-feed .when { color: #555; margin-right: 6px; }
.chart-legend { font-size: 16px; }
.numbers { border-collapse: collapse; width: 100%; }
.numbers th { font-size: 16px; font-weight: 400; color: #444; text-align: left; padding: 0 6px; }
.numbers td { font-size: 24px; font-weight: 700; padding: 0 6px; line-height: 1.15; }
.numbers td.who { font-size: 18px; color: #555; }
.charts-caption { font-size: 16px; color: #444; }
.place svg { max-height: 340px; }
.building { font-size: 18px; color: #1565c0; }
.place-legend { font-size: 16px; display: flex; flex-wrap: wrap; gap: 2px 14px; align-items: center; }
.place-legend .ramp { display: inline-flex; vertical-align: middle; }
.place-legend .ramp span { width: 6px; height: 14px; display: inline-block; }
.grp { cursor: pointer; outline: none; }
.grp .tip { display: none; pointer-events: none; }
.grp:hover .tip, .grp:focus .tip { display: inline; }
.refused { color: #b71c1c; font-weight: 600; font-size: 16px; }
.room-table { border-collapse: collapse; font-size: 18px; }
.room-table td, .room-table th { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; }
.v-application .v-input__slot { margin-bottom: 0 !important; }
"""


def load_start() -> Start:
    return Start.from_json(os.environ.get(START_ENV))


def warm_cache() -> threading.Thread | None:
    """When the server asks (``RESILIENCE_WORKSHOP_WARM=1``), settle the place for the start's seed and
    the next ones, in the background, so the first tables and cards start in well under a second."""
    if os.environ.get(WARM_ENV) != "1":
        return None
    start = load_start()
    controls = controls_from_start(start)
    params = [params_for(start, controls)]
    params += [params_for(start, card.apply(controls, base=controls)) for card in CARDS]
    seen, unique = set(), []
    from model.api import burn_in_key

    for p in params:  # cards that share a burn-in (same budget) need it once
        k = burn_in_key(p, 0)
        if k not in seen:
            seen.add(k)
            unique.append(p)
    return burnin.warm(unique, [start.seed + k for k in range(WARM_SEEDS)])


_WARMER = warm_cache()


def build_runs(start: Start, controls: Controls, compare_with: str | None) -> list[Run]:
    """Runs on the controls: one, or two on the same seed when comparing regimes side by side."""
    table = Table(start=start, controls=controls, compare_with=compare_with)
    return table._build(keep=None)


def slider_text(s: Slider, value: float) -> str:
    if s.unit == "£":
        return f"£{value:,.0f}" if value >= 100 else f"£{value:g}"
    if s.unit:
        unit = s.unit[:-1] if s.unit.endswith("s") and value == 1 else s.unit
        return f"{value:g} {unit}"
    return f"{value:.0%}" if s.max <= 2 else f"{value:g}"


def feed_html(view: View, limit: int = 12) -> str:
    items = feed(view.events, limit=limit)
    if not items:
        return "<i>Nothing has happened yet.</i>"
    rows = [f'<div class="{it.tone}"><span class="when">{html.escape(it.when)}</span>{html.escape(it.text)}</div>'
            for it in items]
    return "".join(rows)


def _pct(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{v:.0f}%"


def numbers_html(runs: list[Run]) -> str:
    """The live numbers beside the charts: a small table, one row per run."""
    head = "".join(f"<th>{w}</th>" for w in ("", "Lonely", "Groups open", "Volunteering", "Money to local groups"))
    rows = []
    for k, run in enumerate(runs):
        h = headline(run)
        groups = "–" if not math.isfinite(h["groups_open"]) else f"{h['groups_open']:.0f}"
        cells = [("lonely", _pct(h["lonely_pct"])), ("groups", groups), ("volunteers", _pct(h["volunteers_pct"])),
                 ("money", _pct(h["local_money_pct"]))]
        who = "AB"[k] if len(runs) > 1 else "Now"
        rows.append(f'<tr class="numbers-{k}"><td class="who">{who}</td>'
                    + "".join(f'<td class="num-{key}">{v}</td>' for key, v in cells) + "</tr>")
    return f'<table class="numbers"><tr>{head}</tr>{"".join(rows)}</table>'


def _query(router) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(getattr(router, "search", None) or "").items()}


@solara.component
def RoomCodeGate(needed: bool, children=[]):  # noqa: B006 (solara's children convention)
    """The children, once the room code is given (in the address as ?room=... or typed here)."""
    router = solara.use_router()
    typed, set_typed = solara.use_state("")
    tried, set_tried = solara.use_state(False)
    given = typed or _query(router).get("room", "")
    if not needed or code_ok(given):
        solara.Div(children=children)
        return
    with solara.Column(style={"max-width": "520px", "margin": "40px auto", "font-size": "18px"}):
        solara.HTML(tag="h2", unsafe_innerHTML="Community resilience workshop")
        solara.InputText("Room code (from the facilitator)", value="", on_value=lambda v: (set_typed(v or ""),
                         set_tried(True)), classes=["room-code"])
        if tried or given:
            solara.HTML(tag="div", classes=["refused"],
                        unsafe_innerHTML="That is not this room's code. Ask the facilitator for it.")


@solara.component
def ControlPanel(table: Table, controls: Controls, on_controls: Callable[[Controls], None]):
    seed_error, set_seed_error = solara.use_state("")

    def set_field(name: str, cast: type) -> Callable:
        return lambda v: on_controls(controls.replace(**{name: cast(v)}))

    regimes = REGIME_CHOICES if controls.regime in REGIME_CHOICES else (*REGIME_CHOICES, controls.regime)
    label_to_regime = {regime_label(r): r for r in regimes}
    label_to_funding = {v: k for k, v in FUNDING_LABELS.items()}
    solara.Select("How the council spends", values=list(label_to_regime), value=regime_label(controls.regime),
                  on_value=lambda lbl: on_controls(controls.replace(regime=label_to_regime[lbl])), classes=["sel-regime"])
    solara.HTML(tag="div", classes=["regime-note"], unsafe_innerHTML=html.escape(regime_description(controls.regime, controls.investor)))
    if controls.regime != "none":
        solara.Select("Funding path", values=list(label_to_funding), value=FUNDING_LABELS[controls.funding],
                      on_value=lambda lbl: on_controls(controls.replace(funding=label_to_funding[lbl])))
    if controls.regime == "outcomes_based":
        solara.Switch(label="As an investor (fund local groups up front)", value=controls.investor,
                      on_value=set_field("investor", bool))
    for s in sliders_for(controls.regime, controls.investor):
        value = getattr(controls, s.field)
        label = f"{s.label}: {slider_text(s, value)}"
        with solara.Div(classes=["slider", f"slider-{s.field}"]):
            if isinstance(value, int) and not isinstance(value, bool):
                solara.SliderInt(label, value=value, min=int(s.min), max=int(s.max), step=int(s.step),
                                 on_value=set_field(s.field, int))
            else:
                solara.SliderFloat(label, value=value, min=s.min, max=s.max, step=s.step,
                                   on_value=set_field(s.field, float))

    def on_seed(text: str | None) -> None:
        try:
            seed = parse_seed(text)
        except ValueError as exc:
            set_seed_error(str(exc)[0].upper() + str(exc)[1:])
            return
        set_seed_error("")
        on_controls(controls.replace(seed=seed))

    solara.InputText("Seed (same seed = same people)", value=str(controls.seed), on_value=on_seed,
                     error=bool(seed_error), classes=["seed-box"])
    if seed_error:
        solara.HTML(tag="div", classes=["refused", "seed-refused"], unsafe_innerHTML=html.escape(seed_error))


@solara.component
def Page():
    router = solara.use_router()
    present = _query(router).get("layout", "") != "wide"
    with RoomCodeGate(participants_need_code()):
        TablePage(present)


@solara.component
def TablePage(present: bool = True):
    start = solara.use_memo(load_start, [])
    table = solara.use_memo(lambda: ROOM.join(Table(start=start, controls=controls_from_start(start))), [])
    _tick, set_tick = solara.use_state(0)
    show_network, set_show_network = solara.use_state(False)

    def redraw() -> None:
        set_tick(table.version)

    def connect():
        if not table.runs and table.commands.empty():
            table.ask("build")
        table.start_worker()
        return lambda: ROOM.leave(table)

    solara.use_effect(connect, [])

    def poll(cancel: threading.Event) -> None:
        """Redraw when the table's worker (or the facilitator) changed it."""
        seen = -1
        while not cancel.wait(POLL_SECONDS):
            if table.version != seen:
                seen = table.version
                set_tick(seen)

    solara.use_thread(poll, dependencies=[], intrusive_cancel=False)

    def ask(*command) -> None:
        table.ask(*command)
        table.redraw()
        redraw()

    controls = table.controls
    runs = list(table.runs)
    ready = bool(runs) and not table.building

    solara.Style(CSS)
    solara.Title("Community resilience workshop")
    with solara.Column(classes=["workshop"], style={"padding": "4px 12px", "gap": "4px"}):
        with solara.Div(classes=["topbar"]):
            for card in CARDS:
                solara.Button(card.title, on_click=lambda k=card.key: ask("card", k), small=True, outlined=True,
                              color="primary", classes=["card-chip", f"card-{card.key}",
                                                        *(["chosen"] if table.card == card.key else [])])
        # always drawn (empty without a card): an element appearing above the buttons would make the
        # page rebuild them, and a click landing in that moment would be lost
        card = CARD_BY_KEY[table.card] if table.card is not None else None
        solara.HTML(tag="div", classes=["question-banner"] if card else ["question-banner-empty"],
                    unsafe_innerHTML=(f"<b>{html.escape(card.title)}</b>: {html.escape(card.question)}"
                                      if card else ""), attributes={"title": " ".join(card.story) if card else ""})
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "6px"}):
            solara.Button("Pause" if table.playing else "Play", on_click=lambda: ask("play", not table.playing),
                          icon_name="mdi-pause" if table.playing else "mdi-play", color="primary",
                          classes=["btn-play"])
            solara.Button("Step a week", on_click=lambda: ask("step", 1), disabled=table.playing,
                          classes=["btn-step"])
            solara.Button("Step 10 weeks", on_click=lambda: ask("step", 10), disabled=table.playing,
                          classes=["btn-step10"])
            solara.Button("Reset", icon_name="mdi-restart", on_click=lambda: ask("reset"), classes=["btn-reset"])
            week = runs[0].week if runs else 0
            solara.HTML(tag="div", classes=["week-counter"], unsafe_innerHTML=html.escape(week_label(week)))
            with solara.Div(style={"width": "260px"}):
                solara.Select("Play speed", values=list(PLAY_SPEEDS), value=table.speed or DEFAULT_SPEED,
                              on_value=lambda v: ask("speed", v), classes=["sel-speed"], dense=True)
            solara.HTML(tag="span", classes=["building"], unsafe_innerHTML="Setting up the place…" if table.building else "")
        with solara.Div(style={"display": "grid", "grid-template-columns": "280px minmax(0,1fr) minmax(0,1.3fr)"
                               if present else "320px minmax(0,1fr) minmax(0,1fr)", "gap": "10px"}):
            with solara.Column(style={"gap": "2px"}):
                ControlPanel(table, controls, lambda c: (table.set_controls(c), table.redraw(), redraw()))
                solara.Switch(label="Compare two regimes", value=table.compare_with is not None,
                              on_value=lambda v: ask("compare", ("none" if controls.regime != "none"
                                                                 else "grants") if v else None),
                              classes=["switch-compare"])
                if table.compare_with is not None:
                    labels = {regime_label(r): r for r in REGIME_CHOICES}
                    solara.Select("Compare with", values=list(labels), value=regime_label(table.compare_with),
                                  on_value=lambda lbl: ask("compare", labels[lbl]))
                solara.Switch(label="Show close ties", value=show_network, on_value=set_show_network)
            with solara.Column(style={"gap": "2px"}):
                if table.error:
                    solara.Error(f"These settings cannot run: {table.error}")
                elif not ready:
                    solara.Info("Setting up the place…")
                    solara.ProgressLinear(True)
                else:
                    PlaceAndFeed(runs, show_network, _tick)
            with solara.Column(style={"gap": "2px"}):
                if ready:
                    Charts(runs, _tick)


@solara.component
def PlaceAndFeed(runs: list[Run], show_network: bool, tick: int):
    views = [run.view(with_ties=show_network) for run in runs]
    compare = len(runs) > 1
    if runs and all(run.finished for run in runs):
        solara.Text("(the end of the run: press Reset to start again)")
    with solara.Columns([1] * len(views)):
        for k, view in enumerate(views):
            with solara.Column(style={"gap": "0"}):
                if compare:
                    solara.HTML(tag="div", unsafe_innerHTML=f"<b>{'AB'[k]}: {html.escape(runs[k].label)}</b>")
                solara.HTML(tag="div", classes=["place", f"place-{k}"],
                            unsafe_innerHTML=place_svg(view, show_network=show_network, labels=not compare))
    solara.HTML(tag="div", classes=["place-legend"], unsafe_innerHTML=place_legend_html())
    with solara.Columns([1] * len(views)):
        for k, view in enumerate(views):
            with solara.Column(style={"gap": "0"}):
                head = f"What happened in {'AB'[k]}" if compare else "What happened"
                solara.HTML(tag="div", unsafe_innerHTML=f"<b>{head}</b>")
                solara.HTML(tag="div", classes=["event-feed", f"feed-{k}"], unsafe_innerHTML=feed_html(view))


@solara.component
def Charts(runs: list[Run], tick: int):
    views = [run.view() for run in runs]
    labels = [f"{'AB'[k]}: {r.label}" for k, r in enumerate(runs)] if len(runs) > 1 else None
    solara.HTML(tag="div", classes=["live-numbers"], unsafe_innerHTML=numbers_html(runs))
    solara.HTML(tag="div", classes=["charts"], unsafe_innerHTML=charts_html(views, labels))
    solara.HTML(tag="div", classes=["charts-caption"],
                unsafe_innerHTML="Time runs left to right in years; money is over the past year.")


# --- the facilitator ------------------------------------------------------------------------------


def room_table_html(rows: list[dict]) -> str:
    if not rows:
        return "<i>No table is connected yet.</i>"
    head = ("<tr><th>Table</th><th>Card</th><th>Regime</th><th>Seed</th><th>Week</th><th>Lonely</th>"
            "<th>Groups open</th><th>Volunteering</th><th>Money to local groups</th><th></th></tr>")
    body = []
    for r in rows:
        groups = "–" if not math.isfinite(r["groups_open"]) else f"{r['groups_open']:.0f}"
        body.append(
            f'<tr class="room-row" data-table="{r["table"]}"><td>{r["table"]}</td><td>{html.escape(r["card"])}</td>'
            f"<td>{html.escape(r['regime'])}</td><td>{r['seed']}</td><td class='week'>{r['week']}</td>"
            f"<td>{_pct(r['lonely_pct'])}</td><td>{groups}</td><td>{_pct(r['volunteers_pct'])}</td>"
            f"<td>{_pct(r['local_money_pct'])}</td><td>{r['state']}</td></tr>")
    return f'<table class="room-table">{head}{"".join(body)}</table>'


@solara.component
def Facilitator():
    with RoomCodeGate(True):
        FacilitatorView()


@solara.component
def FacilitatorView():
    _tick, set_tick = solara.use_state(0)
    card, set_card = solara.use_state(CARDS[0].key)
    message, set_message = solara.use_state("")
    seed_error, set_seed_error = solara.use_state("")

    def refresh(cancel: threading.Event) -> None:
        while not cancel.wait(FACILITATOR_REFRESH_SECONDS):
            set_tick(lambda t: t + 1)

    solara.use_thread(refresh, dependencies=[], intrusive_cancel=False)

    def push_card() -> None:
        n = ROOM.push_card(card)
        set_message(f"Sent '{CARD_BY_KEY[card].title}' to {n} table(s) at {time.strftime('%H:%M:%S')}.")

    def push_seed(text: str | None) -> None:
        try:
            seed = parse_seed(text)
        except ValueError as exc:
            set_seed_error(str(exc))
            return
        set_seed_error("")
        set_message(f"Sent seed {seed} to {ROOM.push_seed(seed)} table(s) at {time.strftime('%H:%M:%S')}.")

    rows = [t.status() for t in ROOM.tables()]
    solara.Style(CSS)
    solara.Title("Workshop: facilitator")
    with solara.Column(classes=["workshop"], style={"padding": "8px 16px"}):
        solara.HTML(tag="h2", unsafe_innerHTML=f"The room: {len(rows)} table(s) connected")
        solara.HTML(tag="div", classes=["room"], unsafe_innerHTML=room_table_html(rows))
        with solara.Row(style={"align-items": "center", "gap": "8px"}):
            titles = {c.title: c.key for c in CARDS}
            solara.Select("Card", values=list(titles), value=CARD_BY_KEY[card].title,
                          on_value=lambda t: set_card(titles[t]), classes=["push-card-select"])
            solara.Button("Send this card to every table", on_click=push_card, color="primary",
                          classes=["btn-push-card"])
            solara.InputText("Seed for every table", value="", on_value=push_seed, classes=["push-seed"])
        if seed_error:
            solara.HTML(tag="div", classes=["refused"], unsafe_innerHTML=html.escape(seed_error))
        if message:
            solara.HTML(tag="div", classes=["push-message"], unsafe_innerHTML=html.escape(message))
        solara.FileDownload(lambda: ROOM.csv(), filename="workshop-room-runs.csv",
                            label="Export the room's runs (CSV)", mime_type="text/csv")


@solara.component
def Layout(children=[]):  # noqa: B006 (solara's children convention)
    """No app bar or navigation tabs: the page is the whole screen (a projector has none to spare)."""
    solara.Div(children=children)


routes = [
    solara.Route(path="/", component=Page, label="Workshop", layout=Layout),
    solara.Route(path="facilitator", component=Facilitator, label="Facilitator", layout=Layout),
]
