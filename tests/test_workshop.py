"""The workshop app's pure parts: control-to-config mapping, scenario cards, event wording, the
command line, offline assets, pictures and per-session runs. (The browser test is test_workshop_e2e.py.)"""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest

pytest.importorskip("solara", reason="the workshop extra is not installed (pip install -e '.[workshop]')")

from model import ConfigError, make_params  # noqa: E402
from workshop import events  # noqa: E402
from workshop.controls import (  # noqa: E402
    PARAM_OF,
    REGIME_CHOICES,
    REGIME_LABELS,
    SLIDERS,
    START_ENV,
    WORKSHOP_DEFAULTS,
    Controls,
    Start,
    control_overrides,
    controls_from_params,
    controls_from_start,
    params_for,
    start_params,
)
from workshop.scenarios import CARD_BY_KEY, CARDS  # noqa: E402


def small_start(**overrides) -> Start:
    return Start(params=make_params(place="small", overrides={**WORKSHOP_DEFAULTS, **overrides}).to_dict(), seed=5)


def _get(params, dotted: str):
    obj = params
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


# --- controls -> configuration ------------------------------------------------------------------


def test_controls_start_where_the_command_line_left_them():
    start = small_start(**{"council.budget_per_resident_per_year": 8, "regime.tender.contract_years": 3})
    c = controls_from_start(start)
    assert c.budget_per_resident == 8.0 and c.contract_years == 3 and c.seed == 5
    # the untouched controls reproduce the start exactly: no hidden changes
    assert params_for(start, c).to_dict() == start.params


def test_every_control_sets_its_model_parameter():
    start = small_start()
    c = Controls(regime="grants", funding="austerity", budget_per_resident=9.5, max_grant=7_500, contract_years=4,
                 payment_ratio=0.8, max_connectors=6, link_worker_share=0.3, investor=True, seed=11)
    p = params_for(start, c)
    assert p.regime.name == "grants" and p.funding.path == "austerity"
    assert p.council.budget_per_resident_per_year == 9.5
    assert p.regime.grants.max_grant == 7_500
    assert p.regime.tender.contract_years == 4
    assert p.regime.tender.payment_ratio == 0.8
    assert p.regime.community_development.max_connectors == 6
    assert p.regime.partnership.volunteer_centre_share == pytest.approx(0.7)  # what link workers don't get
    assert p.regime.outcomes.investor is True
    # the mapping table and the values agree for every control
    for dotted, value in control_overrides(c).items():
        assert _get(p, dotted) == (value if isinstance(value, bool) else pytest.approx(value))
    assert p.place.name == "small" and p.record_every_weeks == 1  # the rest of the start is kept


def test_control_mapping_round_trips():
    c = Controls(regime="partnership", link_worker_share=0.4, max_connectors=2, seed=9)
    p = params_for(small_start(), c)
    assert controls_from_params(p, 9) == c


def test_sliders_cover_controls_and_their_defaults():
    fields = set(Controls.__dataclass_fields__)
    defaults = Controls()
    for s in SLIDERS:
        assert s.field in fields and s.field in PARAM_OF
        assert s.min <= getattr(defaults, s.field) <= s.max
    assert {"budget_per_resident", "max_grant", "contract_years", "max_connectors"} <= {s.field for s in SLIDERS}
    assert set(REGIME_CHOICES) <= set(REGIME_LABELS)


def test_changing_regime_drops_command_line_mixture_weights():
    start = Start(params=make_params(place="small", regime="mixture",
                                     overrides={"regime.weights": {"grants": 0.5, "partnership": 0.5}}).to_dict())
    c = controls_from_start(start)
    assert c.regime == "mixture"
    assert params_for(start, c).regime.instrument_weights() == {"grants": 0.5, "partnership": 0.5}
    assert params_for(start, c.replace(regime="grants")).regime.instrument_weights() == {"grants": 1.0}


