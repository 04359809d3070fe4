"""Comparison tables for readers: Markdown and HTML for people, CSV for machines.

Input is the comparison table of ``experiments.compare`` (schema in notes/CONTRACTS.md: ``by``,
``level``, ``baseline``, stratum columns, ``metric``, ``n``, ``mean``, ``ci_low``, ``ci_high``,
``n_pairs``, ``diff_mean``, ``diff_ci_low``, ``diff_ci_high``, ``p_value``, ``p_holm``,
``fixed_by_design``, ``verdict``); ``normalise`` also accepts the older layout (``regime`` instead of
``level``, no ``p_holm`` / ``fixed_by_design``). Shares are shown in % and their differences in
percentage points, money in £ with thousands separators; CIs are clipped to each quantity's range
and never print "inf"; p-values are Holm-adjusted and stated as such; quantities fixed by design get
no test and go to a table of their own.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from experiments import style
from experiments.stats import holm
from model.regimes import regime_label, regime_order

ALPHA = 0.05
# Quantities the council sets (its spend follows the budget; where it goes follows the regime's
# rules): reported per regime in their own table, never tested or drawn as outcomes.
DESIGN_QUANTITIES = ("council_spend", "local_funding_share")
CORE = ("by", "level", "baseline", "metric", "n", "mean", "ci_low", "ci_high", "n_pairs", "diff_mean",
        "diff_ci_low", "diff_ci_high", "p_value", "p_holm", "fixed_by_design", "verdict")
COST_FOOTNOTE = (
    "Cost per lonely-person-year averted = extra council spend over the horizon under the regime, "
    "compared with No funding on the same seeds, divided by the lonely person-years it averted "
    "(lonely share averaged over the horizon x residents x years). 95% CI: paired percentile "
    "bootstrap over seeds. Blank when the regime averted no loneliness on average.")


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def strata_of(table: pd.DataFrame) -> list[str]:
    """The stratum columns of a comparison table: every column not in the schema's core. The
    regime is one when levels of something else are compared within each regime (``compare --by
    funding``: the table has both ``level`` and ``regime``); otherwise it is the level."""
    extra = {"verdict"} if {"level", "regime"} <= set(table.columns) else {"regime", "verdict"}
    return [c for c in table.columns if c not in CORE and c not in extra]


def factor_of(table: pd.DataFrame) -> str:
    """What the table's levels are: "regime", or the setting compared (``by``)."""
    by = table["by"].dropna().astype(str).unique() if "by" in table.columns else []
    return by[0] if len(by) == 1 else "regime"


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table in the CONTRACTS.md schema, from either layout: renames ``regime`` to
    ``level`` (``by`` = "regime"), marks rows whose paired differences have no spread as
    ``fixed_by_design`` (no test: p-values blanked) and Holm-adjusts p-values within each family
    (one metric's contrasts in one stratum) when ``p_holm`` is missing."""
    t = table.copy()
    if "level" not in t.columns and "regime" in t.columns:
        t = t.rename(columns={"regime": "level"})
    if "by" not in t.columns:
        t.insert(0, "by", "regime")
    for c in ("n_pairs", "diff_mean", "diff_ci_low", "diff_ci_high", "p_value"):
        if c not in t.columns:
            t[c] = np.nan
    if "fixed_by_design" not in t.columns:
        lo, hi = t["diff_ci_low"].to_numpy(float), t["diff_ci_high"].to_numpy(float)
        t["fixed_by_design"] = ((t["n_pairs"].fillna(0).to_numpy() >= 2) & np.isfinite(lo)
                                & np.isclose(lo, hi, rtol=1e-9, atol=1e-12))
    t["fixed_by_design"] = t["fixed_by_design"].fillna(False).astype(bool)
    t.loc[t["fixed_by_design"], "p_value"] = np.nan
    if "p_holm" not in t.columns:
        t["p_holm"] = np.nan
        keys = [*strata_of(t), "by", "metric"]
        for _, idx in t.groupby(keys, dropna=False, sort=False).groups.items():
            t.loc[idx, "p_holm"] = holm(t.loc[idx, "p_value"].to_numpy(float))
    t.loc[t["fixed_by_design"], "p_holm"] = np.nan
    if "verdict" not in t.columns:
        t["verdict"] = ""
    t["verdict"] = t["verdict"].fillna("")
    return t


def fixed_metrics(table: pd.DataFrame) -> list[str]:
    """Metrics fixed by design: the council's own quantities (DESIGN_QUANTITIES), or every contrast
    that has pairs is fixed, or no regime's replicates vary (zero-width CI of the mean)."""
    out = []
    for metric, rows in table.groupby("metric", sort=False):
        if metric in DESIGN_QUANTITIES:
            out.append(metric)
            continue
        paired = rows[rows["n_pairs"].fillna(0) > 0]
        if len(paired) and paired["fixed_by_design"].all():
            out.append(metric)
        elif rows["ci_low"].notna().any() and np.allclose(rows["ci_low"].dropna(), rows["ci_high"].dropna(),
                                                          rtol=1e-9, atol=1e-12):
            out.append(metric)
    return out


# --------------------------------------------------------------------------------------------
# Numbers for readers
# --------------------------------------------------------------------------------------------


def _finite(*xs: float) -> bool:
    return all(isinstance(x, int | float | np.floating) and math.isfinite(x) for x in xs)


def decimals_for(spread: float, digits: int = 1, lo: int = 0, hi: int = 3) -> int:
    """Decimal places that show an interval's half width to ``digits`` significant digits."""
    if not _finite(spread) or spread <= 0:
        return min(max(1, lo), hi)
    return int(min(hi, max(lo, digits - 1 - math.floor(math.log10(spread)))))


def _median_half(metric: str, lo: pd.Series, hi: pd.Series) -> float:
    half = ((hi.astype(float) - lo.astype(float)) / 2 * style.scale(metric)).to_numpy()
    half = half[np.isfinite(half) & (half > 0)]
    return float(np.median(half)) if half.size else math.nan


def _clip(metric: str, lo: float, hi: float) -> tuple[float, float]:
    """A CI within the quantity's range: shares in [0, 1]; counts, amounts and rates not below 0."""
    if style.is_share(metric):
        return (max(lo, 0.0) if _finite(lo) else lo), (min(hi, 1.0) if _finite(hi) else hi)
    return (max(lo, 0.0) if _finite(lo) else lo), hi


def _num(metric: str, x: float, d: int, sign: bool = False) -> str:
    if not _finite(x):
        return ""
    if style.is_money(metric):
        text = style.money(x, 0)
        return ("+" + text) if sign and x > 0 else text
    v = x * style.scale(metric)
    text = f"{v:+,.{d}f}" if sign else f"{v:,.{d}f}"
    if text.lstrip("+-") == f"{0:.{d}f}":  # no "-0.0"
        text = f"{0:.{d}f}"
    return text.replace("-", "\u2212")


def level_text(metric: str, m: float, lo: float, hi: float, d: int | None = None) -> str:
    """A mean with its 95% CI in the outcome's unit: '6.6% [6.3, 6.9]', '£12,345 [...]'."""
    if not _finite(m):
        return ""
    lo, hi = _clip(metric, lo, hi)
    if d is None:
        half = (hi - lo) / 2 * style.scale(metric) if _finite(lo, hi) else abs(m * style.scale(metric)) / 10
        d = decimals_for(half)
    unit = "%" if style.is_share(metric) else ""
    text = _num(metric, m, d) + unit
    if _finite(lo, hi) and not math.isclose(lo, hi, rel_tol=1e-9, abs_tol=1e-12):
        text += f" [{_num(metric, lo, d)}, {_num(metric, hi, d)}]"
    return text


def diff_text(metric: str, d_mean: float, lo: float, hi: float, d: int | None = None) -> str:
    """A paired difference with its 95% CI: '−0.81 pp [−1.02, −0.60]' for shares."""
    if not _finite(d_mean):
        return ""
    if d is None:
        half = (hi - lo) / 2 * style.scale(metric) if _finite(lo, hi) else abs(d_mean * style.scale(metric))
        d = decimals_for(half, digits=2)
    unit = " pp" if style.is_share(metric) else ""
    text = _num(metric, d_mean, d, sign=True) + unit
    if _finite(lo, hi) and not math.isclose(lo, hi, rel_tol=1e-9, abs_tol=1e-12):
        text += f" [{_num(metric, lo, d, sign=True)}, {_num(metric, hi, d, sign=True)}]"
    return text


def p_text(p: float) -> str:
    if not _finite(p):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


# --------------------------------------------------------------------------------------------
# Tables as data frames of text
# --------------------------------------------------------------------------------------------


def reader_tables(table: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(stratum heading, table of text) per stratum: one row per outcome and regime, outcomes
    fixed by design left out (see ``fixed_table``)."""
    t = normalise(table)
    fixed = set(fixed_metrics(t))
    cols = strata_of(t)
    factor = factor_of(t)
    first = "Regime" if factor == "regime" else factor.replace("_", " ").capitalize()
    groups = t.groupby(cols, sort=True, dropna=False) if cols else [((), t)]
    out = []
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        heading = ", ".join(f"{c} = {v}" for c, v in zip(cols, key, strict=True))
        rows = []
        baseline = str(part["baseline"].iloc[0])
        for metric, mrows in part.groupby("metric", sort=False):
            if metric in fixed:
                continue
            order = {lv: i for i, lv in enumerate(regime_order(mrows["level"].astype(str)))}
            mrows = mrows.assign(_o=mrows["level"].astype(str).map(order)).sort_values("_o")
            # one precision per outcome: levels to 1 significant digit of the typical CI half width,
            # differences (what is tested) to 2
            dl = decimals_for(_median_half(metric, mrows["ci_low"], mrows["ci_high"]))
            dd = decimals_for(_median_half(metric, mrows["diff_ci_low"], mrows["diff_ci_high"]), digits=2)
            diff_col = f"Difference vs {regime_label(baseline)} [95% CI]"
            rows.append({first: f"{style.outcome_label(metric)}: {style.direction_text(metric)}",
                         "Runs": "", "Mean [95% CI]": "", diff_col: "", "p (Holm)": "", "Verdict": ""})
            for r in mrows.itertuples():
                is_base = str(r.level) == baseline
                rows.append({
                    first: regime_label(r.level),
                    "Runs": int(r.n) if _finite(r.n) else "",
                    "Mean [95% CI]": level_text(metric, r.mean, r.ci_low, r.ci_high, dl),
                    diff_col:
                        "(baseline)" if is_base else diff_text(metric, r.diff_mean, r.diff_ci_low,
                                                               r.diff_ci_high, dd),
                    "p (Holm)": "" if is_base else p_text(r.p_holm),
                    "Verdict": r.verdict if not is_base else "",
                })
        out.append((heading, pd.DataFrame(rows)))
    return out


def fixed_table(table: pd.DataFrame) -> pd.DataFrame:
    """Quantities fixed by design (no test): their value per regime (and stratum)."""
    t = normalise(table)
    fixed = fixed_metrics(t)
    cols = strata_of(t)
    rows = []
    part = t[t["metric"].isin(fixed)]
    for metric in dict.fromkeys(part["metric"]):
        rows.append({**{c: "" for c in cols}, "Regime": style.outcome_label(metric), "Value": ""})
        for r in part[part["metric"] == metric].to_dict("records"):
            if _finite(r["mean"]):
                rows.append({**{c: r[c] for c in cols}, "Regime": regime_label(r["level"]),
                             "Value": level_text(metric, r["mean"], r["ci_low"], r["ci_high"], d=0)})
    return pd.DataFrame(rows)


def cost_table(cost: pd.DataFrame) -> pd.DataFrame:
    """Cost per lonely-person-year averted for readers: £ with separators; an unbounded upper limit
    says so instead of "inf"."""
    if cost is None or cost.empty:
        return pd.DataFrame()
    c = cost.rename(columns={"regime": "level"})
    cols = [k for k in c.columns if k not in {"level", "n_pairs", "spend_over_horizon",
                                              "lonely_person_years_averted",
                                              "cost_per_lonely_person_year_averted", "ci_low", "ci_high"}]
    rows = []
    for r in c.to_dict("records"):
        v, lo, hi = r["cost_per_lonely_person_year_averted"], r["ci_low"], r["ci_high"]
        if not _finite(v):
            per = ""
        elif _finite(lo, hi):
            per = f"{style.money(v)} [{style.money(lo)}, {style.money(hi)}]"
        elif _finite(lo):
            per = f"{style.money(v)} [{style.money(lo)}, no upper bound]"
        else:
            per = style.money(v)
        averted = r["lonely_person_years_averted"]
        rows.append({**{k: r[k] for k in cols}, "Regime": regime_label(r["level"]), "Pairs": r["n_pairs"],
                     "Extra spend over the horizon": style.money(r["spend_over_horizon"])
                     if _finite(r["spend_over_horizon"]) else "",
                     "Lonely person-years averted": f"{averted:,.1f}".replace("-", "\u2212")
                     if _finite(averted) else "",
                     "£ per lonely-person-year averted [95% CI]": per})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Renderers
# --------------------------------------------------------------------------------------------


def is_section(row: Sequence) -> bool:
    """A heading row inside a table (an outcome's name above its regimes): only its first cell."""
    return len(row) > 1 and str(row[0]) != "" and all(str(v) == "" for v in row[1:])


def to_markdown(df: pd.DataFrame) -> str:
    if df.empty:
        return ""
    cols = list(df.columns)
    right = [c in ("Runs", "Pairs", "p (Holm)") for c in cols]
    lines = ["| " + " | ".join(str(c) for c in cols) + " |",
             "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    for row in df.itertuples(index=False):
        cells = [str(v).replace("|", "\\|") for v in row]
        if is_section(row):
            cells[0] = f"**{cells[0]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_html(df: pd.DataFrame, caption: str = "") -> str:
    if df.empty:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        f'<tr><th colspan="{len(df.columns)}" class="section">{html.escape(str(row[0]))}</th></tr>'
        if is_section(row) else
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


METHOD_NOTE = (
    "Final-year means with 95% confidence intervals of the mean (t). Differences are paired on "
    "matched seeds against the baseline (regime minus baseline) with bootstrap 95% CIs; p-values are "
    "Wilcoxon signed-rank tests, Holm-adjusted within each outcome's family of contrasts. Shares are "
    "in %, their differences in percentage points (pp). Quantities fixed by design are not tested.")


def markdown(table: pd.DataFrame, cost: pd.DataFrame, baseline: str, source: str) -> str:
    """The comparison as Markdown for people (``compare/comparison.md``)."""
    factor = factor_of(normalise(table))
    what = "regimes" if factor == "regime" else f"{factor.replace('_', ' ')} within each regime"
    lines = [f"# Comparison of {what}: {source}", "",
             f"Baseline: {regime_label(baseline)} (`{baseline}`). {METHOD_NOTE}", ""]
    for heading, df in reader_tables(table):
        if heading:
            lines += [f"## {heading}", ""]
        lines += [to_markdown(df), ""]
    fixed = fixed_table(table)
    if not fixed.empty:
        lines += ["## Fixed by design (not tested)", "", to_markdown(fixed), ""]
    ct = cost_table(cost)
    if not ct.empty:
        lines += ["## Cost per lonely-person-year averted (against No funding, same seeds)", "",
                  to_markdown(ct), "", f"Note: {COST_FOOTNOTE}", ""]
    return "\n".join(lines)
