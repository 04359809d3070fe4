"""Compare conditions of a sweep: means with 95% CIs, paired differences against a baseline, the
interaction of two factors, cost per outcome, and dose-response curves of numeric settings.

Any condition column can be contrasted (``by``: regime, funding, place, any swept override) against
one of its values (``baseline``); the other condition columns that vary become strata. Replicate k
of every job ran with the same seed, so a row is paired with the baseline row that agrees on the
seed and on every other condition. The statistics themselves live in :mod:`experiments.stats`.

Output folder (``compare/`` by default) is replaced as a whole, atomically, and records the
arguments of its analysis in ``analysis.json``: a re-run with the same arguments replaces its own
files; a different analysis is refused in that folder (choose another with ``out``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import stats as st
from experiments.stats import CONFIDENCE, mean_ci, paired_difference  # noqa: F401 - public names
from experiments.store import SEED_COLUMNS, atomic_write_parquet, atomic_write_text, condition_names, load
from model import DIRECTION, OUTCOME_NAMES
from model.regimes import all_regimes
from model.regimes import regime_order as _regime_order

DEFAULT_METRICS = (
    "lonely_share",
    "chronic_lonely_share",
    "mean_close_ties",
    "close_ties_from_groups",  # where regimes differ in close ties: those made at a group
    "isolated_share",
    "volunteer_share",
    "membership_share",
    "active_groups",
    "local_funding_share",
    "council_spend",
)
# The fixed order of regimes in every table and figure (unknown names follow, alphabetically),
# derived from the regime registry (model/regimes.py).
REGIME_ORDER = tuple(all_regimes())
# Preferred baselines of a factor when none is given (else the first value in display order).
PREFERRED_BASELINE = {"regime": ("none", "status_quo"), "funding": ("stable",)}
ANALYSIS_FILE = "analysis.json"
COST_FOOTNOTE = (
    "Cost per lonely-person-year averted = sum over matched seeds of (council spend over the horizon "
    "under the regime - the same under `none`) / sum over matched seeds of (lonely share under `none` "
    "- lonely share under the regime) x residents x horizon years; spend is the mean yearly "
    "`council_spend` x horizon years and lonely shares are averaged over the horizon. 95% CI: paired "
    "percentile bootstrap over seeds. Blank when the regime averted no loneliness on average."
)
# The columns of comparison.csv, in order, around the stratum columns (see notes/CONTRACTS.md).
HEAD_COLUMNS = ("by", "level", "baseline")
VALUE_COLUMNS = ("metric", "n", "mean", "ci_low", "ci_high", "n_pairs", "diff_mean", "diff_ci_low",
                 "diff_ci_high", "p_value", "p_holm", "fixed_by_design", "verdict")
INTERACTION_COLUMNS = ("factor_a", "a_level", "a_baseline", "factor_b", "b_level", "b_baseline",
                       "metric", "n_pairs", "estimate", "ci_low", "ci_high", "p_value", "p_holm")


@dataclass(slots=True)
class CompareResult:
    table: pd.DataFrame
    cost: pd.DataFrame
    baseline: str
    csv: Path
    markdown: Path
    cost_csv: Path
    figures_dir: Path
    figures: list[Path] = field(default_factory=list)
    by: str = "regime"
    out_dir: Path | None = None
    interaction: pd.DataFrame | None = None
    interaction_csv: Path | None = None
    dose: pd.DataFrame | None = None
    dose_csv: Path | None = None


# --------------------------------------------------------------------------------------------
# Columns and levels
# --------------------------------------------------------------------------------------------


def key_columns(runs: pd.DataFrame) -> list[str]:
    """Columns that identify a row's conditions and seed (regime, other conditions, seeds)."""
    return condition_names(runs)


def varying_conditions(runs: pd.DataFrame) -> list[str]:
    """Condition columns (not the seeds) that take more than one value."""
    return [c for c in key_columns(runs)
            if c not in SEED_COLUMNS and runs[c].nunique(dropna=False) > 1]


