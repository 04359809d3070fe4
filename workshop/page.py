"""The workshop page (served by ``solara run workshop.page``; started by ``resilience workshop``).

Every piece of state lives inside the ``Page`` component (``solara.use_state``), so each browser
session gets its own controls and its own models; nothing is kept at module level. Importing this
module does no work: the starting point is read from the environment when a session opens.
"""

from __future__ import annotations

import html
import os
import threading
import time
from collections.abc import Callable

import solara

from model import ConfigError
from workshop.controls import (
    FUNDING_LABELS,
    REGIME_CHOICES,
    REGIME_LABELS,
    SLIDERS,
    START_ENV,
    Controls,
    Slider,
    Start,
    controls_from_start,
    params_for,
)
from workshop.events import feed, week_label
from workshop.figures import charts_html, place_svg
from workshop.scenarios import CARD_BY_KEY, CARDS
from workshop.session import Run, View

PLAY_FRAME_SECONDS = 0.25  # at most 4 frames (weeks) a second while playing: readable, and light on the laptop
DEBOUNCE_SECONDS = 0.25  # a slider being dragged rebuilds the model once, when it stops

CSS = """
.workshop-title { font-size: 1.4rem; font-weight: 600; margin: 4px 0 0 0; }
.week-counter { font-size: 1.3rem; font-weight: 600; margin: 4px 8px; }
.scenario-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; }
.scenario-card { border: 1px solid #ddd; border-radius: 6px; padding: 6px 8px 2px 8px; background: #fff;
                 display: flex; flex-direction: column; justify-content: space-between; }
.scenario-card.chosen { outline: 3px solid #1976d2; background: #f5f9ff; }
.card-title { font-weight: 600; font-size: 0.95rem; }
.card-story { font-size: 0.78rem; line-height: 1.2; color: #333; }
.card-question { font-size: 0.78rem; font-style: italic; color: #1565c0; margin-top: 3px; }
.card-button { align-self: flex-start; }
.question-banner { background: #e3f2fd; padding: 6px 12px; border-radius: 6px; font-style: italic; }
.event-feed { font-size: 0.85rem; max-height: 320px; overflow-y: auto; }
.event-feed .bad { color: #b71c1c; }
.event-feed .good { color: #1b5e20; }
.event-feed .when { color: #666; margin-right: 6px; }
.chart-legend { font-size: 0.85rem; }
"""


def load_start() -> Start:
    return Start.from_json(os.environ.get(START_ENV))


def build_runs(start: Start, controls: Controls, compare_with: str | None) -> list[Run]:
    """The session's runs: one, or two on the same seed when comparing regimes side by side."""
    runs = [Run.start(params_for(start, controls), controls.seed, label=REGIME_LABELS[controls.regime])]
    if compare_with is not None:
        other = controls.replace(regime=compare_with)
        runs.append(Run.start(params_for(start, other), other.seed, label=REGIME_LABELS[compare_with]))
    return runs


@solara.component
def ScenarioCards(chosen: str | None, on_choose: Callable[[str], None]):
    with solara.Div(classes=["scenario-cards"]):
        for card in CARDS:
            with solara.Div(classes=["scenario-card", *(["chosen"] if card.key == chosen else [])]):
                solara.HTML(tag="div", unsafe_innerHTML=(
                    f'<div class="card-title">{html.escape(card.title)}</div>'
                    f'<div class="card-story">{html.escape(" ".join(card.story))}</div>'
                    f'<div class="card-question">{html.escape(card.question)}</div>'))
                solara.Button("Use this card", on_click=lambda k=card.key: on_choose(k), small=True, text=True,
                              color="primary", classes=["card-button", f"card-{card.key}"])


