"""Fuzz the command line and make_params with a larger budget than the test suite (issue 20).

    .venv/bin/python benchmarks/fuzz_cli.py [--cli N] [--params N] [--seed S]

Uses the strategies and checks of tests/test_fuzz.py (random dotted names and values of every
type; see there). Every case must be refused with exit 2 and one line on stderr, with no
traceback and nothing written, or be accepted (the launch is stubbed: nothing runs). Prints the
number of cases, how many were refused and accepted, the time taken, and every failure found.
Exit status 1 if any case failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from experiments import cli  # noqa: E402
from tests.test_fuzz import names, params_case, prefixes, render, values  # noqa: E402


class _Capture:
    """capsys-like: readouterr() returns what was printed since the last call."""

    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()

    def readouterr(self) -> tuple[str, str]:
        out, err = self.out.getvalue(), self.err.getvalue()
        self.out.seek(0), self.out.truncate(), self.err.seek(0), self.err.truncate()
        return out, err


def fuzz_cli(n: int, base_seed: int) -> dict[str, object]:
    counts = {"cases": 0, "refused": 0, "accepted": 0, "failures": []}
    workdir = Path(tempfile.mkdtemp(prefix="fuzz_cli_"))
    cap = _Capture()
    real_launch = cli.launch

    def counting_launch(overrides, multirun):
        counts["accepted"] += 1
        return cli.RunOutcome(None, 1, 0)

    @seed(base_seed)
    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(prefix=prefixes, name=names, value=values)
    def case(prefix, name, value):
        override = f"{prefix}{name}={render(value)}" if prefix != "~" else f"~{name}"
        counts["cases"] += 1
        accepted_before = counts["accepted"]
        cli.launch = counting_launch
        with contextlib.redirect_stdout(cap.out), contextlib.redirect_stderr(cap.err):
            from tests.test_fuzz import cli_case

            problem = cli_case(override, workdir, cap)
        if problem:
            counts["failures"].append(problem)
        elif counts["accepted"] == accepted_before:
            counts["refused"] += 1

    try:
        case()
    finally:
        cli.launch = real_launch
    return counts


def fuzz_params(n: int, base_seed: int) -> dict[str, object]:
    counts = {"cases": 0, "failures": []}

    @seed(base_seed)
    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(name=names, value=values)
    def case(name, value):
        counts["cases"] += 1
        problem = params_case(name, value)
        if problem:
            counts["failures"].append(problem)

    case()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", type=int, default=1000, help="command-line cases (default 1000)")
    parser.add_argument("--params", type=int, default=5000, help="make_params cases (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="Hypothesis seed (default 0)")
    args = parser.parse_args()
    failed = 0
    for label, fn, n in (("make_params", fuzz_params, args.params), ("resilience run", fuzz_cli, args.cli)):
        t0 = time.perf_counter()
        res = fn(n, args.seed)
        dt = time.perf_counter() - t0
        fails = res["failures"]
        extra = f", refused {res['refused']}, accepted {res['accepted']}" if "refused" in res else ""
        print(f"{label}: {res['cases']} cases{extra}, {len(fails)} failures, {dt:.1f} s")
        for f in fails:
            print(f"  FAIL {f}")
        failed += len(fails)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