def strata_columns(runs: pd.DataFrame, by: str = "regime", also: Sequence[str] = ()) -> list[str]:
    """Condition columns other than ``by`` (and ``also``) and the seeds that vary."""
    return [c for c in varying_conditions(runs) if c != by and c not in also]


def regime_order(regimes: Sequence[str]) -> list[str]:
    return _regime_order(regimes)


def is_numeric(values: Sequence[Any]) -> bool:
    s = pd.Series(list(values))
    return bool(len(s)) and pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def level_order(column: str, values: Sequence[Any]) -> list[Any]:
    """Display order of a factor's values: regimes in the registry's order, numbers by value,
    anything else alphabetically."""
    vals = list(dict.fromkeys(v for v in values if not (isinstance(v, float) and math.isnan(v))))
    if column == "regime":
        return regime_order(vals)
    if is_numeric(vals):
        return sorted(vals)
    return sorted(vals, key=str)


def default_baseline(regimes: Sequence[str], column: str = "regime") -> Any:
    order = level_order(column, regimes)
    for name in PREFERRED_BASELINE.get(column, ()):
        if name in order:
            return name
    return order[0]


def _match_level(text: Any, levels: Sequence[Any]) -> Any:
    """The level a command-line value names (``3`` names 3.0 of a numeric column)."""
    for v in levels:
        if v == text or str(v) == str(text):
            return v
    try:
        x = float(text)
    except (TypeError, ValueError):
        return None
    for v in levels:
        if isinstance(v, int | float | np.number) and float(v) == x:
            return v
    return None


def _as_level(value: Any, column: pd.Series) -> Any:
    """``value`` as the column's own value when it names one (else unchanged)."""
    found = _match_level(value, list(column.unique()))
    return value if found is None else found


def choose_factor(runs: pd.DataFrame, by: str | None, baseline: Any, what: str = "--by",
                  flag: str = "--baseline") -> tuple[str, Any, list[Any]]:
    """Check a factor and its baseline against the runs; return (column, baseline, levels).
    Without ``by``: the regime if it varies, else the first condition column that varies."""
    conditions = [c for c in key_columns(runs) if c not in SEED_COLUMNS]
    varying = varying_conditions(runs)
    if by is None:
        if not varying:
            desc = ", ".join(f"{c}={runs[c].iloc[0]}" for c in conditions if runs[c].iloc[0] not in ("", None))
            raise ValueError(f"only one condition in these results ({desc}): nothing to compare; "
                             f"sweep a setting with `resilience run -m`")
        by = "regime" if "regime" in varying else varying[0]
    if by not in conditions:
        raise ValueError(f"unknown {what} column '{by}'; condition columns of these results: "
                         f"{', '.join(conditions)}")
    levels = level_order(by, runs[by].dropna().unique())
    if len(levels) < 2:
        name = "regime" if by == "regime" else f"value of {by}"
        others = f"; columns that vary: {', '.join(varying)}" if varying else ""
        raise ValueError(f"only one {name} ({levels[0] if levels else 'none'}) in these results: "
                         f"nothing to compare it with{others}")
    if baseline is None:
        chosen = default_baseline(levels, by)
    else:
        chosen = _match_level(baseline, levels)
        if chosen is None:
            label = "baseline regime" if by == "regime" else f"{flag} {by}"
            raise ValueError(f"{label} '{baseline}' is not in these results; choose from: "
                             f"{', '.join(str(v) for v in levels)}")
    return by, chosen, levels


def _fill_keys(runs: pd.DataFrame, cols: Sequence[str]) -> pd.DataFrame:
    """Missing condition values become "" so they group and match (numeric columns stay numbers)."""
    out = runs.copy()
    for c in cols:
        if out[c].isna().any():
            out[c] = out[c].astype(object).where(out[c].notna(), "")
    return out


def completed(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] == "completed"] if "status" in runs else runs


def _strata(runs: pd.DataFrame, strata: Sequence[str]):
    """Yield (stratum values, rows) in display order (numbers by value)."""
    if not strata:
        yield {}, runs
        return
    groups = {k if isinstance(k, tuple) else (k,): part
              for k, part in runs.groupby(list(strata), sort=False, dropna=False)}
    keys = list(groups)
    for i in reversed(range(len(strata))):
        order = level_order(strata[i], [k[i] for k in keys])
        keys.sort(key=lambda k, i=i, order=order: order.index(k[i]) if k[i] in order else len(order))
    for key in keys:
        part = groups[key]
        yield dict(zip(strata, key, strict=True)), part


