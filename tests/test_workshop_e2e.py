"""The workshop app end to end, in a real (headless) Chromium.

Starts ``python -m workshop.app`` (what ``resilience workshop`` runs) on a free localhost port, with
solara's CDN address pointed at a local trap server, then drives two browser sessions with Playwright:
pick a scenario card, step ten weeks, check the week counter and a chart moved, check the other
session did not move, and check that no request left this machine (neither from the browsers nor
from the server filling its front-end cache). Saves ``artifacts/workshop.png``.

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
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

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
def app_url(cdn_trap):
    pytest.importorskip("playwright.sync_api", reason="playwright (python package) is not installed")
    from workshop import assets

    missing = assets.missing_files()
    if missing:
        pytest.skip(f"front-end files not prepared ({missing[0]} missing): run `python -m workshop.assets prepare`")
    port = _free_port()
    env = dict(os.environ)
    env["SOLARA_ASSETS_CDN"] = cdn_trap[0]  # any cache miss would go here, not to the internet
    log = (ARTIFACTS / "workshop-server.log")
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workshop.app", "seed=3", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
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


def _wait_ready(page, timeout_ms: int = 60_000) -> None:
    page.wait_for_selector(".charts svg[data-chart='lonely_share']", timeout=timeout_ms)
    page.wait_for_selector(".btn-step10:not([disabled])", timeout=timeout_ms)


def _lonely_line(page) -> str:
    """The lonely-share line's points ("" before the first recorded week)."""
    line = page.query_selector(".charts svg[data-chart='lonely_share'] polyline.series-0")
    return (line.get_attribute("points") or "") if line is not None else ""


def test_workshop_in_a_browser(app_url, cdn_trap):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            one = browser.new_context(viewport={"width": 1400, "height": 1500})
            two = browser.new_context(viewport={"width": 1200, "height": 900})
            for ctx in (one, two):
                ctx.on("request", lambda r: requests.append(r.url))
            a, b = one.new_page(), two.new_page()
            a.goto(app_url)
            b.goto(app_url)
            _wait_ready(a)
            _wait_ready(b)
            assert _week(a) == "Week 0 (start)"
            assert _week(b) == "Week 0 (start)"

            # participant A picks a card: the controls change and a fresh model is built
            a.click(".card-big_contract")
            a.wait_for_selector(".scenario-card.chosen", timeout=10_000)
            assert "Who is still there" in a.inner_text(".question-banner")
            _wait_ready(a)
            before = _lonely_line(a)
            a.click(".btn-step10")
            a.wait_for_function("document.querySelector('.week-counter').innerText.includes('Week 10')",
                                timeout=30_000)
            assert _week(a) == "Week 10 (year 1)"
            # the counter and the charts are separate widgets: wait for the chart's update to arrive
            a.wait_for_function(
                "n => { const l = document.querySelector(\".charts svg[data-chart='lonely_share'] polyline.series-0\");"
                " return l && l.getAttribute('points').trim().split(/\\s+/).length >= n; }", arg=10, timeout=30_000)
            after = _lonely_line(a)
            assert after != before and len(after.split()) == 10  # one point per week

            # participant B's session is its own: nothing moved there
            assert _week(b) == "Week 0 (start)"
            assert b.query_selector(".scenario-card.chosen") is None
            b.click(".btn-step")
            b.wait_for_function("document.querySelector('.week-counter').innerText.includes('Week 1 ')",
                                timeout=30_000)
            assert _week(a) == "Week 10 (year 1)"

            # play runs on its own until paused (B only)
            b.click(".btn-play")
            b.wait_for_function("parseInt(document.querySelector('.week-counter').innerText.split(' ')[1]) >= 4",
                                timeout=30_000)
            b.click(".btn-play")  # now labelled Pause
            b.wait_for_selector(".btn-step10:not([disabled])", timeout=10_000)
            paused_at = _week(b)
            time.sleep(1.0)
            assert _week(b) == paused_at and _week(a) == "Week 10 (year 1)"

            # one step, as a participant sees it: click to the counter changing in the browser
            latencies = []
            for _ in range(3):
                shown = _week(b)
                t0 = time.perf_counter()
                b.click(".btn-step")
                b.wait_for_function("s => document.querySelector('.week-counter').innerText.trim() !== s",
                                    arg=shown, timeout=30_000)
                latencies.append(time.perf_counter() - t0)
            (ARTIFACTS / "workshop-latency.txt").write_text(
                "".join(f"click_to_week_counter_ms: {1000 * t:.0f}\n" for t in latencies))
            assert min(latencies) < 3.0

            b.click(".btn-reset")  # a fresh model on the same settings
            b.wait_for_function("document.querySelector('.week-counter').innerText.includes('Week 0')",
                                timeout=30_000)
            _wait_ready(b)

            # side by side on A: two place maps, two lines per chart
            a.click("text=Compare two regimes on the same seed")
            a.wait_for_selector(".place-1 svg", timeout=60_000)
            _wait_ready(a)
            a.click(".btn-step10")
            a.wait_for_function("document.querySelector('.week-counter').innerText.includes('Week 10')",
                                timeout=30_000)
            a.wait_for_selector(".charts svg[data-chart='lonely_share'] polyline.series-1", timeout=30_000)

            ARTIFACTS.mkdir(exist_ok=True)
            a.screenshot(path=str(ARTIFACTS / "workshop.png"), full_page=True)
        finally:
            browser.close()

    remote = sorted({u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                     and urlsplit(u).hostname not in LOCAL_HOSTS})
    assert remote == [], f"requests left this machine: {remote[:5]}"
    assert requests, "no requests were recorded"
    assert cdn_trap[1] == [], f"the server went to the CDN for: {cdn_trap[1][:5]}"
