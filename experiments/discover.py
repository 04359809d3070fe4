"""Where a claim holds: PRIM scenario discovery on a design's paired regime contrasts.

    resilience discover STUDY --claim "competitive_tender - grants on active_groups < 0 and
                                       competitive_tender - grants on lonely_share > 0"

``STUDY`` is a design study folder (CONTRACTS.md: ``points.parquet``, ``runs.parquet`` or
``runs/point_<k>.parquet``). The claim is one or more clauses joined by ``and``; a clause is

    REGIME - REGIME on METRIC OP NUMBER      (a paired contrast: same point, same replicate)
    REGIME on METRIC OP NUMBER               (one regime's outcome)

with OP one of ``< <= > >=``. Whether the claim holds at a design point is decided, by default
(``--rule mean``), on each contrast averaged over the point's replicates; with ``--rule share`` the
claim holds at a point when it holds in at least half of its replicates (each replicate's contrast
is paired by seed). PRIM (ema_workbench's ``analysis.prim``, the Patient Rule Induction Method of
Friedman and Fisher 1999) then peels the parameter space to boxes where the claim holds densely.
Each box is reported with its coverage (share of the points where the claim holds that fall in the
box) and density (share of the box's points where the claim holds).
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.params import ConfigError

MIN_POINTS = 20  # PRIM peels 5% at a time and stops at 5% mass: fewer points leave boxes of 1 point
OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
_CLAUSE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:-\s*([A-Za-z_]\w*)\s*)?\s+on\s+(\S+?)\s*(<=|>=|<|>)\s*"
                     r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
RULES = ("mean", "share")


@dataclass(frozen=True, slots=True)
class Clause:
    a: str
    b: str | None  # None: a single regime's outcome
    metric: str
    op: str
    value: float

    def text(self) -> str:
        lhs = f"{self.a} - {self.b}" if self.b else self.a
        return f"{lhs} on {self.metric} {self.op} {self.value:g}"


def parse_claim(text: str) -> list[Clause]:
    """Parse a claim; a malformed one raises ConfigError naming the clause."""
    if not text or not text.strip():
        raise ConfigError("empty claim")
    clauses = []
    for part in re.split(r"\s+and\s+", text.strip()):
        m = _CLAUSE.match(part)
        if not m:
            raise ConfigError(f"cannot read claim clause {part.strip()!r}; expected "
                              f"'REGIME - REGIME on METRIC < NUMBER' (or <=, >, >=), clauses joined by 'and'")
        clauses.append(Clause(m.group(1), m.group(2), m.group(3), m.group(4), float(m.group(5))))
    return clauses


# --------------------------------------------------------------------------------------------
# Reading a study folder (CONTRACTS.md format)
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Study:
    path: Path
    points: pd.DataFrame  # `point` + one column per parameter
    runs: pd.DataFrame  # completed runs: point, regime, replicate, seed, outcomes
    meta: dict[str, Any]

    @property
    def parameters(self) -> list[str]:
        return [c for c in self.points.columns if c != "point"]


def load_study(path: Path) -> Study:
    """A design study's points and finished runs (``experiments.design.load_study``); a folder with
    no finished run is refused in one line."""
    from experiments import design

    path = Path(path)
    if not (path / "points.parquet").is_file():
        raise ConfigError(f"{path} is not a design study folder (no points.parquet)")
    meta, points, runs = design.load_study(path)
    if runs.empty:
        raise ConfigError(f"{path} has no runs yet (no runs.parquet or runs/point_*.parquet)")
    if "status" in runs.columns:  # a design's finished runs, or a calibration wave's
        runs = runs[runs["status"].isin(design.FINISHED)]
    return Study(path, points, runs.reset_index(drop=True), meta or {})


def check_claim(clauses: list[Clause], study: Study) -> None:
    regimes = sorted(study.runs["regime"].astype(str).unique()) if "regime" in study.runs else []
    for c in clauses:
        for r in (c.a, c.b):
            if r is not None and r not in regimes:
                raise ConfigError(f"unknown regime '{r}' in the claim; this study has: {', '.join(regimes)}")
        if c.metric not in study.runs.columns or not pd.api.types.is_numeric_dtype(study.runs[c.metric]):
            raise ConfigError(f"unknown metric '{c.metric}' in the claim; not an outcome of this study")
        if c.b == c.a:
            raise ConfigError(f"'{c.a} - {c.b}' contrasts a regime with itself")


def claim_holds(clauses: list[Clause], study: Study, rule: str = "mean") -> pd.Series:
    """Per design point: does the claim hold (bool), by ``rule`` (see the module's docstring)."""
    runs = study.runs
    per_rep = []
    for c in clauses:
        wide = runs.pivot_table(index=["point", "replicate"], columns="regime", values=c.metric,
                                aggfunc="first")
        contrast = wide[c.a] - wide[c.b] if c.b else wide[c.a]
        per_rep.append(contrast.rename(c.text()))
    table = pd.concat(per_rep, axis=1).dropna()
    if rule == "mean":
        means = table.groupby(level="point").mean()
        ok = np.ones(len(means), dtype=bool)
        for c in clauses:
            ok &= OPS[c.op](means[c.text()].to_numpy(), c.value)
        return pd.Series(ok, index=means.index, name="holds")
    ok = np.ones(len(table), dtype=bool)
    for c in clauses:
        ok &= OPS[c.op](table[c.text()].to_numpy(), c.value)
    share = pd.Series(ok, index=table.index).groupby(level="point").mean()
    return (share >= 0.5).rename("holds")


# --------------------------------------------------------------------------------------------
# PRIM
# --------------------------------------------------------------------------------------------


def _prim_module():
    """ema_workbench's prim, imported without its side effects on matplotlib's style and warnings."""
    import matplotlib as mpl

    with warnings.catch_warnings(), mpl.rc_context():
        warnings.simplefilter("ignore")  # "ipyparallel not installed": irrelevant here
        from ema_workbench.analysis import prim
    return prim


@dataclass(slots=True)
class Box:
    limits: pd.DataFrame  # index: parameter; columns: low, high, restricted
    coverage: float
    density: float
    mass: float
    n_points: int
    trajectory: pd.DataFrame
    chosen: int


def find_boxes(x: pd.DataFrame, y: np.ndarray, max_boxes: int = 2, min_density: float = 0.8,
               peel_alpha: float = 0.05, mass_min: float = 0.05) -> list[Box]:
    """PRIM boxes: on each peeling trajectory, the box of largest coverage whose density is at least
    ``min_density`` (the densest of equal coverage; the densest box if none reaches it); a further
    box is sought, among the points outside the first, only after a dense one."""
    prim = _prim_module()
    import logging

    logging.getLogger("EMA").setLevel(logging.WARNING)
    x = x.astype(float).reset_index(drop=True)
    with warnings.catch_warnings():  # ema_workbench 3.0 uses drop(inplace=True), deprecated in pandas
        warnings.filterwarnings("ignore", message="The inplace keyword")
        alg = prim.Prim(x, np.asarray(y, dtype=int), peel_alpha=peel_alpha, mass_min=mass_min)
    init = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
    boxes: list[Box] = []
    while len(boxes) < max_boxes:
        box = alg.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        dense = traj.index[traj["density"] >= min_density]
        if len(dense):  # the largest coverage, and among equal coverage the highest density
            best = traj.loc[dense].sort_values(["coverage", "density"], ascending=False, kind="stable")
            i = int(best.index[0])
        else:
            i = int(traj["density"].idxmax())
        box.select(i)
        lims = box.box_lims[i]
        rows = []
        for c in x.columns:
            lo, hi = float(lims[c].iloc[0]), float(lims[c].iloc[1])
            rows.append({"parameter": c, "low": lo, "high": hi,
                         "restricted": bool(lo > init[c][0] or hi < init[c][1])})
        rec = traj.loc[i]
        boxes.append(Box(pd.DataFrame(rows).set_index("parameter"), float(rec["coverage"]),
                         float(rec["density"]), float(rec["mass"]), int(rec["n"]), traj, i))
        if rec["density"] < min_density or rec["coverage"] >= 0.999:
            break
    return boxes


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:80] or "claim"


