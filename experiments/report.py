"""``resilience report``: a sweep folder becomes one self-contained HTML file and one PDF.

The document is generated from the sweep alone: title and summary from the comparison; methods from
the jobs' resolved ``config.yaml`` and ``metadata.json``; a model description from docs/ODD.md; the
figures of ``experiments.figures`` with captions computed from the data they show; the tables of
``experiments.tables``; limitations from docs/validation.md ("Known shortfalls"); provenance.

PDF route: Typst, through the ``typst`` PyPI package (a self-contained wheel of the Typst compiler,
no LaTeX, no system install, works offline). It embeds its own fonts (Libertinus Serif as subset
CID fonts) and takes the figures as PDF, so their TrueType text stays vector and no font is Type 3.
A report renders in well under a second of Typst time; most of the time goes into the figures.

Everything is written into a temporary folder beside the output and moved into place at the end,
so a failure leaves no half-written report.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import os
import platform
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from experiments import figures as figs
from experiments import style, tables
from experiments.config import REPO_ROOT
from experiments.store import job_dirs, load, read_json
from model import DIRECTION
from model.regimes import regime_description, regime_label, regime_order

PLACE_WORDS = {"small": "small community", "town": "town", "city": "city"}
HEADLINE_METRICS = ("lonely_share", "chronic_lonely_share", "mean_close_ties", "close_ties_from_groups", "isolated_share",
                    "volunteer_share", "membership_share", "active_groups")


class ReportError(ValueError):
    """Input the report cannot be made from, said in one line."""


@dataclass(slots=True)
class ReportResult:
    html: Path
    pdf: Path
    seconds: float
    pdf_seconds: float


# --------------------------------------------------------------------------------------------
# A document as blocks, rendered to HTML and Typst
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Block:
    kind: str  # title | h1 | h2 | p | ul | figure | table | note
    text: str = ""
    items: Sequence[str] = ()
    image: Path | None = None  # figure: the PNG (HTML); its PDF sits beside it (Typst)
    frame: pd.DataFrame | None = None
    number: int = 0


def _typ(text: str) -> str:
    """Text as a Typst string literal (no markup is interpreted inside it)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


TYPST_PREAMBLE = """\
#set document(title: {title})
#set page(paper: "a4", margin: (x: 2.2cm, y: 2.2cm), numbering: "1")
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en")
#set par(justify: true)
#set heading(numbering: "1.")
#show heading: set block(above: 1.2em, below: 0.7em)
#show figure: set block(breakable: true)
#show figure.caption: set text(size: 9pt)
#show figure.caption: set align(left)
#show figure.where(kind: table): set figure.caption(position: top)
#show list: set par(justify: false)
#show table: set par(justify: false)
#set table(stroke: (x, y) => if y == 0 {{ (bottom: 0.6pt) }} else {{ none }}, inset: (x: 4pt, y: 2.5pt))
"""