def test_invalid_controls_are_reported():
    with pytest.raises(ValueError, match="funding path"):
        params_for(small_start(), Controls(funding="boom"))
    with pytest.raises(ConfigError, match="contract_years"):
        params_for(small_start(), Controls(contract_years=0))


def test_start_json_round_trip_and_default():
    start = small_start()
    back = Start.from_json(start.to_json())
    assert back.seed == start.seed and start_params(back) == start_params(start)  # JSON turns tuples to lists
    default = Start.from_json(None)
    assert default.params["place"]["name"] == "small" and default.params["record_every_weeks"] == 1


# --- scenario cards -------------------------------------------------------------------------


def test_cards_are_four_to_six_with_a_story_and_a_question():
    assert 4 <= len(CARDS) <= 6
    assert len(CARD_BY_KEY) == len(CARDS)
    for card in CARDS:
        assert len(card.story) == 2 and all(line.strip() for line in card.story)
        assert card.question.endswith("?")
        assert set(card.sets) <= set(Controls.__dataclass_fields__)


def test_cards_set_every_control_and_make_valid_runs():
    base = Controls(seed=77, max_grant=12_000)
    start = small_start()
    start_controls = controls_from_start(start)
    for card in CARDS:
        c = card.apply(base, base=start_controls)
        assert c.seed == 77  # a card never changes the seed: the room compares cards on one seed
        changed = {f for f in Controls.__dataclass_fields__ if getattr(c, f) != getattr(start_controls, f)}
        assert changed <= set(card.sets) | {"seed"}
        params_for(start, c)  # valid
        # nothing is inherited from the previous card: any card after any other = that card alone
        for other in CARDS:
            assert card.apply(other.apply(base, base=start_controls), base=start_controls) == c
    assert CARD_BY_KEY["big_contract"].apply(base).regime == "competitive_tender"
    assert CARD_BY_KEY["tea_and_biscuits"].apply(base).regime == "community_development"
    assert CARD_BY_KEY["austerity"].apply(base).funding == "austerity"
    assert params_for(start, CARD_BY_KEY["investor"].apply(base)).regime.outcomes.investor is True


# --- event feed wording ---------------------------------------------------------------------


def test_when_counts_years_and_weeks_from_one():
    assert events.when(0) == "Year 1, week 1"
    assert events.when(51) == "Year 1, week 52"
    assert events.when(52) == "Year 2, week 1"
    assert events.when(-3) == "Before the start"


def test_plain_words_removes_internal_names_and_the_models_date():
    text = events.plain_words("Year 3: a goodgym group in neighbourhood 2 closed: its money ran out")
    assert text == "A GoodGym-style group in neighbourhood 2 closed: its money ran out."
    assert events.plain_words("the competitive_tender went to outside_providers") == \
        "The tendered contract went to outside providers."
    assert events.plain_words("a volunteer_centre opened") == "A volunteer centre opened."
    assert "_" not in events.plain_words("some_new_thing happened")
    assert events.plain_words("Done!") == "Done!"


def test_tone_marks_bad_and_good_news():
    assert events.tone("A club in neighbourhood 1 closed: its last volunteers left.") == "bad"
    assert events.tone("A new befriending group opened in neighbourhood 3.") == "good"
    assert events.tone("The council awarded the contract to an outside provider.") == "neutral"
    assert events.tone("The executive met.") == "neutral"  # "cut" inside a word is not a cut