def discover(study_path: Path, claim: str, out: Path | None = None, rule: str = "mean", max_boxes: int = 2,
             min_density: float = 0.8, figure: bool = True) -> dict[str, Any]:
    """Run PRIM for ``claim`` on the study at ``study_path``; write boxes.csv, trajectory.csv,
    discover.md (and tradeoff.png) to ``out``. Bad input raises ConfigError before writing."""
    if rule not in RULES:
        raise ConfigError(f"unknown rule '{rule}'; choose from: {', '.join(RULES)}")
    if not 0 < min_density <= 1 or max_boxes < 1:
        raise ConfigError("--min-density must be in (0, 1] and --boxes at least 1")
    clauses = parse_claim(claim)
    study = load_study(study_path)
    check_claim(clauses, study)
    holds = claim_holds(clauses, study, rule)
    if len(holds) < MIN_POINTS:
        raise ConfigError(f"design too small: {len(holds)} design points with every regime of the claim "
                          f"finished; PRIM needs at least {MIN_POINTS}")
    n_true = int(holds.sum())
    if n_true in (0, len(holds)):
        raise ConfigError(f"the claim holds at {n_true} of {len(holds)} design points: there is no region "
                          f"to find (PRIM needs points where it holds and points where it does not)")
    x = study.points.set_index("point").loc[holds.index, study.parameters]
    boxes = find_boxes(x, holds.to_numpy(), max_boxes=max_boxes, min_density=min_density)

    out = Path(out) if out else study.path / "discover" / _slug(claim)
    out.mkdir(parents=True, exist_ok=True)
    from experiments.store import atomic_write_text

    rows, trajs = [], []
    for k, b in enumerate(boxes, start=1):
        for prm, lim in b.limits.iterrows():
            rows.append({"box": k, "parameter": prm, "low": lim["low"], "high": lim["high"],
                         "restricted": lim["restricted"], "coverage": b.coverage, "density": b.density,
                         "mass": b.mass, "n_points": b.n_points})
        t = b.trajectory[["coverage", "density", "mass", "res_dim", "n"]].copy()
        t.insert(0, "step", np.arange(len(t)))
        t.insert(0, "box", k)
        t["chosen"] = t["step"] == b.chosen
        trajs.append(t)
    table = pd.DataFrame(rows)
    atomic_write_text(out / "boxes.csv", table.to_csv(index=False))
    atomic_write_text(out / "trajectory.csv", pd.concat(trajs).to_csv(index=False))
    lines = ["# Where the claim holds", "", f"Claim: `{claim}`", "",
             f"Study: `{study.path}`; {len(holds)} design points; the claim holds at {n_true} "
             f"({n_true / len(holds):.0%}) by the rule '{rule}' "
             + ("(each contrast averaged over the point's replicates)." if rule == "mean"
                else "(the claim holds in at least half of the point's paired replicates)."), "",
             "Boxes found by PRIM (ema_workbench); coverage = share of the points where the claim holds "
             "that lie in the box, density = share of the box's points where it holds.", ""]
    for k, b in enumerate(boxes, start=1):
        lines += [f"## Box {k}: coverage {b.coverage:.2f}, density {b.density:.2f}, "
                  f"mass {b.mass:.2f} ({b.n_points} points)", "",
                  "| parameter | low | high | restricted |", "|---|---|---|---|"]
        for prm, lim in b.limits.iterrows():
            lines.append(f"| `{prm}` | {lim['low']:.4g} | {lim['high']:.4g} | {'yes' if lim['restricted'] else ''} |")
        lines.append("")
    atomic_write_text(out / "discover.md", "\n".join(lines))
    fig_path = None
    if figure and boxes:
        fig_path = out / "tradeoff.png"
        _tradeoff_figure(boxes, fig_path)
    return {"out": out, "boxes": boxes, "holds": holds, "table": table, "figure": fig_path}


