"""How responsive the workshop app is, for one participant and for a room.

In process (always): what the app does for every frame: step each model one week, snapshot it
(``Run.view``) and build the pictures the page shows (the place map, the charts, the event feed). The
budget is 200 ms per frame (issue 4). Also: a run's start from the shared burn-in (``Run.start`` when
the settled place is already cached) against a fresh burn-in.

A room (``--browsers N``, issue 18): starts ``resilience workshop`` on a free local port and opens N
browser contexts at once in Debian's Chromium (Playwright, ``/usr/bin/chromium``), all acting at the
same time: page load (address to charts shown), card (click to the card's run shown at week 0) and
step (click to the week counter moving), as participants see them. Targets for 12 browsers on a
2-core laptop: page load p95 <= 3 s, card p95 <= 1 s, step p95 <= 0.5 s.

Prints ``name: value`` lines; times in milliseconds.

    python benchmarks/workshop_speed.py [--weeks 52] [--seed 0] [--browsers 12] [--steps 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshop.controls import Controls, Start, params_for  # noqa: E402
from workshop.figures import charts_html, place_svg  # noqa: E402
from workshop.page import feed_html  # noqa: E402
from workshop.session import Run  # noqa: E402

BUDGET_MS = 200.0


def frame(runs: list[Run], *, network: bool) -> float:
    t0 = time.perf_counter()
    for run in runs:
        run.step(1)
    views = [run.view(with_ties=network) for run in runs]
    labels = [f"{'AB'[k]}: {r.label}" for k, r in enumerate(runs)] if len(runs) > 1 else None
    for k, view in enumerate(views):
        place_svg(view, show_network=network, title=labels[k] if labels else None)
        feed_html(view)
    charts_html(views, labels)
    return (time.perf_counter() - t0) * 1000.0


def measure(name: str, runs: list[Run], weeks: int, *, network: bool = False) -> dict[str, float]:
    for _ in range(3):  # warm up
        frame(runs, network=network)
    times = sorted(frame(runs, network=network) for _ in range(weeks))
    return {
        f"{name}_median_ms": statistics.median(times),
        f"{name}_p90_ms": times[int(0.9 * (len(times) - 1))],
        f"{name}_max_ms": times[-1],
    }


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TARGETS_MS = {"page_load_p95_ms": 3000.0, "card_p95_ms": 1000.0, "step_p95_ms": 500.0}
CARDS_CYCLE = ("big_contract", "tea_and_biscuits", "austerity", "investor", "gp_partnership", "on_its_own")


def _tree_cpu_s(root: int, exclude: int | None = None) -> float:
    """CPU seconds (user + system, including reaped children) of ``root`` and its live descendants,
    leaving out the subtree of ``exclude``: where a room's CPU goes, server against browsers."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(fields[1])
        cpu[int(d.name)] = sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid == exclude:
            continue
        total += cpu.get(pid, 0.0)
        stack.extend(c for c, pp in parent.items() if pp == pid)
    return total


def p95(values: list[float]) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]


async def _table(browser, url: str, k: int, steps: int, out: dict[str, list[float]]) -> int:
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768})
    page = await ctx.new_page()
    t0 = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=300_000)
    await page.wait_for_selector(".charts svg[data-chart='lonely_share']", timeout=300_000)
    out["page_load"].append((time.perf_counter() - t0) * 1000)
    card = CARDS_CYCLE[k % len(CARDS_CYCLE)]
    t0 = time.perf_counter()
    await page.click(f".card-{card}")
    await page.wait_for_selector(f".card-chip.chosen.card-{card}", timeout=300_000)
    await page.wait_for_selector(".charts svg[data-chart='lonely_share']", timeout=300_000)
    await page.wait_for_function("() => !document.querySelector('.building').innerText", timeout=300_000)
    out["card"].append((time.perf_counter() - t0) * 1000)
    for n in range(1, steps + 1):
        t0 = time.perf_counter()
        await page.click(".btn-step")
        await page.wait_for_function("n => parseInt(document.querySelector('.week-counter').innerText.split(' ')[1])"
                                     " === n", arg=n, timeout=300_000)
        out["step"].append((time.perf_counter() - t0) * 1000)
    week = int((await page.inner_text(".week-counter")).split()[1])
    await ctx.close()
    return week