@solara.component
def ControlPanel(controls: Controls, set_controls: Callable[[Controls], None], regimes: tuple[str, ...]):
    def set_field(name: str, cast: type) -> Callable:
        return lambda v: set_controls(controls.replace(**{name: cast(v)}))

    label_to_regime = {REGIME_LABELS[r]: r for r in regimes}
    label_to_funding = {v: k for k, v in FUNDING_LABELS.items()}
    solara.Select("How the council spends", values=list(label_to_regime), value=REGIME_LABELS[controls.regime],
                  on_value=lambda lbl: set_controls(controls.replace(regime=label_to_regime[lbl])))
    solara.Select("Funding path", values=list(label_to_funding), value=FUNDING_LABELS[controls.funding],
                  on_value=lambda lbl: set_controls(controls.replace(funding=label_to_funding[lbl])))
    if controls.regime == "outcomes_based":
        solara.Switch(label="Investor in outcomes (fund local groups up front)", value=controls.investor,
                      on_value=set_field("investor", bool))
    for s in SLIDERS:
        value = getattr(controls, s.field)
        label = f"{s.label}: {slider_text(s, value)}"
        if isinstance(value, int) and not isinstance(value, bool):
            solara.SliderInt(label, value=value, min=int(s.min), max=int(s.max), step=int(s.step),
                             on_value=set_field(s.field, int))
        else:
            solara.SliderFloat(label, value=value, min=s.min, max=s.max, step=s.step,
                               on_value=set_field(s.field, float))
    solara.InputInt("Seed (same seed = same people and chances)", value=controls.seed,
                    on_value=lambda v: set_controls(controls.replace(seed=max(0, int(v or 0)))))


def slider_text(s: Slider, value: float) -> str:
    if s.unit == "£":
        return f"£{value:,.0f}" if value >= 100 else f"£{value:g}"
    if s.unit:
        return f"{value:g} {s.unit}"
    return f"{value:.0%}" if s.max <= 2 else f"{value:g}"


def feed_html(view: View) -> str:
    items = feed(view.events, limit=15)
    if not items:
        return "<i>Nothing has happened yet.</i>"
    rows = [f'<div class="{it.tone}"><span class="when">{html.escape(it.when)}</span>{html.escape(it.text)}</div>'
            for it in items]
    return "".join(rows)