def test_feed_renders_event_records_in_plain_words():
    """Records (as objects, dictionaries or their JSON text) are said in plain words from their
    fields; the tone comes from the kind of event."""
    from model.events import Event

    closed = Event(60, "group_closed", 1, "goodgym", "money", {"gid": 3})
    founded = {"week": 61, "kind": "group_founded", "nbhd": 0, "actor": "volunteer_centre",
               "cause": "council_funded", "fields": {"gid": 9}}
    again = Event(104, "contract_awarded", None, "outside_provider", "",
                  {"instrument": "competitive_tender", "places": 34, "years": 1, "provider": 0,
                   "retender": True, "same_provider": True})
    other = Event(156, "contract_awarded", 2, "befriending", "",
                  {"instrument": "outcomes_based", "places": 12, "years": 3, "gid": 4, "partners": 2,
                   "retender": True, "same_provider": False})
    ended = Event(157, "contract_ended", None, "outside_provider", "",
                  {"instrument": "competitive_tender", "provider": 0, "left": True})
    items = events.feed([(60, closed), (61, founded), (104, str(again)), (156, other), (157, ended)], limit=10)
    by_week = {i.week: i for i in items}
    assert by_week[60].text == "A GoodGym-style group in neighbourhood 2 closed: its money ran out."
    assert by_week[60].tone == "bad"
    assert by_week[61].text == "A new volunteer centre group in neighbourhood 1 started: the council funded it."
    assert by_week[61].tone == "good"
    assert "won it again, the same as before (34 places, 1 year)" in by_week[104].text
    assert by_week[104].tone == "neutral"
    assert "a different winner, a befriending group in neighbourhood 3 with 2 partners" in by_week[156].text
    assert by_week[157].text.startswith("An outside provider's befriending contract ended: it left")
    assert all("_" not in i.text and "{" not in i.text for i in items)


def test_feed_is_newest_first_limited_and_dated():
    evs = [(w, f"Year {w // 52 + 1}: event {w}") for w in (1, 5, 60, 61)]
    items = events.feed(evs, limit=3)
    assert [i.week for i in items] == [61, 60, 5]
    assert items[0].when == "Year 2, week 10" and items[0].text == "Event 61."
    assert events.feed([], limit=5) == []


def test_week_label():
    assert events.week_label(0) == "Week 0 (start)"
    assert events.week_label(10) == "Week 10 (year 1)"
    assert events.week_label(52) == "Week 52 (year 1)"
    assert events.week_label(53) == "Week 53 (year 2)"


# --- command line ---------------------------------------------------------------------------


