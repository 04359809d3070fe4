"""How responsive the workshop app is: one week of the small place, stepped and drawn.

Measures what the app does for every frame: step each model one week, snapshot it (``Run.view``) and
build the pictures the page shows (the place map, the six charts, the event feed). The budget is
200 ms per frame (issue 4). Prints ``name: value`` lines; times in milliseconds.

    python benchmarks/workshop_speed.py [--weeks 52] [--seed 0]

The browser's own drawing of the SVG is not included (it runs on each participant's machine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52, help="frames measured per case (default 52)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = Start.from_json(None)  # the small place with the workshop defaults, as `resilience workshop`
    controls = Controls(seed=args.seed)
    t0 = time.perf_counter()
    one = [Run.start(params_for(start, controls), args.seed, label="status quo")]
    setup_ms = (time.perf_counter() - t0) * 1000.0
    pair = [Run.start(params_for(start, controls), args.seed, label="status quo"),
            Run.start(params_for(start, controls.replace(regime="none")), args.seed, label="none")]
    results = {"place": start.params["place"]["name"], "residents": start.params["place"]["n_residents"],
               "setup_with_burn_in_ms": setup_ms}
    results |= measure("step_and_draw", one, args.weeks)
    results |= measure("step_and_draw_network", one, args.weeks, network=True)
    results |= measure("side_by_side_step_and_draw", pair, args.weeks)
    results["budget_ms"] = BUDGET_MS
    results["within_budget"] = results["step_and_draw_p90_ms"] < BUDGET_MS
    for key, value in results.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