@solara.component
def Page():
    start = solara.use_memo(load_start, [])
    initial = solara.use_memo(lambda: controls_from_start(start), [])
    controls, set_controls = solara.use_state(initial)
    chosen_card, set_chosen_card = solara.use_state(None)
    compare, set_compare = solara.use_state(False)
    regime_b, set_regime_b = solara.use_state("none")
    show_network, set_show_network = solara.use_state(False)
    playing, set_playing = solara.use_state(False)
    generation, set_generation = solara.use_state(0)  # bumped by Reset
    tick, set_tick = solara.use_state(0)  # bumped after every step: redraws the pictures
    regimes = REGIME_CHOICES if controls.regime in REGIME_CHOICES else (*REGIME_CHOICES, controls.regime)

    def on_controls(new: Controls) -> None:
        set_playing(False)
        set_chosen_card(None)
        set_controls(new)

    def choose_card(key: str) -> None:
        set_playing(False)
        set_controls(CARD_BY_KEY[key].apply(controls))
        set_chosen_card(key)

    def build(cancel: threading.Event) -> list[Run] | None:
        cancel.wait(DEBOUNCE_SECONDS)
        if cancel.is_set():
            return None
        return build_runs(start, controls, regime_b if compare else None)

    built = solara.use_thread(build, dependencies=[controls, compare, regime_b, generation],
                              intrusive_cancel=False)
    runs: list[Run] | None = built.value if built.state == solara.ResultState.FINISHED else None

    def step(weeks: int) -> None:
        if runs:
            for run in runs:
                run.step(weeks)
            set_tick(lambda t: t + 1)

    def play_loop(cancel: threading.Event) -> None:
        if not (playing and runs):
            return
        while not cancel.is_set():
            t0 = time.perf_counter()
            stepped = sum(run.step(1) for run in runs)
            set_tick(lambda t: t + 1)
            if not stepped:  # the horizon: stop playing
                set_playing(False)
                return
            cancel.wait(max(0.0, PLAY_FRAME_SECONDS - (time.perf_counter() - t0)))

    solara.use_thread(play_loop, dependencies=[playing, runs], intrusive_cancel=False)

    solara.Style(CSS)
    solara.Title("Community resilience workshop")
    with solara.Column(style={"padding": "8px 16px", "gap": "6px"}):
        solara.HTML(tag="div", classes=["workshop-title"],
                    unsafe_innerHTML="Community resilience: how a council funds its community, and what follows")
        ScenarioCards(chosen_card, choose_card)
        if chosen_card is not None:
            solara.HTML(tag="div", classes=["question-banner"],
                        unsafe_innerHTML="Question for the room: " + html.escape(CARD_BY_KEY[chosen_card].question))
        with solara.Columns([1, 3]):
            with solara.Column():
                with solara.Card("Controls", margin=0):
                    ControlPanel(controls, on_controls, regimes)
                with solara.Card("Side by side", margin=0):
                    solara.Switch(label="Compare two regimes on the same seed", value=compare,
                                  on_value=lambda v: (set_playing(False), set_compare(v)))
                    if compare:
                        labels = {REGIME_LABELS[r]: r for r in REGIME_CHOICES}
                        solara.Select("Compare with", values=list(labels), value=REGIME_LABELS[regime_b],
                                      on_value=lambda lbl: (set_playing(False), set_regime_b(labels[lbl])))
                solara.Switch(label="Show the social network (close ties)", value=show_network,
                              on_value=set_show_network)
            with solara.Column():
                with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                    solara.Button("Pause" if playing else "Play", on_click=lambda: set_playing(not playing),
                                  icon_name="mdi-pause" if playing else "mdi-play", color="primary",
                                  disabled=runs is None, classes=["btn-play"])
                    solara.Button("Step a week", on_click=lambda: step(1), disabled=runs is None or playing,
                                  classes=["btn-step"])
                    solara.Button("Step 10 weeks", on_click=lambda: step(10), disabled=runs is None or playing,
                                  classes=["btn-step10"])
                    solara.Button("Reset", icon_name="mdi-restart",
                                  on_click=lambda: (set_playing(False), set_generation(generation + 1)),
                                  classes=["btn-reset"])
                    week = runs[0].week if runs else 0
                    solara.HTML(tag="div", classes=["week-counter"], unsafe_innerHTML=html.escape(week_label(week)))
                    if runs and all(run.finished for run in runs):
                        solara.Text("(the end of the run: press Reset to start again)")
                if built.state == solara.ResultState.ERROR:
                    err = built.error
                    msg = str(err) if isinstance(err, ConfigError | ValueError) else f"{type(err).__name__}: {err}"
                    solara.Error(f"These settings cannot run: {msg}")
                elif runs is None:
                    solara.Info("Setting up the place and letting it settle for a couple of years…")
                    solara.ProgressLinear(True)
                else:
                    Views(runs, tick, show_network)


@solara.component
def Views(runs: list[Run], tick: int, show_network: bool):
    views = [run.view(with_ties=show_network) for run in runs]
    compare = len(runs) > 1
    labels = [f"{'AB'[k]}: {r.label}" for k, r in enumerate(runs)] if compare else None
    with solara.Columns([1, 1]):
        with solara.Column():
            with solara.Columns([1] * len(views)):
                for k, view in enumerate(views):
                    solara.HTML(tag="div", classes=["place", f"place-{k}"],
                                unsafe_innerHTML=place_svg(view, show_network=show_network,
                                                           title=labels[k] if labels else None))
            with solara.Columns([1] * len(views)):
                for k, view in enumerate(views):
                    with solara.Column():
                        head = f"What happened in {'AB'[k]}" if compare else "What happened"
                        solara.HTML(tag="div", unsafe_innerHTML=f"<b>{head}</b>")
                        solara.HTML(tag="div", classes=["event-feed", f"feed-{k}"], unsafe_innerHTML=feed_html(view))
        solara.HTML(tag="div", classes=["charts"], unsafe_innerHTML=charts_html(views, labels))
