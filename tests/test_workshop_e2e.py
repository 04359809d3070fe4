"""The workshop app end to end, in a real (headless) Chromium.

Starts ``python -m workshop.app`` (what ``resilience workshop`` runs) on a free localhost port, with
solara's CDN address pointed at a local trap server and a room code, then drives browser sessions with
Playwright: twelve tables stepping at once stay independent and lose no click; a click during a rebuild
is applied after it; the facilitator's view lists every table and pushes a card; a wrong room code is
refused; at 1366x768 the charts and the feed are above the fold (``artifacts/workshop-1366x768.png``);
and no request leaves this machine. Timings for a room are in ``benchmarks/workshop_speed.py``.

Needs Chromium at /usr/bin/chromium (Debian: ``apt-get install -y chromium``) and the front-end files
prepared (``python -m workshop.assets prepare``); skipped with the reason otherwise. Never runs
``playwright install``.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
ROOM = "314159"  # the room code the test server is started with
TABLES = 12  # browsers stepping at once: a room of twelve

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium at /usr/bin/chromium "
                       "(install it with `apt-get install -y chromium`)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Trap(http.server.BaseHTTPRequestHandler):
    """Stands in for the CDN: records every request and answers 404."""

    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        _Trap.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def cdn_trap():
    _Trap.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/npm/", _Trap.hits
    server.shutdown()


@pytest.fixture(scope="module")
def app_url(cdn_trap, tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="playwright (python package) is not installed")
    from workshop import assets

    missing = assets.missing_files()
    if missing:
        pytest.skip(f"front-end files not prepared ({missing[0]} missing): run `python -m workshop.assets prepare`")
    port = _free_port()
    env = dict(os.environ)
    env["SOLARA_ASSETS_CDN"] = cdn_trap[0]  # any cache miss would go here, not to the internet
    env["RESILIENCE_WORKSHOP_CACHE"] = str(tmp_path_factory.mktemp("burn_in_cache"))
    log = (ARTIFACTS / "workshop-server.log")
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workshop.app", "seed=3", "--host", "127.0.0.1",
                                 "--port", str(port), "--room-code", ROOM], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the app server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the app server did not answer within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server we started and its solara child
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _week(page) -> str:
    return page.inner_text(".week-counter").strip()


def _weeks(page) -> int:
    return int(_week(page).split()[1])


def _wait_ready(page, timeout_ms: int = 60_000) -> None:
    page.wait_for_selector(".charts svg[data-chart='lonely_share']", timeout=timeout_ms)
    page.wait_for_selector(".btn-step10:not([disabled])", timeout=timeout_ms)


def _wait_week(page, n: int, timeout_ms: int = 60_000) -> None:
    page.wait_for_function("n => { const w = document.querySelector('.week-counter');"
                           " return w && parseInt(w.innerText.split(' ')[1]) === n; }", arg=n, timeout=timeout_ms)


def _lonely_line(page) -> str:
    line = page.query_selector(".charts svg[data-chart='lonely_share'] polyline.series-0")
    return (line.get_attribute("points") or "") if line is not None else ""


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser, url: str, requests: list[str] | None = None, **viewport):
    ctx = browser.new_context(viewport=viewport or {"width": 1366, "height": 768})
    if requests is not None:
        ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.goto(url)
    return ctx, page


def test_a_wrong_room_code_is_refused(app_url, browser):
    ctx, page = _open(browser, app_url + "?room=000000")
    try:
        page.wait_for_selector(".refused", timeout=60_000)
        assert "not this room's code" in page.inner_text(".refused")
        assert page.query_selector(".btn-step") is None and page.query_selector(".charts") is None
        page.goto(app_url.rstrip("/") + "/facilitator?room=000000")
        page.wait_for_selector(".refused", timeout=60_000)
        assert page.query_selector(".room") is None
        # the right code, typed in, lets the participant in
        page.goto(app_url)
        page.wait_for_selector(".room-code input", timeout=60_000)
        page.fill(".room-code input", ROOM)
        page.press(".room-code input", "Enter")
        _wait_ready(page)
    finally:
        ctx.close()


def test_a_click_during_a_rebuild_is_not_lost(app_url, browser):
    ctx, page = _open(browser, f"{app_url}?room={ROOM}")
    try:
        _wait_ready(page)
        page.click(".card-big_contract")
        page.click(".btn-step10")  # straight after the card, while its run is being built
        _wait_week(page, 10)
        page.wait_for_selector(".card-chip.chosen.card-big_contract", timeout=10_000)
        assert "Who is still there" in page.inner_text(".question-banner")
        assert "Competitive tender" in page.inner_text(".sel-regime")
        page.wait_for_function("() => { const l = document.querySelector(\".charts svg[data-chart='lonely_share'] "
                               "polyline.series-0\"); return l && l.getAttribute('points').trim().split(/\\s+/)"
                               ".length >= 10; }", timeout=30_000)
        # side by side keeps the run where it is
        page.click(".switch-compare")
        page.wait_for_selector(".place-1 svg", timeout=60_000)
        assert _weeks(page) == 10
        page.wait_for_selector(".charts svg[data-chart='lonely_share'] polyline.series-1", timeout=30_000)
        # a bad seed is refused visibly and changes nothing
        page.fill(".seed-box input", "-3")
        page.press(".seed-box input", "Enter")
        page.wait_for_selector(".seed-refused", timeout=10_000)
        assert _weeks(page) == 10
    finally:
        ctx.close()


def test_twelve_tables_step_at_once_and_the_facilitator_sees_and_steers_them(app_url, browser, cdn_trap):
    requests: list[str] = []
    tables = [_open(browser, f"{app_url}?room={ROOM}", requests) for _ in range(TABLES)]
    fctx = None
    try:
        for _, page in tables:
            _wait_ready(page)
        assert {_weeks(page) for _, page in tables} == {0}
        # every table clicks a different number of steps, all at once (no waiting between clicks)
        wanted = [1 + k % 4 for k in range(TABLES)]
        for round_ in range(max(wanted)):
            for (_, page), n in zip(tables, wanted, strict=True):
                if round_ < n:
                    page.click(".btn-step")
        for (_, page), n in zip(tables, wanted, strict=True):
            _wait_week(page, n)  # no click lost, and no table moved another
        time.sleep(0.5)
        assert [_weeks(page) for _, page in tables] == wanted

        fctx, fac = _open(browser, f"{app_url.rstrip('/')}/facilitator?room={ROOM}", requests, width=1366, height=900)
        fac.wait_for_function("n => document.querySelectorAll('.room-row').length >= n", arg=TABLES, timeout=30_000)
        weeks = sorted(int(c.inner_text()) for c in fac.query_selector_all(".room-row .week"))
        assert not Counter(wanted) - Counter(weeks), weeks  # every table's row, at its own week
        fac.click(".push-card-select")
        fac.click("text=The community on its own >> visible=true")
        fac.click(".btn-push-card")
        for _, page in tables:
            page.wait_for_selector(".card-chip.chosen.card-on_its_own", timeout=60_000)
            _wait_week(page, 0)
        fac.wait_for_selector(".push-message", timeout=10_000)
        assert f"to {TABLES}" in fac.inner_text(".push-message") or "table(s)" in fac.inner_text(".push-message")
    finally:
        for ctx, _ in tables:
            ctx.close()
        if fctx is not None:
            fctx.close()
    remote = sorted({u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                     and urlsplit(u).hostname not in LOCAL_HOSTS})
    assert remote == [], f"requests left this machine: {remote[:5]}"
    assert requests, "no requests were recorded"
    assert cdn_trap[1] == [], f"the server went to the CDN for: {cdn_trap[1][:5]}"


def test_the_projector_layout_fits_1366x768(app_url, browser):
    ctx, page = _open(browser, f"{app_url}?room={ROOM}", width=1366, height=768)
    try:
        _wait_ready(page)
        page.click(".card-tea_and_biscuits")
        page.click(".btn-step10")
        _wait_week(page, 10)
        page.wait_for_selector(".feed-0", timeout=30_000)
        time.sleep(0.5)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "workshop-1366x768.png"))
        for sel in (".charts svg[data-chart='money']", ".feed-0", ".place-0 svg", ".live-numbers", ".place-legend"):
            box = page.query_selector(sel).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 60) <= 768, sel
        assert page.query_selector(".charts svg[data-chart='money']").bounding_box()["y"] + \
            page.query_selector(".charts svg[data-chart='money']").bounding_box()["height"] <= 768
        # no text smaller than 16 px in the charts, the numbers, the legend and the feed
        smallest = page.evaluate("""() => {
            let m = 1e9;
            for (const el of document.querySelectorAll('.charts text, .live-numbers td, .live-numbers th,'
                                                     + ' .place-legend span, .event-feed div')) {
                const r = el.getBoundingClientRect();
                if (r.height === 0) continue;
                m = Math.min(m, parseFloat(getComputedStyle(el).fontSize)
                             * (el instanceof SVGElement ? el.ownerSVGElement.getBoundingClientRect().width
                                / el.ownerSVGElement.viewBox.baseVal.width : 1));
            }
            return m; }""")
        assert smallest >= 15.5, smallest
        assert "Solara" not in page.inner_text("body")  # the badge is hidden
    finally:
        ctx.close()