async def _room(url: str, browsers: int, steps: int, server: int) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    out: dict[str, list[float]] = {"page_load": [], "card": [], "step": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            cpu0 = (_tree_cpu_s(server), _tree_cpu_s(os.getpid(), exclude=server))
            weeks = await asyncio.gather(*(_table(browser, url, k, steps, out) for k in range(browsers)))
            cpu1 = (_tree_cpu_s(server), _tree_cpu_s(os.getpid(), exclude=server))
            out["server_cpu_s"] = [cpu1[0] - cpu0[0]]
            out["browsers_cpu_s"] = [cpu1[1] - cpu0[1]]  # Chromium, Playwright's driver and this script
        finally:
            await browser.close()
    if any(w != steps for w in weeks):
        raise SystemExit(f"error: a click was lost or a table moved another: weeks {weeks}, expected {steps}")
    return out


def measure_room(browsers: int, steps: int) -> dict[str, object]:
    """Start the workshop server, warm it like a real start (its background burn-ins), open the room."""
    if not Path(CHROMIUM).exists():
        return {"room": f"skipped (no Chromium at {CHROMIUM})"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, RESILIENCE_WORKSHOP_CACHE=tempfile.mkdtemp(prefix="workshop-burn-in-"))
    proc = subprocess.Popen([sys.executable, "-m", "workshop.app", "--port", str(port), "--room-code", "1234"],
                            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/?room=1234"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("error: the workshop server did not start") from None
                time.sleep(0.3)
        time.sleep(5.0)  # the start-up burn-ins (a room arrives a minute or more after the server starts)
        t0 = time.perf_counter()
        out = asyncio.run(_room(url, browsers, steps, proc.pid))
        wall = time.perf_counter() - t0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    res: dict[str, object] = {"browsers": browsers, "steps_per_browser": steps, "room_wall_s": wall}
    for name in ("server_cpu_s", "browsers_cpu_s"):
        res[name] = out.pop(name)[0]
    res["cpu_s_available"] = wall * (os.cpu_count() or 1)  # what the machine's cores could give in the wall time
    for name, values in out.items():
        res[f"{name}_median_ms"] = statistics.median(values)
        res[f"{name}_p95_ms"] = p95(values)
        res[f"{name}_max_ms"] = max(values)
    for key, target in TARGETS_MS.items():
        res[f"{key}_target"] = target
        res[f"{key}_within_target"] = res[key] <= target
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52, help="frames measured per case (default 52)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--browsers", type=int, default=12, help="browser contexts in the room (0: skip)")
    parser.add_argument("--steps", type=int, default=5, help="step clicks per browser (default 5)")
    args = parser.parse_args(argv)
    if args.browsers < 0 or args.steps < 1 or args.weeks < 1:
        parser.error("--browsers must be >= 0, --steps and --weeks >= 1")
    start = Start.from_json(None)  # the small place with the workshop defaults, as `resilience workshop`
    controls = Controls(seed=args.seed)
    os.environ.setdefault("RESILIENCE_WORKSHOP_CACHE", "off")  # in memory only: measure the burn-in itself
    t0 = time.perf_counter()
    one = [Run.start(params_for(start, controls), args.seed, label="status quo")]
    setup_ms = (time.perf_counter() - t0) * 1000.0
    t0 = time.perf_counter()
    Run.start(params_for(start, controls.replace(regime="grants")), args.seed)  # the same settled place
    cached_ms = (time.perf_counter() - t0) * 1000.0
    pair = [Run.start(params_for(start, controls), args.seed, label="status quo"),
            Run.start(params_for(start, controls.replace(regime="none")), args.seed, label="none")]
    results = {"place": start.params["place"]["name"], "residents": start.params["place"]["n_residents"],
               "setup_with_burn_in_ms": setup_ms, "setup_from_shared_burn_in_ms": cached_ms}
    results |= measure("step_and_draw", one, args.weeks)
    results |= measure("step_and_draw_network", one, args.weeks, network=True)
    results |= measure("side_by_side_step_and_draw", pair, args.weeks)
    results["budget_ms"] = BUDGET_MS
    results["within_budget"] = results["step_and_draw_p90_ms"] < BUDGET_MS
    if args.browsers:
        results |= measure_room(args.browsers, args.steps)
    for key, value in results.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