def test_workshop_command_validates_in_one_line(capsys):
    from workshop.app import main

    assert main(["regime=nonsense", "--check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown regime 'nonsense'") and "\n" not in err and "Traceback" not in err
    assert main(["council.budget_per_resident_per_year=-1", "--check"]) == 2
    assert "must be non-negative" in capsys.readouterr().err
    assert main(["regime=grants,none", "--check"]) == 2
    assert "one value per setting" in capsys.readouterr().err


def test_compose_start_defaults_to_the_small_place_and_keeps_overrides():
    from workshop.app import compose_start

    start = compose_start(["regime=investor_outcomes", "council.budget_per_resident_per_year=8", "seed=7"])
    assert start.seed == 7
    assert start.params["place"]["name"] == "small"
    assert start.params["regime"]["name"] == "outcomes_based" and start.params["regime"]["outcomes"]["investor"]
    assert start.params["council"]["budget_per_resident_per_year"] == 8
    assert start.params["record_every_weeks"] == 1
    assert compose_start(["place=town", "record_every_weeks=4"]).params["record_every_weeks"] == 4


def test_regime_words_come_from_the_model_and_sliders_follow_the_regime():
    from model.regimes import regime_description, regime_label
    from workshop.controls import sliders_for

    for r in REGIME_CHOICES:
        assert REGIME_LABELS[r] == regime_label(r) and regime_description(r)
    assert sliders_for("none") == ()
    assert {s.field for s in sliders_for("grants")} == {"budget_per_resident", "max_grant"}
    assert "max_connectors" in {s.field for s in sliders_for("community_development")}
    assert "max_connectors" not in {s.field for s in sliders_for("competitive_tender")}
    assert {s.field for s in sliders_for("outcomes_based", investor=True)} == {"budget_per_resident"}
    # the side text describes the regime that runs: with the investor switch on, the investor's
    from workshop.controls import regime_description as side_text

    assert side_text("outcomes_based", investor=True) == regime_description("investor_outcomes")
    assert side_text("outcomes_based") == regime_description("outcomes_based") != side_text("outcomes_based", True)
    assert side_text("grants", investor=True) == regime_description("grants")  # the switch acts on PbO only
    # every slider shown under a regime changes that regime's model parameters
    start = small_start()
    for r in REGIME_CHOICES:
        base = Controls(regime=r, seed=1)
        for s in sliders_for(r):
            moved = base.replace(**{s.field: type(getattr(base, s.field))(s.max)})
            assert params_for(start, moved) != params_for(start, base), (r, s.field)


def test_a_bad_seed_is_refused_not_changed():
    from workshop.controls import parse_seed

    assert parse_seed("12") == 12 and parse_seed(" 0 ") == 0
    for bad in ("-3", "1.5", "", "abc", str(2**32)):
        with pytest.raises(ValueError, match="was not used"):
            parse_seed(bad)


def test_server_gets_its_start_room_code_and_no_telemetry():
    from workshop.app import addresses, server_command, server_env
    from workshop.room import ROOM_ENV, ROOM_REQUIRED_ENV

    start = small_start()
    env = server_env(start, base={"PATH": "/bin"}, room="123456", participants_need_code=True)
    assert env[ROOM_ENV] == "123456" and env[ROOM_REQUIRED_ENV] == "1"
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"
    lines = "\n".join(addresses("127.0.0.1", 8765, room="123456"))
    assert "room code 123456" in lines and "/facilitator?room=123456" in lines
    assert start_params(Start.from_json(env[START_ENV])) == start_params(start)
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    cmd = server_command("0.0.0.0", 9000)
    assert cmd[1:4] == ["-m", "solara", "run"] and "workshop.page" in cmd and "--production" in cmd
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0" and cmd[cmd.index("--port") + 1] == "9000"


# --- offline assets -------------------------------------------------------------------------


def test_required_packages_come_from_solaras_template():
    from workshop import assets

    names = {p.name for p in assets.required_packages()}
    assert {"@widgetti/solara-vuetify-app", "requirejs", "font-awesome"} <= names
    assert all(p.version.count(".") == 2 for p in assets.required_packages())


def test_missing_files_on_an_empty_cache(tmp_path):
    from workshop import assets

    missing = assets.missing_files(tmp_path)
    assert any(m.startswith("requirejs@") for m in missing)
    assert any(m.endswith("solara-vuetify-app8.min.js") for m in missing)


def test_unpack_keeps_only_the_package_folder(tmp_path):
    from workshop import assets

    tarball = tmp_path / "x.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, data in (("package/package.json", b"{}"), ("package/dist/a.js", b"1"), ("../evil.js", b"x"),
                           ("package/../../evil2.js", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    dest = tmp_path / "cache" / "pkg@1.0.0"
    dest.parent.mkdir()
    assets._unpack(tarball, dest)
    assert (dest / "package.json").read_text() == "{}" and (dest / "dist" / "a.js").exists()
    assert not (tmp_path / "evil.js").exists() and not (tmp_path / "cache" / "evil2.js").exists()


def test_download_checks_the_registry_hash(monkeypatch, tmp_path):
    import contextlib

    from workshop import assets

    data = b"not the real tarball"
    meta = {"dist": {"tarball": "https://registry.example/x.tgz", "integrity": "sha512-AAAA"}}

    def fake_urlopen(url, timeout=0):
        body = data if url.endswith(".tgz") else json.dumps(meta).encode()
        return contextlib.closing(io.BytesIO(body))

    monkeypatch.setattr(assets.urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(RuntimeError, match="integrity"):
        assets._download(assets.Package("requirejs", "2.3.6"), tmp_path)
    import base64
    import hashlib

    meta["dist"]["integrity"] = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert assets._download(assets.Package("requirejs", "2.3.6"), tmp_path).read_bytes() == data


# --- runs, pictures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_pair():
    import os

    from workshop import burnin
    from workshop.session import Run

    old = os.environ.get(burnin.CACHE_ENV)
    os.environ[burnin.CACHE_ENV] = "off"  # no files from the tests
    try:
        params = make_params(place="small", overrides={**WORKSHOP_DEFAULTS, "burn_in_years": 1})
        a, b = Run.start(params, seed=4), Run.start(params, seed=4)
    finally:
        if old is None:
            os.environ.pop(burnin.CACHE_ENV, None)
        else:
            os.environ[burnin.CACHE_ENV] = old
    return a, b


def test_runs_are_independent_and_reproducible(run_pair):
    a, b = run_pair
    assert a.model is not b.model and a.week == b.week == 0
    assert a.step(3) == 3
    assert a.week == 3 and b.week == 0  # stepping one session's model leaves the other alone
    b.step(3)
    va, vb = a.view(), b.view()
    np.testing.assert_array_equal(va.loneliness, vb.loneliness)  # same seed, same run
    assert len(va.timeseries) == 3  # one row a week


def test_place_and_charts_draw_what_they_show(run_pair):
    from workshop.figures import CHARTS, charts_html, place_svg

    a, _ = run_pair
    view = a.view(with_ties=True)
    svg = place_svg(view, show_network=True)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    residents = svg.split('<g class="residents">', 1)[1].split('<g class="closed-groups"', 1)[0]
    assert residents.count("<circle") == view.xy.shape[0]
    assert svg.count("<title>") >= len(view.group_kind)  # every group has a tooltip
    assert 'class="network"' in svg
    assert 'class="network"' not in place_svg(view, show_network=False)
    html = charts_html([view, view], labels=["A: one", "B: two"])
    for chart in CHARTS:
        assert f'data-chart="{chart.column}"' in html
    assert 'class="series-1"' in html and 'data-chart="money"' in html


def test_a_share_of_money_is_drawn_on_an_axis_that_stops_at_100():
    import re

    from workshop.figures import CHARTS, line_chart_svg

    money = next(c for c in CHARTS if c.column == "local_funding_share")
    years = np.arange(10.0)

    def ticks(values: np.ndarray, **kw) -> list[float]:
        svg = line_chart_svg("t", [(years, values)], fixed=money.fixed, **kw)
        return [float(t) for t in re.findall(r'text-anchor="end" fill="#333">([^<]*)<', svg)]

    assert max(ticks(np.full(10, 100.0), limit=money.limit)) == 100.0  # all the money to local groups
    assert max(ticks(np.full(10, 100.0))) > 100.0  # without the limit the 5% headroom pushes past it
    lonely = next(c for c in CHARTS if c.column == "lonely_share")
    assert max(ticks(np.full(10, 60.0), limit=lonely.limit)) >= 60.0  # other charts still grow to the data


def test_closed_groups_are_drawn_where_they_were():
    from workshop.figures import place_svg
    from workshop.session import View, neighbourhood_cells, resident_positions

    cells = neighbourhood_cells(4)
    nbhd = np.repeat(np.arange(4), 5)
    import pandas as pd

    view = View(week=3, cells=cells, xy=resident_positions(nbhd, cells), loneliness=np.linspace(0, 1, 20),
                lonely_threshold=0.5, group_xy=np.array([[0.5, 0.5]]), group_kind=np.array(["club"], dtype=object),
                group_members=np.array([10.0]), group_health=np.array([5.0]), gone_xy=np.array([[1.5, 1.5]]),
                timeseries=pd.DataFrame(), events=((1, "Year 1: <b>x</b>"),), spend={})
    svg = place_svg(view)
    assert "a group that closed" in svg
    from workshop.page import feed_html

    assert "&lt;b&gt;" in feed_html(view)  # model text is escaped


def test_positions_stay_inside_their_neighbourhood():
    from workshop.session import neighbourhood_cells, resident_positions

    cells = neighbourhood_cells(8)
    assert len(set(cells)) == 8
    nbhd = np.random.default_rng(0).integers(0, 8, 3_000)
    xy = resident_positions(nbhd, cells)
    for k, (x0, y0) in enumerate(cells):
        sel = nbhd == k
        assert (xy[sel, 0] > x0).all() and (xy[sel, 0] < x0 + 1).all()
        assert (xy[sel, 1] > y0).all() and (xy[sel, 1] < y0 + 1).all()


def test_page_module_does_no_work_at_import():
    import importlib

    page = importlib.import_module("workshop.page")
    assert callable(page.Page)
    assert json.loads(Start(params={}, seed=1).to_json()) == {"params": {}, "seed": 1}


# --- the shared burn-in, the table's command queue, the room ----------------------------------


@pytest.fixture()
def memory_cache(monkeypatch):
    from workshop import burnin

    monkeypatch.setenv(burnin.CACHE_ENV, "off")
    monkeypatch.setattr(burnin, "_pickled", {})
    return burnin


def _quick_start() -> Start:
    return Start(params=make_params(place="small", overrides={**WORKSHOP_DEFAULTS, "burn_in_years": 1}).to_dict(),
                 seed=5)


def test_one_burn_in_per_place_and_seed_never_a_shared_model(memory_cache):
    start = _quick_start()
    c = controls_from_start(start)
    before = dict(memory_cache.stats)
    a = memory_cache.settled_model(params_for(start, c), 5)
    b = memory_cache.settled_model(params_for(start, c.replace(regime="grants")), 5)  # regime: same burn-in
    assert memory_cache.stats["computed"] - before["computed"] == 1
    assert memory_cache.stats["served"] - before["served"] == 1
    assert a is not b and a.res is not b.res and a.week == b.week == 0
    # the study's parameters are adopted at week 0 (the model runs its burn-in under the burn-in's own)
    assert b.study_params.regime.name == "grants" and a.study_params.regime.name == c.regime
    np.testing.assert_array_equal(np.asarray(a.res.loneliness), np.asarray(b.res.loneliness))
    a.step()
    assert a.week == 1 and b.week == 0
    memory_cache.settled_model(params_for(start, c), 6)  # another seed: another burn-in
    assert memory_cache.stats["computed"] - before["computed"] == 2


def test_cached_burn_in_gives_the_same_run_as_a_fresh_one(memory_cache):
    from model.model import CommunityModel

    start = _quick_start()
    params = params_for(start, controls_from_start(start).replace(regime="grants"))
    memory_cache.settled_model(params_for(start, controls_from_start(start)), 5)  # cache filled by another regime
    cached = memory_cache.settled_model(params, 5)
    fresh = CommunityModel(params, seed=5)
    fresh.burn_in()
    for _ in range(8):
        cached.step()
        fresh.step()
    np.testing.assert_array_equal(np.asarray(cached.res.loneliness), np.asarray(fresh.res.loneliness))


def _drain(table, timeout: float = 120.0) -> None:
    import threading
    import time

    cancel = threading.Event()
    worker = threading.Thread(target=table.work, args=(cancel,), daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout
    while (not table.commands.empty() or table.building) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.1)
    cancel.set()
    worker.join(5)


def test_clicks_during_a_rebuild_are_applied_after_it(memory_cache):
    from workshop.room import Table

    start = _quick_start()
    table = Table(start=start, controls=controls_from_start(start))
    table.ask("build")
    table.ask("card", "big_contract")
    table.ask("step", 10)  # clicked while the card's run is being built
    table.ask("step", 1)
    _drain(table)
    assert table.card == "big_contract" and table.runs[0].params.regime.name == "competitive_tender"
    assert table.runs[0].week == 11


def test_side_by_side_keeps_the_current_run(memory_cache):
    from workshop.room import Table

    start = _quick_start()
    table = Table(start=start, controls=controls_from_start(start))
    table.ask("build")
    table.ask("step", 6)
    _drain(table)
    first = table.runs[0]
    table.ask("compare", "none")
    _drain(table)
    assert table.runs[0] is first and first.week == 6 and table.runs[1].week == 6
    assert table.runs[1].params.regime.name == "none"
    table.ask("compare", None)
    _drain(table)
    assert table.runs == [first] and first.week == 6


def test_room_pushes_cards_and_exports_runs(memory_cache):
    import csv
    import io as _io

    from workshop.room import Room, Table

    start = _quick_start()
    room = Room()
    tables = [room.join(Table(start=start, controls=controls_from_start(start))) for _ in range(2)]
    for t in tables:
        t.ask("build")
        t.ask("step", 3)
        _drain(t)
    assert room.push_card("on_its_own") == 2
    for t in tables:
        t.ask("step", 2)
        _drain(t)
        assert t.card == "on_its_own" and t.runs[0].week == 2 and t.status()["week"] == 2
    assert [t.status()["table"] for t in room.tables()] == [1, 2]
    rows = list(csv.DictReader(_io.StringIO(room.csv())))
    assert len(rows) == 4  # each table: the run left at week 3, the card's run at week 2
    assert sorted(r["week"] for r in rows) == ["2", "2", "3", "3"]
    assert {r["card"] for r in rows} == {"", "on_its_own"}
    with pytest.raises(ValueError):
        room.push_card("no_such_card")


def test_room_code_is_checked(monkeypatch):
    from workshop import room

    monkeypatch.setenv(room.ROOM_ENV, "123456")
    assert room.code_ok("123456") and room.code_ok(" 123456 ")
    assert not room.code_ok("123457") and not room.code_ok("") and not room.code_ok(None)
    monkeypatch.setenv(room.ROOM_ENV, "")
    assert room.code_ok("anything")


def test_money_bar_and_money_line_agree(run_pair):
    from workshop.figures import local_share

    a, _ = run_pair
    a.step(60)  # past the first year: the year-so-far and the past-year windows differ
    view = a.view()
    line = float(view.timeseries["local_funding_share"].iloc[-1])
    bar = local_share(view.spend)
    assert (np.isnan(line) and np.isnan(bar)) or bar == pytest.approx(line, abs=1e-9)


def test_the_facilitators_guide_states_the_apps_real_numbers(memory_cache):
    """The guide's groups at the start and settling-in years are those of the app's starting point."""
    import re
    from pathlib import Path

    from workshop.session import Run

    guide = (Path(__file__).resolve().parent.parent / "workshop" / "FACILITATORS.md").read_text()
    start = Start.from_json(None)  # what `resilience workshop` starts from
    params = start_params(start)
    founded = re.search(r"(\d+)\s+community groups are founded", guide)
    assert founded and int(founded.group(1)) == params.place.n_groups
    years = {float(y) for y in re.findall(r"(\d+(?:\.\d+)?)\s+settling-in years", guide)}
    assert years == {params.burn_in_years}, years  # one settling-in period, said one way
    assert not re.search(r"years to settle|couple of years|five years to", guide)
    said = re.search(r"about (\d+) are still open when you start", guide)
    assert said
    controls = controls_from_start(start)
    open_at_start = [Run.start(params_for(start, controls.replace(seed=s)), s).view().active_groups
                     for s in (start.seed, start.seed + 1)]
    assert min(open_at_start) - 1 <= int(said.group(1)) <= max(open_at_start) + 1, open_at_start


def test_feed_tells_a_contract_won_again_once():
    """A contract that ends and is won again by the same provider in the same week is one line (the
    re-tender), not "it left" followed by "it won"; a contract won by someone else keeps both."""
    from model.events import Event

    def ended(week):
        return Event(week, "contract_ended", None, "outside_provider", "",
                     {"instrument": "competitive_tender", "provider": 0, "left": True})

    def awarded(week, same):
        return Event(week, "contract_awarded", None, "outside_provider", "",
                     {"instrument": "competitive_tender", "places": 20, "years": 1, "provider": 0,
                      "retender": True, "same_provider": same})

    items = events.feed([(52, ended(52)), (52, awarded(52, True)), (104, ended(104)), (104, awarded(104, False))])
    texts = [i.text for i in items]
    assert sum("won it again" in t for t in texts) == 1
    assert sum("ended" in t for t in texts) == 1  # only the one a different winner followed
    assert [i.week for i in items if "ended" in i.text] == [104]
