"""The ``resilience`` command.

    resilience run [overrides]            one configuration (R replicates)
    resilience run -m [overrides]         a sweep (Hydra multirun), in parallel on all cores
    resilience compare PATH [--baseline REGIME] [--metrics M ...]
    resilience report PATH [--out DIR] [--title TEXT]   HTML + PDF report of a sweep
    resilience workshop [...]             the interactive workshop app

Overrides: config groups by name (``regime=grants``, ``funding=austerity``, ``place=small``,
``experiment=headline``), run settings (``seed=``, ``replicates=``, ``name=``, ``results_dir=``) and
any model parameter by its dotted path in ``model.Params`` (``horizon_years=3``,
``council.budget_per_resident_per_year=8``, ``regime.grants.rule=core``). Comma-separated values
with ``-m`` sweep. Problems with the input are reported in one line before anything is written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from omegaconf import DictConfig

from experiments import callbacks
from experiments.config import CONFIG_DIR, CONFIG_NAME
from model.params import ConfigError

EXAMPLES = """\
examples:
  resilience run regime=grants place=small horizon_years=3 replicates=4
  resilience run -m experiment=headline
  resilience run -m regime=none,grants,community_development council.budget_per_resident_per_year=4,8
  resilience run -m experiment=headline hydra/launcher=slurm hydra.launcher.partition=compute
  resilience compare results/headline/2025-01-01_12-00-00 --baseline none --metrics lonely_share
  resilience run --help          (Hydra's help: config groups and their options)
"""


class UsageError(Exception):
    """Bad command-line input, reported in one line."""


def _task(cfg: DictConfig) -> int:
    """Hydra's task function: one job (a run, or one job of a sweep)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from experiments.runner import JobInfo, run_job

    hc = HydraConfig.get()
    multirun = hc.mode == RunMode.MULTIRUN
    info = JobInfo(
        output_dir=hc.runtime.output_dir,
        choices=dict(hc.runtime.choices),
        overrides=list(hc.overrides.task),
        multirun=multirun,
        job_num=int(hc.job.num) if multirun else 0,
        sweep_dir=hc.sweep.dir if multirun else None,
    )
    outcome = run_job(cfg, info)
    if not multirun:
        callbacks.LAST.update({"dir": outcome.output_dir, "failed": outcome.n_failed,
                               "total": outcome.n_replicates})
    return outcome.n_failed


def _hydra_flags_only(args: argparse.Namespace) -> bool:
    """True when Hydra is asked to show something rather than run."""
    return bool(args.help or args.hydra_help or args.cfg or args.info or args.shell_completion
                or args.experimental_rerun)


def cmd_run(argv: Sequence[str]) -> int:
    import hydra
    from hydra._internal.utils import get_args_parser

    from experiments import preflight

    args = get_args_parser().parse_args(list(argv))
    if not _hydra_flags_only(args):
        if args.config_path or args.config_name or args.config_dir:
            raise UsageError("--config-path/--config-name/--config-dir are not supported; "
                             "use overrides or RESILIENCE_CONFIG_DIR")
        preflight.check(args.overrides, multirun=args.multirun)
    callbacks.LAST.clear()
    app = hydra.main(config_path=str(CONFIG_DIR), config_name=CONFIG_NAME, version_base="1.3")(_task)
    saved = sys.argv
    sys.argv = ["resilience run", *argv]
    try:
        app()
    except SystemExit as exc:  # Hydra exits after --help, or after reporting a failed job
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code:
            return code
        return 0
    finally:
        sys.argv = saved
    failed = int(callbacks.LAST.get("failed", 0) or 0)
    if failed:
        print(f"error: {failed} replicate(s) failed; see the status and error columns in "
              f"{callbacks.LAST.get('dir')}", file=sys.stderr)
        return 1
    return 0


def cmd_compare(argv: Sequence[str]) -> int:
    from pathlib import Path

    parser = argparse.ArgumentParser(
        prog="resilience compare",
        description="Compare regimes in a sweep: means with 95%% CIs, paired differences against a "
                    "baseline regime, cost per lonely-person-year averted, figures.")
    parser.add_argument("path", type=Path, help="a sweep folder (results/<name>/<time>) or a run folder")
    parser.add_argument("--baseline", default=None,
                        help="regime to compare against (default: none if present, else status_quo)")
    parser.add_argument("--metrics", nargs="+", default=None, help="outcome names (default: main outcomes)")
    parser.add_argument("--no-figures", action="store_true", help="tables only")
    args = parser.parse_args(list(argv))
    if not args.path.is_dir():
        raise UsageError(f"no such folder: {args.path}")
    from experiments.compare import compare

    try:
        res = compare(args.path, baseline=args.baseline, metrics=args.metrics,
                      figures=not args.no_figures)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    print(f"comparison table: {res.markdown}")
    print(f"comparison CSV:   {res.csv}")
    print(f"cost table:       {res.cost_csv}")
    if res.figures:
        print(f"figures:          {res.figures_dir}")
    return 0


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
    return 0


def cmd_workshop(argv: Sequence[str]) -> int:
    try:
        from workshop.app import main as workshop_main
    except ImportError as exc:
        raise UsageError(f"the workshop app is not available ({exc}); install it with "
                         f"pip install -e '.[workshop]'") from None
    return int(workshop_main(list(argv)) or 0)


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "report": cmd_report, "workshop": cmd_workshop}


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
    sub.add_parser("workshop", help="start the interactive workshop app", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.pop("HYDRA_FULL_ERROR", None)  # keep errors to one line, never a traceback
    parser = build_parser()
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"error: unknown command '{command}'; choose from: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[command](rest)
    except (ConfigError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for users; HYDRA_FULL_ERROR-like debugging below
        if os.environ.get("RESILIENCE_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