def to_typst(blocks: Sequence[Block]) -> str:
    title = next((b.text for b in blocks if b.kind == "title"), "Report")
    out = [TYPST_PREAMBLE.format(title=_typ(title))]
    for b in blocks:
        if b.kind == "title":
            out.append(f"#align(center, text(size: 16pt, weight: \"bold\", {_typ(b.text)}))\n")
        elif b.kind == "subtitle":
            out.append(f"#align(center, text(size: 10pt, {_typ(b.text)}))\n#v(1em)\n")
        elif b.kind in ("h1", "h2"):
            marks = "=" if b.kind == "h1" else "=="
            out.append(f"{marks} #{_typ(b.text)}\n")
        elif b.kind == "p":
            out.append(f"#{_typ(b.text)}\n")
        elif b.kind == "note":
            out.append(f"#text(size: 9pt, {_typ(b.text)})\n")
        elif b.kind == "ul":
            out.append("#list(" + ", ".join(f"[#{_typ(i)}]" for i in b.items) + ")\n")
        elif b.kind == "figure":
            pdf = f"{b.image.parent.name}/{b.image.with_suffix('.pdf').name}"
            out.append(f"#figure(image({_typ(pdf)}, width: 100%), kind: image, "
                       f"caption: [#{_typ(b.text)}])\n")
        elif b.kind == "table":
            df = b.frame
            n = len(df.columns)
            aligns = ", ".join("right" if c in ("Runs", "Pairs", "p (Holm)") else "left" for c in df.columns)
            head = ", ".join(f"[*#{_typ(c)}*]" for c in df.columns)
            cells = ", ".join(
                f"table.cell(colspan: {n}, inset: (top: 5pt), [*#{_typ(row[0])}*])" if tables.is_section(row)
                else ", ".join(f"[#{_typ(v)}]" for v in row)
                for row in df.itertuples(index=False))
            size = "7.5pt" if n >= 6 else "8.5pt"
            out.append(f"#figure(kind: table, caption: [#{_typ(b.text)}], text(size: {size}, "
                       f"table(columns: {n}, align: ({aligns},), table.header({head}), {cells})))\n")
    return "\n".join(out)


HTML_STYLE = """
body { font-family: Georgia, 'Libertinus Serif', serif; max-width: 50em; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; color: #111; }
h1.title { text-align: center; font-size: 1.6em; } p.subtitle { text-align: center; color: #444; }
figure { margin: 1.5em 0; } figure img { width: 100%; height: auto; }
figcaption, caption { font-size: 0.9em; text-align: left; color: #222; caption-side: top; padding-bottom: .4em; }
table { border-collapse: collapse; font-size: 0.82em; margin: 1em 0; }
th { border-bottom: 1px solid #333; text-align: left; } th.section { border: none; padding-top: .6em; } td, th { padding: 2px 6px; vertical-align: top; }
p.note { font-size: 0.9em; color: #333; }
"""


def to_html(blocks: Sequence[Block]) -> str:
    title = next((b.text for b in blocks if b.kind == "title"), "Report")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title><style>{HTML_STYLE}</style></head><body>"]
    h1 = h2 = 0
    for b in blocks:
        e = html.escape(b.text)
        if b.kind == "title":
            out.append(f'<h1 class="title">{e}</h1>')
        elif b.kind == "subtitle":
            out.append(f'<p class="subtitle">{e}</p>')
        elif b.kind == "h1":
            h1, h2 = h1 + 1, 0
            out.append(f"<h2>{h1}. {e}</h2>")
        elif b.kind == "h2":
            h2 += 1
            out.append(f"<h3>{h1}.{h2}. {e}</h3>")
        elif b.kind == "p":
            out.append(f"<p>{e}</p>")
        elif b.kind == "note":
            out.append(f'<p class="note">{e}</p>')
        elif b.kind == "ul":
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "figure":
            data = base64.b64encode(b.image.read_bytes()).decode("ascii")
            out.append(f'<figure><img alt="Figure {b.number}" src="data:image/png;base64,{data}">'
                       f"<figcaption>Figure {b.number}: {e}</figcaption></figure>")
        elif b.kind == "table":
            out.append(tables.to_html(b.frame, caption=f"Table {b.number}: {b.text}"))
    out.append("</body></html>")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# Reading the sweep
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Sweep:
    path: Path
    tables: dict[str, pd.DataFrame]
    runs: pd.DataFrame
    jobs: list[dict[str, Any]]  # per job: metadata.json + its config.yaml under "config"


