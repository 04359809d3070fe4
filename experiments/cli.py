"""The ``resilience`` command.

    resilience run [overrides]            one configuration (R replicates)
    resilience run -m [overrides]         a sweep (Hydra multirun), in parallel on all cores
    resilience compare PATH [--baseline REGIME] [--metrics M ...]
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
  resilience design configs/ranges/screening.yaml --method morris --n 10 --replicates 3
  resilience sensitivity results/design/screening/morris_2025-01-01_12-00-00 --metric lonely_share
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
    try:
        from workshop.app import main as workshop_main
    except ImportError as exc:
        raise UsageError(f"the workshop app is not available ({exc}); install it with "
                         f"pip install -e '.[workshop]'") from None
    return int(workshop_main(list(argv)) or 0)


COMMANDS = {"run": cmd_run, "compare": cmd_compare, "design": cmd_design, "sensitivity": cmd_sensitivity,
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
    sub.add_parser("design", help="run a Latin hypercube, Sobol or Morris design over a range file",
                   add_help=False)
    sub.add_parser("sensitivity", help="Morris or Sobol indices of a design study (SALib)", add_help=False)
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