def runs_fingerprint(runs: pd.DataFrame) -> str:
    """Identifies the replicates a comparison was made from (jobs, seeds, statuses, outcomes)."""
    cols = [c for c in ("job", "replicate", "seed", "status") if c in runs.columns]
    data = runs[cols].astype(str).agg("|".join, axis=1).sort_values().str.cat(sep="\n") if cols else ""
    return hashlib.sha256(data.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def paired_table(runs: pd.DataFrame, metric: str, level: Any, baseline: Any, match: Sequence[str],
                 by: str = "regime") -> pd.DataFrame:
    """Matched pairs (level, baseline) of one metric, joined on the match columns."""
    a = runs.loc[runs[by] == level, [*match, metric]]
    b = runs.loc[runs[by] == baseline, [*match, metric]]
    return a.merge(b, on=list(match), suffixes=("", "_baseline"), validate="one_to_one")


def verdict(metric: str, row: dict[str, Any], alpha: float = st.ALPHA) -> str:
    """'better', 'worse' or '' for a level against the baseline (Holm-adjusted p when present)."""
    p = row.get("p_holm", row.get("p_value", math.nan))
    return st.verdict(DIRECTION.get(metric), row.get("diff_ci_low", math.nan),
                      row.get("diff_ci_high", math.nan), p if p is not None else math.nan,
                      fixed=bool(row.get("fixed_by_design", False)), diff=row.get("diff_mean", math.nan),
                      alpha=alpha)


def summarise(runs: pd.DataFrame, metrics: Sequence[str], baseline: Any, by: str = "regime") -> pd.DataFrame:
    """Per stratum, level of ``by`` and metric: mean [95% CI, within the metric's range], and the
    paired difference to the baseline level; Holm's adjustment over the levels of one metric in one
    stratum. Columns as in :data:`HEAD_COLUMNS`, the strata, then :data:`VALUE_COLUMNS`."""
    ok = completed(runs)
    keys = key_columns(ok)
    strata = strata_columns(ok, by)
    match = [c for c in keys if c != by]
    ok = _fill_keys(ok, keys)
    baseline = _as_level(baseline, ok[by])
    rows = []
    for stratum, part in _strata(ok, strata):
        levels = level_order(by, part[by].unique())
        if by != "regime" and not is_numeric(levels) and baseline in levels:  # baseline first
            levels = [baseline, *(v for v in levels if v != baseline)]
        has_base = baseline in set(part[by])
        for metric in metrics:
            family = []
            for level in levels:
                vals = part.loc[part[by] == level, metric]
                m, lo, hi = mean_ci(vals, bounds=st.value_range(metric))
                row = {"by": by, "level": level, "baseline": baseline, **stratum, "metric": metric,
                       "n": int(vals.notna().sum()), "mean": m, "ci_low": lo, "ci_high": hi}
                if level != baseline and has_base:
                    pairs = paired_table(part, metric, level, baseline, match, by)
                    d = pairs[metric].to_numpy(float) - pairs[f"{metric}_baseline"].to_numpy(float)
                    row.update(paired_difference(d))
                else:
                    row.update({"n_pairs": 0, "diff_mean": math.nan, "diff_ci_low": math.nan,
                                "diff_ci_high": math.nan, "p_value": math.nan, "fixed_by_design": False})
                family.append(row)
            for row, ph in zip(family, st.holm([r["p_value"] for r in family]), strict=True):
                row["p_holm"] = float(ph)
                row["verdict"] = verdict(metric, row)
            rows += family
    cols = [*HEAD_COLUMNS, *strata, *VALUE_COLUMNS]
    table = pd.DataFrame(rows, columns=cols)
    table["fixed_by_design"] = table["fixed_by_design"].astype(bool)
    return table


def interactions(runs: pd.DataFrame, metrics: Sequence[str], factor_a: str, a_baseline: Any,
                 factor_b: str, b_baseline: Any) -> pd.DataFrame:
    """Two-factor contrasts on matched seeds: for every level a1 of A and b1 of B (other than the
    baselines a0, b0), the mean over seeds of (a1b1 - a0b1) - (a1b0 - a0b0) with a bootstrap CI,
    Wilcoxon p-value and Holm's adjustment over the (a1, b1) contrasts of one metric in one stratum
    (p-values are blank when the differences have no spread: fixed by design)."""
    ok = completed(runs)
    keys = key_columns(ok)
    strata = strata_columns(ok, factor_a, also=(factor_b,))
    match = [c for c in keys if c not in (factor_a, factor_b)]
    ok = _fill_keys(ok, keys)
    a_baseline, b_baseline = _as_level(a_baseline, ok[factor_a]), _as_level(b_baseline, ok[factor_b])
    rows = []
    for stratum, part in _strata(ok, strata):
        a_levels = [a for a in level_order(factor_a, part[factor_a].unique()) if a != a_baseline]
        b_levels = [b for b in level_order(factor_b, part[factor_b].unique()) if b != b_baseline]
        for metric in metrics:
            cells = {}
            for (a, b), cell in part.groupby([factor_a, factor_b], sort=False):
                cells[(a, b)] = cell[[*match, metric]].rename(columns={metric: f"{a}\x00{b}"})
            family = []
            for a1 in a_levels:
                for b1 in b_levels:
                    need = [(a1, b1), (a_baseline, b1), (a1, b_baseline), (a_baseline, b_baseline)]
                    if not all(k in cells for k in need):
                        continue
                    merged = cells[need[0]]
                    for k in need[1:]:
                        merged = merged.merge(cells[k], on=match, validate="one_to_one")
                    cols = [merged[f"{a}\x00{b}"].to_numpy(float) for a, b in need]
                    res = st.interaction(*cols)
                    family.append({**stratum, "factor_a": factor_a, "a_level": a1, "a_baseline": a_baseline,
                                   "factor_b": factor_b, "b_level": b1, "b_baseline": b_baseline,
                                   "metric": metric, **{k: res[k] for k in ("n_pairs", "estimate", "ci_low",
                                                                           "ci_high", "p_value")}})
            for row, ph in zip(family, st.holm([r["p_value"] for r in family]), strict=True):
                row["p_holm"] = float(ph)
            rows += family
    return pd.DataFrame(rows, columns=[*strata, *INTERACTION_COLUMNS])


def cost_effectiveness(runs: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Cost per lonely-person-year averted against `none` on the same seeds (see COST_FOOTNOTE),
    per regime (``level``) in every stratum of the other conditions that vary."""
    need = {"spend_total", "lonely_person_years", "regime"}
    if not need <= set(runs.columns) or "none" not in set(runs["regime"]):
        return pd.DataFrame()
    ok = completed(runs)
    keys = key_columns(ok)
    strata = strata_columns(ok, "regime")
    match = [c for c in keys if c != "regime"]
    ok = _fill_keys(ok, keys)
    rows = []
    for stratum, part in _strata(ok, strata):
        for regime in regime_order(part["regime"].unique()):
            if regime == "none":
                continue
            cols = [*match, "spend_total", "lonely_person_years"]
            a = part.loc[part["regime"] == regime, cols]
            b = part.loc[part["regime"] == "none", cols]
            pairs = a.merge(b, on=match, suffixes=("", "_none"), validate="one_to_one").dropna(
                subset=["spend_total", "lonely_person_years", "spend_total_none",
                        "lonely_person_years_none"])
            spend = pairs["spend_total"].to_numpy(float) - pairs["spend_total_none"].to_numpy(float)
            averted = (pairs["lonely_person_years_none"].to_numpy(float)
                       - pairs["lonely_person_years"].to_numpy(float))
            row = {**stratum, "level": regime, "n_pairs": len(pairs),
                   "spend_over_horizon": float(spend.mean()) if len(pairs) else math.nan,
                   "lonely_person_years_averted": float(averted.mean()) if len(pairs) else math.nan,
                   "cost_per_lonely_person_year_averted": math.nan, "ci_low": math.nan,
                   "ci_high": math.nan}
            if len(pairs) and averted.mean() > 0 and spend.mean() > 0:  # (nothing spent: no cost to state)
                row["cost_per_lonely_person_year_averted"] = float(spend.sum() / averted.sum())
                if len(pairs) >= 2:
                    row["ci_low"], row["ci_high"] = st.bootstrap_ratio_ci(spend, averted, confidence)
            rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if x is None or not isinstance(x, int | float) or not math.isfinite(x):
        return "inf" if isinstance(x, float) and x == math.inf else ""
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}" if x != 0 else "0"


def _interval(m: float, lo: float, hi: float) -> str:
    text = _fmt(m)
    if math.isfinite(lo) and (math.isfinite(hi) or hi == math.inf):
        text += f" [{_fmt(lo)}, {_fmt(hi)}]"
    return text


def _p(p: float) -> str:
    if not isinstance(p, float) or not math.isfinite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def markdown(table: pd.DataFrame, cost: pd.DataFrame, baseline: str, source: str) -> str:
    """The comparison as Markdown for people: written by ``experiments.tables``."""
    from experiments.tables import markdown as _markdown

    return _markdown(table, cost, baseline, source)


def interaction_markdown(inter: pd.DataFrame) -> str:
    """The interaction contrasts as a short markdown section (appended to comparison.md)."""
    if inter.empty:
        return ""
    r0 = inter.iloc[0]
    a, b, a0, b0 = r0["factor_a"], r0["factor_b"], r0["a_baseline"], r0["b_baseline"]
    strata = [c for c in inter.columns if c not in INTERACTION_COLUMNS]
    lines = ["", f"## Interaction of {a} and {b}", "",
             f"Per seed, ({a} level - {a0}) under the {b} level minus ({a} level - {a0}) under {b} "
             f"`{b0}`: how much more the {a} contrast is at that {b}. Bootstrap 95% CIs over seeds; "
             f"p (Holm) adjusted over the contrasts of one outcome in one stratum.", "",
             "| " + " | ".join([*strata, "Outcome", a, b, "Pairs", "Interaction [95% CI]", "p",
                                "p (Holm)"]) + " |",
             "|" + "---|" * (len(strata) + 7)]
    for r in inter.to_dict("records"):
        lines.append("| " + " | ".join([*(str(r[c]) for c in strata), r["metric"], str(r["a_level"]),
                                        str(r["b_level"]), str(r["n_pairs"]),
                                        _interval(r["estimate"], r["ci_low"], r["ci_high"]),
                                        "fixed" if r["n_pairs"] >= 2 and r["ci_low"] == r["ci_high"]
                                        else _p(r["p_value"]), _p(r["p_holm"])]) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def _analysis(by: str, baseline: Any, metrics: Sequence[str], interaction: str | None,
              interaction_baseline: Any, figures: bool) -> dict[str, Any]:
    return {"by": by, "baseline": str(baseline), "metrics": list(metrics),
            "interaction": interaction, "interaction_baseline": None if interaction_baseline is None
            else str(interaction_baseline), "figures": figures}


def _check_out(out: Path, analysis: dict[str, Any]) -> None:
    """Refuse a folder that holds a different analysis (or something that is not an analysis)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder; choose another with --out")
    recorded = None
    try:
        recorded = json.loads((out / ANALYSIS_FILE).read_text())
    except (OSError, ValueError):
        legacy = (out / "comparison.csv").exists()  # written before analysis.json was: replaced
        if any(out.iterdir()) and not legacy:
            raise ValueError(f"{out} already holds files that are not a comparison; choose another "
                             f"folder with --out") from None
        return
    mine = {k: analysis.get(k) for k in ("by", "baseline", "metrics", "interaction", "interaction_baseline")}
    theirs = {k: recorded.get(k) for k in mine}
    if mine != theirs:
        said = " ".join(f"--{k.replace('_', '-')} {v if not isinstance(v, list) else ' '.join(v)}"
                        for k, v in theirs.items() if v not in (None, []))
        raise ValueError(f"{out} holds another analysis ({said}); choose another folder with --out")


def _replace_dir(tmp: Path, out: Path) -> None:
    """Put a finished output folder in place of the old one (two renames; never a mixture)."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def compare(
    path: Path,
    baseline: Any = None,
    metrics: Sequence[str] | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    figures: bool = True,
    by: str | None = None,
    interaction: str | None = None,
    interaction_baseline: Any = None,
    out: Path | None = None,
) -> CompareResult:
    """Write ``comparison.csv|parquet``, ``comparison.md``, ``cost_effectiveness.csv``,
    ``interaction.csv`` (with ``interaction``), ``dose_response.csv`` (numeric settings with three or
    more values) and figures for the sweep (or single run) at ``path`` into ``out`` (default
    ``path/compare``), replacing that folder as a whole. Bad input raises ValueError with one line."""
    from experiments import dose

    path = Path(path)
    tables = tables if tables is not None else load(path)
    runs = tables["runs"]
    if runs.empty or "status" in runs and not (runs["status"] == "completed").any():
        failed = int(len(runs))
        raise ValueError(f"no successful replicate to compare in {path} ({failed} replicate row(s), "
                         f"none completed; see the status and error columns of runs.parquet)")
    ok = completed(runs)
    if "regime" not in ok.columns:
        raise ValueError(f"no condition columns in the results of {path}")
    metrics = list(metrics or [m for m in DEFAULT_METRICS if m in ok.columns])
    unknown = [m for m in metrics if m not in ok.columns]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; choose from: {', '.join(OUTCOME_NAMES)}")
    by, baseline, _ = choose_factor(ok, by, baseline)
    b_baseline = None
    if interaction is not None:
        if interaction == by:
            raise ValueError(f"--interaction {interaction} is the --by column; name another factor")
        interaction, b_baseline, _ = choose_factor(ok, interaction, interaction_baseline,
                                                   what="--interaction", flag="--interaction-baseline")
    out = Path(out) if out is not None else path / "compare"
    analysis = _analysis(by, baseline, metrics, interaction, b_baseline, figures)
    _check_out(out, analysis)

    table = summarise(runs, metrics, baseline, by)
    cost = cost_effectiveness(runs)
    inter = (interactions(runs, metrics, by, baseline, interaction, b_baseline)
             if interaction is not None else None)
    doses = dose.dose_columns(ok)
    dose_table = pd.concat([dose.dose_response(runs, metrics, c) for c in doses],
                           ignore_index=True) if doses else None

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        atomic_write_text(tmp / "comparison.csv", table.to_csv(index=False))
        atomic_write_parquet(tmp / "comparison.parquet", table)
        atomic_write_text(tmp / "cost_effectiveness.csv", cost.to_csv(index=False))
        text = markdown(table, cost, baseline, path.name)
        if inter is not None:
            atomic_write_text(tmp / "interaction.csv", inter.to_csv(index=False))
            text += interaction_markdown(inter)
        if dose_table is not None:
            atomic_write_text(tmp / "dose_response.csv", dose_table.to_csv(index=False))
        atomic_write_text(tmp / "comparison.md", text)
        made: list[Path] = []
        if figures:
            if doses:  # a numeric setting is a curve, not one set of per-value figures
                made = dose.dose_figures(dose_table, tmp / "figures")
            else:
                from experiments.figures import all_figures
                from experiments.tables import normalise

                made = all_figures(tables, tmp / "figures", metrics=metrics, comparison=normalise(table))
        analysis["runs"] = runs_fingerprint(runs)
        analysis["source"] = str(path.resolve())
        atomic_write_text(tmp / ANALYSIS_FILE, json.dumps(analysis, indent=2, default=str) + "\n")
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    made = [out / p.relative_to(tmp) for p in made]
    return CompareResult(
        table, cost, baseline, out / "comparison.csv", out / "comparison.md", out / "cost_effectiveness.csv",
        out / "figures", made, by=by, out_dir=out, interaction=inter,
        interaction_csv=out / "interaction.csv" if inter is not None else None,
        dose=dose_table, dose_csv=out / "dose_response.csv" if dose_table is not None else None)