def _tradeoff_figure(boxes: list[Box], path: Path) -> None:
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm

    from experiments import style  # the project's figure style (sizes, fonts, Agg)

    # one colour per number of restricted parameters, the same for every box (each scatter scaled
    # its colours to its own range, and the bar showed fractions of a parameter)
    top = max(int(b.trajectory["res_dim"].max()) for b in boxes)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), top + 1)
    cmap = plt.get_cmap("viridis", top + 1)
    with matplotlib.rc_context(style.RC):
        fig, ax = plt.subplots(figsize=(style.WIDTH_SINGLE + 1.0, 3.0), layout="constrained")
        for k, b in enumerate(boxes, start=1):
            t = b.trajectory
            sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap=cmap, norm=norm, s=12,
                            marker=style.MARKERS[(k - 1) % len(style.MARKERS)], label=f"box {k}: peeling steps")
            ax.scatter([b.coverage], [b.density], s=110, facecolors="none", edgecolors="red",
                       label="chosen box" if k == 1 else None)
        fig.colorbar(sc, ax=ax, label="restricted parameters", ticks=range(top + 1))
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower left", frameon=False)
        ax.set_title("PRIM trade-off: coverage against density")
        tmp = path.with_name(f".{path.name}.tmp.png")
        fig.savefig(tmp, dpi=style.DPI, bbox_inches="tight", pad_inches=0.03)
    plt.close(fig)
    tmp.replace(path)


def cli(argv: list[str]) -> int:
    from experiments.calibrate import _Parser

    p = _Parser.make("resilience discover", "PRIM: the boxes of parameter space where a claim holds.")
    p.add_argument("study", type=Path, help="a design study folder")
    p.add_argument("--claim", required=True, help='e.g. "competitive_tender - grants on active_groups < 0"')
    p.add_argument("--rule", choices=RULES, default="mean",
                   help="mean: contrasts averaged over replicates (default); share: holds in >= half")
    p.add_argument("--boxes", type=int, default=2, help="boxes to seek, one after another (default 2)")
    p.add_argument("--min-density", type=float, default=0.8,
                   help="choose the box of largest coverage with at least this density (default 0.8)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default STUDY/discover/<claim>)")
    p.add_argument("--no-figure", action="store_true")
    a = p.parse_args(argv)
    if not a.study.is_dir():
        raise ConfigError(f"no such folder: {a.study}")
    res = discover(a.study, a.claim, a.out, rule=a.rule, max_boxes=a.boxes, min_density=a.min_density,
                   figure=not a.no_figure)
    holds = res["holds"]
    print(f"claim holds at {int(holds.sum())} of {len(holds)} design points (rule: {a.rule})")
    for k, b in enumerate(res["boxes"], start=1):
        lims = "; ".join(f"{prm} {lim['low']:.4g}..{lim['high']:.4g}"
                         for prm, lim in b.limits.iterrows() if lim["restricted"]) or "(whole space)"
        print(f"box {k}: coverage {b.coverage:.2f}, density {b.density:.2f}, mass {b.mass:.2f}: {lims}")
    print(f"report: {res['out'] / 'discover.md'}", file=sys.stdout)
    return 0