def read_sweep(path: Path) -> Sweep:
    path = Path(path)
    if not path.is_dir():
        raise ReportError(f"no such folder: {path}")
    jobs = [j for j in job_dirs(path) if (j / "metadata.json").exists()]
    if not jobs:
        raise ReportError(f"not a sweep folder: {path} (no job folders with metadata.json; "
                          f"make one with `resilience run -m ...`)")
    try:
        tabs = load(path)
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise ReportError(f"cannot read the results in {path}: {exc}") from None
    runs = tabs["runs"]
    if runs.empty or "regime" not in runs.columns:
        raise ReportError(f"no completed runs in {path}")
    runs = runs[runs["status"] == "completed"] if "status" in runs.columns else runs
    if runs["regime"].nunique() < 2:
        only = ", ".join(regime_label(r) for r in runs["regime"].unique())
        raise ReportError(f"the sweep in {path} has one regime ({only}); a report compares at least two")
    meta = []
    for j in jobs:
        m = read_json(j / "metadata.json") or {}
        try:
            m["config"] = yaml.safe_load((j / "config.yaml").read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            m["config"] = {}
        m["job"] = j.relative_to(path).as_posix()
        meta.append(m)
    return Sweep(path, tabs, runs, meta)


def _cfg(sweep: Sweep, *keys: str, default: Any = None) -> Any:
    """A config value shared by the jobs (the first job's, which every job shares unless swept)."""
    values = []
    for j in sweep.jobs:
        v: Any = j.get("config", {})
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        values.append(v)
    values = [v for v in values if v is not None]
    if not values:
        return default
    uniq = list(dict.fromkeys(json.dumps(v, sort_keys=True, default=str) for v in values))
    return values[0] if len(uniq) == 1 else [json.loads(u) for u in uniq]


# --------------------------------------------------------------------------------------------
# Words from numbers
# --------------------------------------------------------------------------------------------


def _plain(md: str) -> str:
    """Markdown inline text as plain words; code names of regimes become their labels."""
    def code(m: re.Match) -> str:
        name = m.group(1)
        return regime_label(name) if regime_description(name) else name

    text = re.sub(r"`([^`]+)`", code, md)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _section(doc: str, heading: str) -> str:
    m = re.search(rf"^#+\s*{re.escape(heading)}.*?$(.*?)(?=^#|\Z)", doc, flags=re.M | re.S)
    return m.group(1).strip() if m else ""


def model_description() -> str:
    """The purpose paragraph of docs/ODD.md, in plain words."""
    path = REPO_ROOT / "docs" / "ODD.md"
    try:
        doc = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    part = _section(doc, "1. Purpose and patterns")
    para = next((p for p in part.split("\n\n") if p.strip().startswith("**Purpose")), "")
    return _plain(para.replace("**Purpose.**", ""))


def _brief() -> tuple[str, list[str]]:
    """docs/validation.md's "Limitations in brief": its opening paragraph and its bullets, in plain
    words (the opening is for readers of the document; the report says where the full record is)."""
    try:
        part = _section((REPO_ROOT / "docs" / "validation.md").read_text(encoding="utf-8"), "Limitations in brief")
    except OSError:
        return "", []
    opening, *items = re.split(r"^- ", part, flags=re.M)
    return opening, [_plain(i) for i in items if i.strip()]


def limitations_version() -> str:
    """The model version the limitations in brief were measured on (named in the section's opening)."""
    m = re.search(r"model\s+version\s+(\d+)", _brief()[0])
    return m.group(1) if m else ""


def limitations() -> list[str]:
    """The bullets of docs/validation.md's "Limitations in brief", in plain words."""
    return _brief()[1]


def _diff_words(metric: str, d: float, lo: float, hi: float) -> str:
    k = style.scale(metric)
    unit = " percentage points" if style.is_share(metric) else ""
    dec = tables.decimals_for((hi - lo) / 2 * k)
    verb = "lowered" if d < 0 else "raised"
    a, b = sorted((abs(lo) * k, abs(hi) * k))
    if style.is_money(metric):
        return f"{verb} it by {style.money(abs(d))} (95% CI {style.money(a)} to {style.money(b)})"
    return f"{verb} it by {abs(d) * k:.{dec}f}{unit} (95% CI {a:.{dec}f} to {b:.{dec}f})"


def _clear(r: Any) -> bool:
    p = getattr(r, "p_holm", math.nan)
    lo, hi = r.diff_ci_low, r.diff_ci_high
    return (isinstance(p, float) and math.isfinite(p) and p < 0.05 and math.isfinite(lo)
            and math.isfinite(hi) and (lo > 0 or hi < 0))


def summary_text(table: pd.DataFrame, metrics: Sequence[str], horizon: Any) -> str:
    t = table[(table["level"] != table["baseline"]) & ~table["fixed_by_design"]]
    baseline = regime_label(str(table["baseline"].iloc[0]))
    primary = next((m for m in metrics if DIRECTION.get(m) and m in set(t["metric"])), None)
    words = []
    if primary:
        cols = tables.strata_of(t)
        # one passage per stratum (a sweep over funding paths named every regime once per path,
        # in one list, without saying which path was which)
        groups = (t[t["metric"] == primary].groupby(cols, sort=False, dropna=False) if cols
                  else [((), t[t["metric"] == primary])])
        for key, rows in groups:
            key = key if isinstance(key, tuple) else (key,)
            where = "; ".join(f"{c} = {v if pd.notna(v) else '(not set)'}" for c, v in zip(cols, key, strict=True))
            words.append(_primary_words(rows, primary, baseline, horizon, f"With {where}: " if where else ""))
    tested = t[t["p_holm"].notna()]
    n_clear = sum(_clear(r) for r in tested.itertuples())
    better = tested[tested["verdict"] == "better"]
    worse = tested[tested["verdict"] == "worse"]
    n_out = tested["metric"].nunique()
    words.append(f"Over all {n_out} outcome{'s' if n_out != 1 else ''} tested, {n_clear} of {len(tested)} "
                 f"regime-outcome contrasts with {baseline} were clear (Holm-adjusted p < 0.05): "
                 f"{len(better)} in the better direction and {len(worse)} in the worse.")
    return " ".join(words)


def _primary_words(rows: pd.DataFrame, primary: str, baseline: str, horizon: Any, lead: str) -> str:
    """The summary's sentences on the primary outcome, for one stratum's contrasts."""
    name = style.outcome_label(primary, unit=False).lower()
    clear = [r for r in rows.itertuples() if _clear(r)]
    unclear = [regime_label(r.level) for r in rows.itertuples() if not _clear(r)]
    words = []
    if clear:
        parts = [f"{regime_label(r.level)} {_diff_words(primary, r.diff_mean, r.diff_ci_low, r.diff_ci_high)}"
                 for r in clear]
        span = "in the final year" if " and " in str(horizon) else f"in the final year of {horizon} years"
        words.append(f"Compared with {baseline}, {span}, on the share of {name}: " + "; ".join(parts) + ".")
    if unclear:
        if not clear and len(unclear) > 2:
            who = f"None of the {len(unclear)} regimes differed"
        else:
            who = f"{_join(unclear)} did not differ"
        words.append(f"{who} clearly from {baseline} on the share of {name} (Holm-adjusted p at least 0.05 "
                     f"or a 95% CI that includes no change).")
    return lead + " ".join(words)


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --------------------------------------------------------------------------------------------
# Captions computed from what each figure shows
# --------------------------------------------------------------------------------------------


def caption_timeseries(ts: pd.DataFrame, metrics: Sequence[str], baseline: str) -> str:
    n = figs.replicates(ts)
    parts = []
    for m in metrics[:2]:
        ym = figs.yearly_means(ts, m)
        last = ym[ym["year"] == ym["year"].max()]
        lo = last.loc[last["mean"].idxmin()]
        hi = last.loc[last["mean"].idxmax()]
        k = style.scale(m)
        unit = "%" if style.is_share(m) else ""
        parts.append(f"{style.outcome_label(m, unit=False).lower()} ended between {lo['mean'] * k:.1f}{unit} "
                     f"({regime_label(lo['regime'])}) and {hi['mean'] * k:.1f}{unit} ({regime_label(hi['regime'])})")
    return (f"Yearly means over {n} replicates per regime during the study; shaded: 95% CI of the mean "
            f"over {n} replicates. In the last year, " + "; ".join(parts) + ".")


def caption_final(runs: pd.DataFrame, shown: Sequence[str]) -> str:
    n = figs.replicates(runs)
    return (f"Final-year values of {len(shown)} outcomes: each dot is one replicate ({n} per regime); the "
            f"black tick and bar are the mean and its 95% CI. Quantities fixed by design are in a table below, not drawn.")


def caption_forest(table: pd.DataFrame, shown: Sequence[str]) -> str:
    t = table[(table["level"] != table["baseline"]) & table["metric"].isin(shown)]
    baseline = regime_label(str(table["baseline"].iloc[0]))
    n_pairs = int(t["n_pairs"].max()) if len(t) else 0
    clear = sum(_clear(r) for r in t.itertuples())
    return (f"Paired differences from {baseline} (regime minus {baseline}, matched seeds, {n_pairs} pairs) "
            f"with bootstrap 95% CIs, for {len(shown)} outcomes; the arrow marks the better direction. "
            f"Filled markers: Holm-adjusted p < 0.05 ({clear} of {len(t)} contrasts).")


def caption_survival(groups: pd.DataFrame) -> str:
    c = figs.survival_cohorts(groups)
    nf, ne = len(c["founded"]), len(c["existing"])
    cf = int(c["founded"]["closed"].sum()) if nf else 0
    ce = int(c["existing"]["closed"].sum()) if ne else 0
    return (f"Share of community groups still open (Kaplan-Meier, replicates pooled): left, {nf:,} groups "
            f"founded during the study ({cf:,} closed), counted from their founding; right, {ne:,} groups "
            f"already open at the study start ({ce:,} closed), which enter the risk set at the study start.")


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _comparison(sweep: Sweep, work: Path, baseline: str | None, metrics: Sequence[str] | None):
    """The comparison statistics of ``experiments.compare``, computed into the work folder (the
    sweep's own compare/ folder is left as it is)."""
    from experiments.compare import compare

    done = sweep.path / "compare" / "comparison.parquet"
    runs_file = sweep.path / "runs.parquet"
    if (baseline is None and metrics is None and done.exists() and runs_file.exists()
            and done.stat().st_mtime >= runs_file.stat().st_mtime):
        # the sweep's own comparison (the main job writes it just before the report): reuse it
        table = pd.read_parquet(done)
        try:
            cost = pd.read_csv(sweep.path / "compare" / "cost_effectiveness.csv")
        except (OSError, ValueError):
            cost = pd.DataFrame()
        if len(table):
            return tables.normalise(table), cost, str(table["baseline"].iloc[0])
    try:
        res = compare(work, baseline=baseline, metrics=metrics, tables=sweep.tables, figures=False)
    except (ValueError, FileNotFoundError) as exc:
        raise ReportError(str(exc)) from None
    return tables.normalise(res.table), res.cost, res.baseline


def _provenance(sweep: Sweep) -> list[str]:
    jobs = sweep.jobs
    commits = sorted({str((j.get("git") or {}).get("commit")) for j in jobs})
    dirty = sorted({str((j.get("git") or {}).get("dirty")) for j in jobs})
    versions = jobs[0].get("versions") or {}
    seeds = list(dict.fromkeys(s for j in jobs for s in (j.get("seeds") or [])))
    starts = sorted(str(j.get("start_time")) for j in jobs if j.get("start_time"))
    ends = sorted(str(j.get("end_time")) for j in jobs if j.get("end_time"))
    wall = sum(float(j.get("wall_seconds") or 0.0) for j in jobs)
    hosts = sorted({str(j.get("host")) for j in jobs if j.get("host")})
    items = [
        f"Sweep folder: {sweep.path.resolve()}",
        f"Package version: {versions.get('package')}; model version: {versions.get('model')}; "
        f"Python {versions.get('python')}, mesa {versions.get('mesa')}, numpy {versions.get('numpy')}, "
        f"pandas {versions.get('pandas')}, scipy {versions.get('scipy')}, hydra {versions.get('hydra')}.",
        f"Git commit: {', '.join(commits)}; uncommitted changes (dirty): "
        f"{', '.join({'True': 'yes', 'False': 'no'}.get(d, d) for d in dirty)}.",
        f"Base seed {jobs[0].get('base_seed')}; replicate seeds (the same in every job): "
        f"{', '.join(str(s) for s in seeds)}.",
        f"Runs started {starts[0] if starts else 'unknown'}, last finished {ends[-1] if ends else 'unknown'}; "
        f"wall time summed over jobs {wall:,.0f} s; machine(s): {', '.join(hosts) or 'unknown'}.",
        f"Report made {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} on {platform.node()} "
        f"({platform.platform()}).",
    ]
    for j in jobs:
        cond = j.get("conditions") or {}
        what = ", ".join(regime_label(v) if k == "regime" else f"{k} {v}" for k, v in cond.items()
                         if v not in ("", None))
        items.append(f"Job {j['job']} ({what}): resolved config hash (SHA-256) {j.get('config_sha256')}.")
    return items


def _methods(sweep: Sweep, regimes: Sequence[str], baseline: str) -> list[Block]:
    place = _cfg(sweep, "place", "name", default="?")
    n_res = _cfg(sweep, "place", "n_residents", default="?")
    n_nb = _cfg(sweep, "place", "n_neighbourhoods", default="?")
    funding = _cfg(sweep, "funding", "path", default="?")
    budget = _cfg(sweep, "council", "budget_per_resident_per_year", default="?")
    horizon = _cfg(sweep, "horizon_years", default="?")
    burn = _cfg(sweep, "burn_in_years", default="?")
    reps = sorted({int(j.get("replicates") or 0) for j in sweep.jobs})
    paths = {"stable": "stable (the same budget every year)", "austerity": "austerity (a cut every year)",
             "shock": "a one-off shock (a sudden cut)"}

    def each(v, fmt) -> str:  # a setting the jobs share, or the values a sweep gives it, in words
        return _join([fmt(x) for x in v]) if isinstance(v, list) else fmt(v)

    def fmt_num(v):
        return (f"{v:g}" if isinstance(v, float) else str(v))

    def money(v):
        return f"£{v:,.2f}" if isinstance(v, int | float) else str(v)

    def count(v):
        return f"{v:,}" if isinstance(v, int) else str(v)

    funding_words = ("funding paths: " if isinstance(funding, list) else "funding path: ") + \
        each(funding, lambda f: paths.get(str(f), str(f)))
    blocks = [
        Block("p", f"Place: {each(place, str)} ({each(n_res, count)} adult residents in {each(n_nb, str)} "
                   f"neighbourhoods). Council budget {each(budget, money)} per resident per year; "
                   f"{funding_words}. Each run first runs {each(burn, fmt_num)} years of burn-in under the "
                   f"usual arrangements, then the regime for {each(horizon, fmt_num)} years (the study). "
                   f"Outcomes are read in the study's final year."),
        Block("p", "Regimes compared:"),
        Block("ul", items=[f"{regime_label(r)}{' (baseline)' if r == baseline else ''}: "
                           f"{regime_description(r) or 'no description'}" for r in regimes]),
        Block("p", f"Replicates: {', '.join(str(r) for r in reps)} per regime. Replicate k uses the same "
                   f"random seed under every regime (common random numbers), so each regime's run is paired "
                   f"with the baseline's run on the same seed, and the comparison removes the variation "
                   f"between seeds that all regimes share."),
        Block("p", "Statistics: means with 95% confidence intervals from the t distribution; paired "
                   "differences from the baseline with bootstrap 95% CIs (BCa, 9,999 resamples, fixed "
                   "seed); Wilcoxon signed-rank tests on the paired differences, Holm-adjusted within each "
                   "outcome's family of contrasts. Quantities fixed by design (council spend set by the "
                   "budget, the share of spend reaching local groups) are reported, not tested. Group "
                   "survival: Kaplan-Meier product-limit estimates with entry at the study start for "
                   "groups already open then."),
    ]
    return blocks


def build(path: Path, out: Path | None = None, title: str | None = None, baseline: str | None = None,
          metrics: Sequence[str] | None = None) -> ReportResult:
    """Write ``report.html`` and ``report.pdf`` for the sweep at ``path`` into ``out`` (default
    ``<path>/report``), atomically. Raises ReportError on input it cannot report on."""
    t0 = time.perf_counter()
    path = Path(path)
    sweep = read_sweep(path)
    out = Path(out) if out is not None else path / "report"
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        table, cost, baseline = _comparison(sweep, work, baseline, metrics)
        blocks = _document(sweep, table, cost, baseline, work, title)
        (work / "report.html").write_text(to_html(blocks), encoding="utf-8")
        typ = work / "report.typ"
        typ.write_text(to_typst(blocks), encoding="utf-8")
        t1 = time.perf_counter()
        _compile_pdf(typ, work / "report.pdf")
        pdf_seconds = time.perf_counter() - t1
        final = work / "final"
        final.mkdir()
        for name in ("report.html", "report.pdf"):
            os.replace(work / name, final / name)
        figdir = final / "figures"
        figdir.mkdir()
        for f in (work / "figures").glob("*"):
            os.replace(f, figdir / f.name)
        _swap_into_place(final, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return ReportResult(out / "report.html", out / "report.pdf", time.perf_counter() - t0, pdf_seconds)


def _compile_pdf(source: Path, target: Path) -> None:
    try:
        import typst
    except ImportError:
        raise ReportError("the PDF needs the typst package: pip install typst") from None
    try:
        typst.compile(str(source), output=str(target), root=str(source.parent))
    except Exception as exc:  # noqa: BLE001 - typst raises its own error type with the message
        raise ReportError(f"typst could not render the PDF: {str(exc).splitlines()[0]}") from None


def _swap_into_place(new: Path, out: Path) -> None:
    """Move the finished folder to ``out``, replacing an older report only once the new one is whole."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _document(sweep: Sweep, table: pd.DataFrame, cost: pd.DataFrame, baseline: str, work: Path,
              title: str | None) -> list[Block]:
    runs = sweep.runs
    ts, groups = sweep.tables["timeseries"], sweep.tables["groups"]
    regimes = regime_order(runs["regime"].unique())
    horizon = _cfg(sweep, "horizon_years", default="?")
    # a swept horizon or place, in words ("3 and 5 years", "small community and town")
    horizon = _join([f"{h:g}" if isinstance(h, float) else str(h) for h in
                     (horizon if isinstance(horizon, list) else [horizon])])
    place = _cfg(sweep, "place", "name", default="")
    place = _join([PLACE_WORDS.get(str(p), "place") for p in dict.fromkeys(place if isinstance(place, list) else [place])])
    metrics = list(dict.fromkeys(table["metric"]))
    fixed = tables.fixed_metrics(table)
    shown = [m for m in metrics if m not in fixed and not figs.constant_by_design(runs, m)]
    table = table.assign(fixed_by_design=table["fixed_by_design"] | table["metric"].isin(fixed))
    cols = tables.strata_of(table)
    title = title or (f"{len(regimes)} ways for a council to fund community support: "
                      f"{horizon} years in a simulated {place}")
    blocks = [Block("title", title),
              Block("subtitle", f"Generated from {sweep.path.name} on "
                                f"{dt.date.today().isoformat()} by resilience report")]
    blocks += [Block("h1", "Summary"), Block("p", summary_text(table, metrics, horizon))]
    if cols:
        blocks.append(Block("note", f"Results are split by {', '.join(cols)}; the summary reads the first "
                                    "outcome in each, and counts the contrasts over all of them."))
    blocks.append(Block("h1", "Methods"))
    desc = model_description()
    if desc:
        blocks += [Block("h2", "The model"), Block("p", desc + " The full description is docs/ODD.md.")]
    blocks += [Block("h2", "Design"), *_methods(sweep, regimes, baseline)]

    # figures
    fig_dir = work / "figures"
    fig_dir.mkdir(exist_ok=True)
    blocks.append(Block("h1", "Results"))
    nfig = 0

    def add_fig(paths: list[Path], caption: str) -> None:
        nonlocal nfig
        png = next((p for p in paths if p.suffix == ".png"), None)
        if png is not None:
            nfig += 1
            blocks.append(Block("figure", caption, image=png, number=nfig))

    ok_ts = ts[ts["status"] == "completed"] if "status" in ts.columns else ts
    for name, part in figs.strata(table, cols):
        suffix = f"_{figs.slug(name)}" if name else ""
        where = f" ({name})" if name else ""
        head = [m for m in HEADLINE_METRICS if m in shown][:4] or shown[:4]
        fshown = [m for m in shown if m in set(part["metric"])][: figs.MAX_PANELS]
        add_fig(figs.forest_figure(part, fig_dir / f"differences{suffix}", metrics=fshown),
                caption_forest(part, fshown) + where)
        rpart = runs
        tpart = ok_ts
        for c, v in zip(cols, name.split(", ") if name else [], strict=False):
            val = v.split(" = ", 1)[1]
            rpart = rpart[rpart[c].astype(str) == val]
            tpart = tpart[tpart[c].astype(str) == val] if c in tpart.columns else tpart
        if not tpart.empty:
            tm = [m for m in head if m in tpart.columns]
            add_fig(figs.timeseries_figure(tpart, fig_dir / f"timeseries{suffix}", metrics=tm),
                    caption_timeseries(tpart, tm, baseline) + where)
        add_fig(figs.final_year_figure(rpart, fshown, fig_dir / f"final_year{suffix}"),
                caption_final(rpart, [m for m in fshown if m in rpart.columns]) + where)
    if not groups.empty:
        add_fig(figs.survival_figure(groups, fig_dir / "survival"), caption_survival(groups))

    # tables
    blocks.append(Block("h1", "Tables"))
    ntab = 0
    for heading, df in tables.reader_tables(table):
        ntab += 1
        blocks.append(Block("table", f"Final-year outcomes by regime and paired differences from "
                                     f"{regime_label(baseline)}{f' ({heading})' if heading else ''}. "
                                     + tables.METHOD_NOTE, frame=df, number=ntab))
    ft = tables.fixed_table(table)
    if not ft.empty:
        ntab += 1
        blocks.append(Block("table", "Quantities fixed by design (set by the budget and the regime's "
                                     "rules; reported, not tested).", frame=ft, number=ntab))
    ct = tables.cost_table(cost)
    if not ct.empty:
        ntab += 1
        blocks.append(Block("table", "Cost per lonely-person-year averted against No funding (same seeds). "
                                     + tables.COST_FOOTNOTE, frame=ct, number=ntab))

    lim, version = limitations(), limitations_version()
    if lim:
        blocks += [Block("h1", "Limitations"),
                   Block("p", "What a reader of these results should know about the model against what "
                              "is known about England"
                              + (f" (measured on model version {version})" if version else "")
                              + ". The full record of each shortfall, with what was tried, is in "
                              "docs/validation.md (Known shortfalls)."),
                   Block("ul", items=lim)]
    blocks += [Block("h1", "Provenance"),
               Block("p", "Every number here can be reproduced from the resolved configuration and the "
                          "seeds below: each job folder keeps its resolved config.yaml and metadata.json."),
               Block("ul", items=_provenance(sweep))]
    return blocks
