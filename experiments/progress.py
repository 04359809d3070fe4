"""Progress lines on stderr: years of a single run, and jobs done of a sweep with time left.

Sweep jobs may run in other processes (joblib, submitit), so the sweep's state is two small files
in the sweep dir: ``.sweep.json`` (total jobs and start time, written when the sweep starts) and
``.progress`` (one line appended per finished job).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

SWEEP_FILE = ".sweep.json"
PROGRESS_FILE = ".progress"


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 90:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def year_printer(tag: str, replicate: int, replicates: int) -> Callable[[int, int], None]:
    """A ``simulate`` progress callback printing one line per simulated year."""
    start = time.perf_counter()

    def report(week_done: int, weeks_total: int) -> None:
        elapsed = time.perf_counter() - start
        left = elapsed / week_done * (weeks_total - week_done) if week_done else 0.0
        say(f"[{tag}] replicate {replicate + 1}/{replicates}: week {week_done}/{weeks_total} "
            f"({100 * week_done / max(weeks_total, 1):.0f}%), {duration(elapsed)} elapsed, "
            f"about {duration(left)} left")

    return report


def start_sweep(sweep_dir: Path, total_jobs: int) -> None:
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    (sweep_dir / SWEEP_FILE).write_text(json.dumps({"total": total_jobs, "start": time.time()}))
    (sweep_dir / PROGRESS_FILE).write_text("")


def sweep_state(sweep_dir: Path) -> tuple[int | None, float | None, int]:
    """(total jobs, start time, jobs done) of a sweep, as far as its files tell."""
    try:
        info = json.loads((Path(sweep_dir) / SWEEP_FILE).read_text())
        total, start = int(info["total"]), float(info["start"])
    except (OSError, ValueError, KeyError):
        total, start = None, None
    try:
        done = sum(1 for line in (Path(sweep_dir) / PROGRESS_FILE).read_text().splitlines() if line)
    except OSError:
        done = 0
    return total, start, done


def job_statuses(sweep_dir: Path) -> list[str]:
    """The status of every job that has finished in the current sweep, in order of finishing."""
    try:
        lines = (Path(sweep_dir) / PROGRESS_FILE).read_text().splitlines()
    except OSError:
        return []
    return [line.split()[1] for line in lines if len(line.split()) >= 2]


def job_finished(sweep_dir: Path, job_num: int, status: str, seconds: float, label: str = "") -> None:
    """Record a finished job and print jobs done of total and an estimate of the time left."""
    path = Path(sweep_dir) / PROGRESS_FILE
    # One short write with O_APPEND: lines from parallel jobs do not interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{job_num} {status} {seconds:.2f}\n".encode())
    finally:
        os.close(fd)
    total, start, done = sweep_state(sweep_dir)
    what = f"job {job_num} {status}" + (f" ({label}, {duration(seconds)})" if label else "")
    if total is None or start is None:
        say(f"[sweep] {what}; {done} jobs done")
        return
    elapsed = time.time() - start
    left = elapsed / done * (total - done) if done else float("nan")
    say(f"[sweep] {done}/{total} jobs done - {what}; {duration(elapsed)} elapsed, "
        f"about {duration(left)} left")
