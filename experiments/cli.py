"""The ``resilience`` command.

    resilience run [overrides]            one configuration (R replicates)
    resilience run -m [overrides]         a sweep (Hydra multirun), in parallel on all cores
    resilience compare PATH [--by COLUMN] [--baseline VALUE] [--interaction COLUMN] [--out DIR]
    resilience calibrate RANGES [--targets FILE] [--waves K] [--n N] [--replicates R] [--out DIR]
    resilience discover STUDY --claim "A - B on METRIC < 0 and ..."
    resilience report PATH [--out DIR] [--title TEXT]   HTML + PDF report of a sweep
    resilience design RANGES [--method lhs|sobol|morris|saltelli] [--n N] [--replicates R] [OVERRIDE ...]
    resilience sensitivity PATH [--metric M | --contrast "A - B on M"] [--method morris|sobol] [--emulator]
    resilience workshop [...]             the interactive workshop app

Overrides: config groups by name (``regime=grants``, ``funding=austerity``, ``place=small``,
``experiment=headline``), run settings (``seed=``, ``replicates=``, ``name=``, ``results_dir=``) and
any model parameter by its dotted path in ``model.Params`` (``horizon_years=3``,
``council.budget_per_resident_per_year=8``, ``regime.grants.rule=core``). Comma-separated values
with ``-m`` sweep. Problems with the input are reported in one line before anything is written.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from experiments.config import CONFIG_DIR, CONFIG_NAME
from experiments.interrupts import mark_main_process
from model.params import ConfigError

EXAMPLES = """\
examples:
  resilience run regime=grants place=small horizon_years=3 replicates=4
  resilience run -m experiment=headline
  resilience run -m regime=none,grants,community_development council.budget_per_resident_per_year=4,8
  resilience run -m experiment=headline hydra/launcher=slurm hydra.launcher.partition=compute
  resilience compare results/headline/2025-01-01_12-00-00 --baseline none --metrics lonely_share
  resilience compare results/adhoc/2025-01-01_12-00-00 --by funding --baseline stable --interaction regime
  resilience design configs/ranges/screening.yaml --method morris --n 10 --replicates 3
  resilience sensitivity results/design/screening/morris_2025-01-01_12-00-00 --metric lonely_share
  resilience run --help          (Hydra's help: config groups and their options)
"""


class UsageError(Exception):
    """Bad command-line input, reported in one line."""


# Set while a sweep runs: the launching process's id, so that a job can tell it runs in a worker
# process started for this sweep (and tie its life to the launcher's, see _die_with_launcher).
LAUNCHER_ENV = "RESILIENCE_LAUNCHER_PID"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What ``resilience run`` ran: the run or sweep folder and how many replicates failed."""

    output_dir: Path | None
    n_replicates: int
    n_failed: int


def _die_with_launcher() -> None:
    """In a worker process of a sweep (joblib/loky, submitit_local), ask the kernel to kill this
    process when the ``resilience`` process that launched it dies, however it dies (SIGKILL
    included): a killed sweep then leaves no worker computing for minutes. Linux only; elsewhere
    (and in the launching process itself, or on a cluster node) nothing is done. (Workers also
    ignore SIGINT: experiments/interrupts.py.)"""
    launcher = os.environ.get(LAUNCHER_ENV, "")
    if not launcher.isdigit() or sys.platform != "linux":
        return
    pid = int(launcher)
    if os.getpid() == pid or os.getppid() != pid:
        return
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != pid:  # the launcher died before the request took effect
        os._exit(1)


# The watchdog of a sweep: a small process that waits for the launching process to end. If it
# ends without saying "done" (killed, or stopped by an error), the watchdog kills every process
# that inherited the sweep's LAUNCHER_ENV: workers still starting up (before _die_with_launcher
# runs in them), idle ones, and the launcher's resource trackers. Linux only (reads /proc).
_WATCHDOG = r"""
import os, signal, sys, time
mark = ("%s=" % sys.argv[1]).encode() + sys.argv[2].encode() + b"\0"
if sys.stdin.buffer.read() == b"done":
    sys.exit(0)
for _ in range(5):
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                with open("/proc/%s/environ" % d, "rb") as f:
                    env = b"\0" + f.read()
                if b"\0" + mark in env:
                    os.kill(int(d), signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.2)
"""


_KEPT_OPEN: list[subprocess.Popen] = []  # watchdogs of interrupted sweeps, until exit


def _start_watchdog() -> subprocess.Popen | None:
    if sys.platform != "linux":
        return None
    env = {k: v for k, v in os.environ.items() if k != LAUNCHER_ENV}
    try:
        return subprocess.Popen([sys.executable, "-c", _WATCHDOG, LAUNCHER_ENV, str(os.getpid())],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env, start_new_session=True)  # Ctrl-C must not stop it first
    except OSError:
        return None


def _stop_watchdog(watchdog: subprocess.Popen | None, done: bool) -> None:
    if watchdog is None or watchdog.stdin is None:
        return
    try:
        if done:
            watchdog.stdin.write(b"done")
        watchdog.stdin.close()
    except OSError:
        pass
    watchdog.wait()


def _task(cfg: DictConfig) -> RunOutcome:
    """Hydra's task function: one job (a run, or one job of a sweep)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from experiments.runner import JobInfo, run_job

    hc = HydraConfig.get()
    multirun = hc.mode == RunMode.MULTIRUN
    if multirun:
        _die_with_launcher()
    info = JobInfo(
        output_dir=hc.runtime.output_dir,
        choices=dict(hc.runtime.choices),
        overrides=list(hc.overrides.task),
        multirun=multirun,
        job_num=int(hc.job.num) if multirun else 0,
        sweep_dir=hc.sweep.dir if multirun else None,
    )
    outcome = run_job(cfg, info)
    return RunOutcome(Path(hc.sweep.dir if multirun else outcome.output_dir), outcome.n_replicates,
                      outcome.n_failed)


def _hydra_flags_only(args: argparse.Namespace) -> bool:
    """True when Hydra is asked to show something rather than run."""
    return bool(args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
                or args.experimental_rerun)


def _show(argv: Sequence[str]) -> int:
    """Hydra's own help, --cfg, --info and shell completion, through its usual entry point."""
    import hydra

    app = hydra.main(config_path=str(CONFIG_DIR), config_name=CONFIG_NAME, version_base="1.3")(_task)
    saved = sys.argv
    sys.argv = ["resilience run", *argv]
    try:
        app()
    except SystemExit as exc:  # Hydra exits after --help
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return 0


def launch(overrides: Sequence[str], multirun: bool) -> RunOutcome:
    """Run one configuration, or a sweep, with Hydra; return what ran and how many replicates failed.

    The overrides are expected to have passed :func:`experiments.preflight.check`. This is what
    ``hydra.main`` does for a run, minus its command-line parsing, so that the jobs' results come
    back to the caller instead of being dropped.
    """
    from hydra._internal.hydra import Hydra
    from hydra._internal.utils import create_config_search_path
    from hydra.core.global_hydra import GlobalHydra

    mode = "MULTIRUN" if multirun else "RUN"
    items = [*overrides, f"hydra.mode={mode}"]
    saved = os.environ.get(LAUNCHER_ENV)
    watchdog = None
    done = False
    if multirun:
        watchdog = _start_watchdog()
        os.environ[LAUNCHER_ENV] = str(os.getpid())
    GlobalHydra.instance().clear()
    try:
        app = Hydra.create_main_hydra2(task_name="resilience",
                                       config_search_path=create_config_search_path(str(CONFIG_DIR)))
        if multirun:
            batches = app.multirun(config_name=CONFIG_NAME, task_function=_task, overrides=items)
            returns = [r for batch in batches for r in (batch if isinstance(batch, list) else [batch])]
        else:
            returns = [app.run(config_name=CONFIG_NAME, task_function=_task, overrides=items)]
        done = True
    except KeyboardInterrupt:
        # Ctrl-C: joblib has already killed the workers. Keep the watchdog's pipe open until this
        # process exits (the kernel closes it then), so that it kills what is left, loky's resource
        # tracker, only after the interpreter's own clean-up has talked to it; closed now, the
        # tracker died first, was relaunched at exit, and printed KeyError tracebacks
        if watchdog is not None:
            _KEPT_OPEN.append(watchdog)  # held to the end, so its pipe is not closed when collected
        watchdog = None
        raise
    finally:
        _stop_watchdog(watchdog, done)
        GlobalHydra.instance().clear()
        if saved is None:
            os.environ.pop(LAUNCHER_ENV, None)
        else:
            os.environ[LAUNCHER_ENV] = saved
    outcomes = [r.return_value for r in returns]  # a job that raised raises here
    return RunOutcome(outcomes[0].output_dir if outcomes else None,
                      sum(o.n_replicates for o in outcomes), sum(o.n_failed for o in outcomes))


def cmd_run(argv: Sequence[str]) -> int:
    from hydra._internal.utils import get_args_parser

    from experiments import preflight

    args = get_args_parser().parse_args(list(argv))
    if _hydra_flags_only(args):
        return _show(argv)
    if args.config_path or args.config_name or args.config_dir:
        raise UsageError("--config-path/--config-name/--config-dir are not supported; "
                         "use overrides or RESILIENCE_CONFIG_DIR")
    preflight.check(args.overrides, multirun=args.multirun)
    outcome = launch(args.overrides, multirun=args.multirun)
    if outcome.n_failed:
        print(f"error: {outcome.n_failed} replicate(s) failed; see the status and error columns in "
              f"{outcome.output_dir}", file=sys.stderr)
        return 1
    return 0


def cmd_compare(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="resilience compare",
        description="Compare the conditions of a sweep: means with 95%% CIs, paired differences "
                    "against a baseline (Holm-adjusted within each outcome), interactions of two "
                    "factors, dose-response curves of numeric settings, cost per lonely-person-year "
                    "averted, figures.")
    parser.add_argument("path", type=Path, help="a sweep folder (results/<name>/<time>) or a run folder")
    parser.add_argument("--by", default=None, metavar="COLUMN",
                        help="the condition to contrast: regime, funding, place or any swept setting "
                             "(default: regime if it varies, else the first condition that varies)")
    parser.add_argument("--baseline", default=None, metavar="VALUE",
                        help="the value of --by to compare against (default: none or status_quo for "
                             "regime, stable for funding, else the first value)")
    parser.add_argument("--interaction", default=None, metavar="COLUMN",
                        help="a second factor: per seed, how much the --by contrast changes between "
                             "this factor's levels and its baseline (interaction.csv)")
    parser.add_argument("--interaction-baseline", default=None, metavar="VALUE",
                        help="the baseline value of --interaction (default as for --baseline)")
    parser.add_argument("--metrics", nargs="+", default=None, help="outcome names (default: main outcomes)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default: PATH/compare); a folder holding another "
                             "analysis is refused")
    parser.add_argument("--no-figures", action="store_true", help="tables only")
    args = parser.parse_args(list(argv))
    if not args.path.is_dir():
        raise UsageError(f"no such folder: {args.path}")
    from experiments.compare import compare

    try:
        res = compare(args.path, baseline=args.baseline, metrics=args.metrics,
                      figures=not args.no_figures, by=args.by, interaction=args.interaction,
                      interaction_baseline=args.interaction_baseline, out=args.out)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    print(f"comparison table: {res.markdown}")
    print(f"comparison CSV:   {res.csv}")
    print(f"cost table:       {res.cost_csv}")
    if res.interaction_csv:
        print(f"interaction:      {res.interaction_csv}")
    if res.dose_csv:
        print(f"dose-response:    {res.dose_csv}")
    if res.figures:
        print(f"figures:          {res.figures_dir}")
    return 0


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def check_host(host: str) -> str:
    """``host`` if it is an IP address or a hostname (RFC 1123 labels, at most 253 characters);
    nothing is looked up, so a laptop without a network can still serve on localhost."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if 0 < len(name) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in name.split(".")) \
            and not name.replace(".", "").isdigit():
        return host
    raise UsageError(f"--host must be an IP address or a hostname such as localhost (got {host!r})")


def check_port(port: str) -> int:
    """``port`` as a number in 1-65535."""
    text = port.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise UsageError(f"--port must be a whole number from 1 to 65535 (got {port!r})")
    return int(text)


def cmd_report(argv: Sequence[str]) -> int:
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="resilience report",
        description="Write one self-contained HTML file and one PDF reporting a sweep: summary, "
                    "methods, figures with captions, tables, limitations and provenance.")
    parser.add_argument("path", type=Path, help="a sweep folder (results/<name>/<time>)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: PATH/report)")
    parser.add_argument("--title", default=None, help="the report's title (default: made from the sweep)")
    parser.add_argument("--baseline", default=None, help="regime to compare against (default as compare)")
    parser.add_argument("--metrics", nargs="+", default=None, help="outcome names (default: main outcomes)")
    args = parser.parse_args(list(argv))
    from experiments.report import ReportError, build

    try:
        res = build(args.path, out=args.out, title=args.title, baseline=args.baseline, metrics=args.metrics)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    print(f"report (HTML): {res.html}")
    print(f"report (PDF):  {res.pdf}")


def cmd_design(argv: Sequence[str]) -> int:
    """resilience design: create a design study over a range file and run it (or resume it)."""
    from experiments import design

    parser = argparse.ArgumentParser(
        prog="resilience design",
        description="Latin hypercube, scrambled Sobol, Morris or Saltelli design over the parameter "
                    "ranges of a range file (configs/ranges/*.yaml); every point runs R paired "
                    "replicates (the same seeds everywhere). Re-running into the same --out resumes.")
    parser.add_argument("ranges", help="a range file (path, or a name in configs/ranges/)")
    parser.add_argument("--method", default="lhs", choices=design.METHODS,
                        help="lhs | sobol (scrambled) | morris (trajectories) | saltelli (for Sobol indices)")
    parser.add_argument("--n", type=int, default=16,
                        help="points (lhs, sobol), trajectories (morris) or base samples (saltelli)")
    parser.add_argument("--replicates", type=int, default=2, help="paired replicates per point and regime")
    parser.add_argument("--seed", type=int, default=0, help="seed of the design and of the replicates")
    parser.add_argument("--regimes", default=None, help="comma-separated regimes (default: the range file's)")
    parser.add_argument("--out", default=None, help="study folder (default: results/design/<ranges>/<time>)")
    parser.add_argument("--jobs", type=int, default=-1, help="parallel workers (default: every core)")
    parser.add_argument("--launcher", default=None,
                        help="run as Hydra multirun array tasks: slurm, submitit_local, joblib or basic")
    parser.add_argument("--points-per-task", type=int, default=50,
                        help="design points per array task with --launcher (default 50)")
    parser.add_argument("--no-run", action="store_true", help="write the design only")
    parser.add_argument("overrides", nargs="*", metavar="OVERRIDE",
                        help="fixed settings: place=small horizon_years=2 any.dotted.parameter=V; "
                             "with --launcher also hydra.launcher.* settings")
    args = parser.parse_intermixed_args(list(argv))
    hydra_over = [o for o in args.overrides if o.startswith(("hydra.", "hydra/"))]
    fixed = design.parse_overrides([o for o in args.overrides if o not in hydra_over])
    if hydra_over and not args.launcher:
        raise UsageError("hydra.* overrides need --launcher")
    if args.launcher and args.points_per_task < 1:
        raise UsageError("--points-per-task must be at least 1")
    regimes = [r.strip() for r in args.regimes.split(",") if r.strip()] if args.regimes else None
    out = design.create_study(args.ranges, args.out, method=args.method, n=args.n,
                              replicates=args.replicates, seed=args.seed, regimes=regimes, overrides=fixed)
    study, points = design.read_study(out)
    print(f"study: {out} ({len(points)} points x {len(study['regimes'])} regime(s) x "
          f"{study['replicates']} replicates)")
    if args.no_run:
        return 0
    if args.launcher:
        import math

        chunks = max(1, math.ceil(len(points) / args.points_per_task))
        design.launch_chunks(out, args.launcher, chunks, args.jobs, hydra_over)
        runs = design.gather_runs(out)
        failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
    else:
        res = design.run_study(out, n_jobs=args.jobs, progress=True)
        failed = res["failed_runs"]
        print(f"ran {res['ran']} point(s) in {res['seconds']:.1f} s ({res['skipped']} already done)")
    done = len(design.done_points(out))
    print(f"runs: {out / 'runs.parquet'} ({done}/{len(points)} points done)")
    if failed:
        print(f"error: {failed} run(s) failed; see the status and error columns in {out / 'runs.parquet'}",
              file=sys.stderr)
        return 1
    return 0


def cmd_sensitivity(argv: Sequence[str]) -> int:
    """resilience sensitivity: Morris or Sobol indices of a design study's metric or contrast."""
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="resilience sensitivity",
        description="Global sensitivity analysis (SALib) of a design study: Morris screening or Sobol "
                    "indices of an outcome or of a paired contrast between regimes; optionally on a "
                    "Gaussian-process emulator. Writes CSV and figures to PATH/sensitivity/.")
    parser.add_argument("path", type=Path, help="a study folder written by resilience design")
    parser.add_argument("--metric", default=None, help="an outcome (e.g. lonely_share)")
    parser.add_argument("--regime", default=None, help="the regime of --metric when the study has several")
    parser.add_argument("--contrast", default=None,
                        help="'A - B on METRIC', paired per seed, e.g. 'competitive_tender - grants on active_groups'")
    parser.add_argument("--method", default=None, choices=("morris", "sobol"),
                        help="default: morris on a Morris design, else sobol")
    parser.add_argument("--emulator", action="store_true",
                        help="Sobol indices on a Gaussian-process emulator fitted to the design")
    parser.add_argument("--top", type=int, default=10, help="parameters shown in the printed table")
    parser.add_argument("--no-figures", action="store_true", help="CSV only")
    args = parser.parse_args(list(argv))
    if not args.path.is_dir():
        raise UsageError(f"no such folder: {args.path}")
    if args.metric and args.contrast:
        raise UsageError("give --metric or --contrast, not both")
    from experiments.sensitivity import analyse

    res = analyse(args.path, metric=args.metric, contrast=args.contrast, regime=args.regime,
                  method=args.method, emulator=args.emulator, figures=not args.no_figures)
    q = res.quantity
    print(f"{res.method}{' on the emulator' if args.emulator else ''}: {q.name}")
    print(f"replicate noise: {q.noise.get('noise_share', float('nan')):.1%} of the variance of single runs, "
          f"{q.noise.get('noise_share_of_means', float('nan')):.1%} of the variance of point means")
    if res.cv:
        print(f"emulator: {res.cv['folds']}-fold cross-validated R^2 {res.cv['r2']:.3f}, RMSE "
              f"{res.cv['rmse']:.4g} (outcome sd {res.cv['sd_y']:.4g}, {res.cv['n']} points)")
    cols = (["label", "mu_star", "mu_star_conf", "sigma"] if res.method == "morris"
            else ["label", "S1", "S1_conf", "ST", "ST_conf"])
    print(res.table[cols].head(args.top).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"table:   {res.csv}")
    for fig in res.figures:
        print(f"figure:  {fig}")
    return 0


def cmd_workshop(argv: Sequence[str]) -> int:
    # The address is checked here, before anything starts (the app would pass a bad one on to
    # the web server, which fails with a long traceback).
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--host")
    pre.add_argument("--port")
    known, _ = pre.parse_known_args(list(argv))
    if known.host is not None:
        check_host(known.host)
    if known.port is not None:
        check_port(known.port)
    try:
        from workshop.app import main as workshop_main
    except ImportError as exc:
        raise UsageError(f"the workshop app is not available ({exc}); install it with "
                         f"pip install -e '.[workshop]'") from None
    return int(workshop_main(list(argv)) or 0)


def cmd_calibrate(argv: Sequence[str]) -> int:
    from experiments.calibrate import cli

    return cli(list(argv))


def cmd_discover(argv: Sequence[str]) -> int:
    from experiments.discover import cli

    return cli(list(argv))


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "report": cmd_report, "design": cmd_design,
            "sensitivity": cmd_sensitivity, "calibrate": cmd_calibrate, "discover": cmd_discover,
            "workshop": cmd_workshop}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resilience",
        description="Simulate community resilience under council funding and commissioning regimes.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run one configuration, or a sweep with -m (Hydra overrides)",
                   add_help=False)
    sub.add_parser("compare", help="compare regimes in a finished sweep: tables and figures",
                   add_help=False)
    sub.add_parser("report", help="write an HTML and PDF report of a finished sweep", add_help=False)
    sub.add_parser("design", help="run a Latin hypercube, Sobol or Morris design over a range file",
                   add_help=False)
    sub.add_parser("sensitivity", help="Morris or Sobol indices of a design study (SALib)", add_help=False)
    sub.add_parser("workshop", help="start the interactive workshop app", add_help=False)
    sub.add_parser("calibrate", help="history matching to targets: a parameter ensemble", add_help=False)
    sub.add_parser("discover", help="PRIM: where in a design's parameter space a claim holds",
                   add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.pop("HYDRA_FULL_ERROR", None)  # keep errors to one line, never a traceback
    mark_main_process()  # the processes this command starts are its workers (experiments/interrupts.py)
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"error: unknown command {_one_line(repr(command))}; choose from: {', '.join(COMMANDS)}",
              file=sys.stderr)
        return 2
    try:
        return COMMANDS[command](rest)
    except (ConfigError, UsageError) as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for users; HYDRA_FULL_ERROR-like debugging below
        if os.environ.get("RESILIENCE_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {_one_line(str(exc))}", file=sys.stderr)
        return 1


def _one_line(text: str) -> str:
    """Whitespace runs (line breaks of every kind included) become one space."""
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
