"""The figure style, the figures and the reader tables: known answers on synthetic data."""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from experiments import figures, style, tables
from model.regimes import all_regimes

# --------------------------------------------------------------------------------------------
# Kaplan-Meier with delayed entry
# --------------------------------------------------------------------------------------------


def test_product_limit_without_truncation_is_kaplan_meier():
    # times 1, 2+, 3, 4 (2 censored): S(1) = 3/4, S(3) = 3/4 * 1/2, S(4) = 0
    km = figures.product_limit([1.0, 2.0, 3.0, 4.0], [True, False, True, True])
    assert km.evaluate([0.5, 1.0, 2.5, 3.0, 4.0]) == pytest.approx([1.0, 0.75, 0.75, 0.375, 0.0])


def test_product_limit_with_left_truncation_hand_computed():
    # (entry, exit, event): A (0, 2, closed), B (0, 5, open), C (3, 4, closed), D (1, 6, closed),
    # E (4.5, 7, open).
    # t=2: at risk A, B, D (C and E not yet entered) -> S = 1 - 1/3 = 2/3
    # t=4: at risk B, C, D (E enters after 4.5)      -> S = 2/3 * (1 - 1/3) = 4/9
    # t=6: at risk D, E (B left at 5)               -> S = 4/9 * (1 - 1/2) = 2/9
    entry = [0, 0, 3, 1, 4.5]
    exit_ = [2, 5, 4, 6, 7]
    event = [True, False, True, True, False]
    km = figures.product_limit(exit_, event, entry)
    assert list(km.times) == [2, 4, 6]
    assert list(km.at_risk) == [3, 3, 2]
    assert km.evaluate([1, 2, 3.9, 4, 5.9, 6, 7]) == pytest.approx([1, 2 / 3, 2 / 3, 4 / 9, 4 / 9, 2 / 9, 2 / 9])
    # ignoring the delayed entry (everyone at risk from 0) gives a different, wrong answer
    naive = figures.product_limit(exit_, event)
    assert naive.evaluate([2])[0] == pytest.approx(4 / 5)


def test_survival_cohorts_split_by_founding_and_enter_at_the_study_start():
    g = pd.DataFrame({
        "regime": ["none"] * 4,
        "founded_week": [-100, -100, -100, 52],
        "duration_weeks": [50, 152, 300, 52],  # closed in burn-in; closed at week 52; open; new
        "closed": [True, True, False, True],
    })
    c = figures.survival_cohorts(g)
    assert list(c["existing"]["exit"]) == pytest.approx([1.0, 200 / 52])  # years from the study start
    assert list(c["existing"]["entry"]) == [0.0, 0.0]
    assert list(c["founded"]["exit"]) == pytest.approx([1.0])  # years from its founding


# --------------------------------------------------------------------------------------------
# Style
# --------------------------------------------------------------------------------------------


def test_every_regime_has_its_own_colour_and_a_second_cue():
    names = all_regimes()
    assert len(names) <= 10
    styles = [style.regime_style(n, names) for n in names]
    assert len({s["color"] for s in styles}) == len(names)
    assert len({(s["linestyle"], s["marker"]) for s in styles}) == len(names)
    # fixed: a regime keeps its colour whatever else is in the figure
    assert style.regime_style("grants", ["grants"])["color"] == style.regime_style("grants", names)["color"]
    assert all("_" not in s["label"] for s in styles)  # plain words, never code names


def test_units_of_outcomes():
    assert style.is_share("lonely_share") and not style.is_share("mean_close_ties")
    assert style.outcome_label("lonely_share") == "Lonely residents (%)"
    assert style.is_money("council_spend") and "£" in style.outcome_label("council_spend")
    assert style.diff_unit("lonely_share") == "percentage points"


def _runs(n: int = 6) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for regime, eff in (("none", 0.0), ("grants", -0.01), ("competitive_tender", 0.005)):
        for k in range(n):
            rows.append({"regime": regime, "replicate": k, "seed": 100 + k,
                         "lonely_share": 0.07 + eff + rng.normal(0, 0.004),
                         "mean_close_ties": 4 + rng.normal(0, 0.1),
                         "council_spend": 0.0 if regime == "none" else 12000.0})
    return pd.DataFrame(rows)


def test_constant_by_design_is_left_out_of_the_final_year_figure(tmp_path):
    runs = _runs()
    assert figures.constant_by_design(runs, "council_spend")
    assert not figures.constant_by_design(runs, "lonely_share")
    made = figures.final_year_figure(runs, ["lonely_share", "mean_close_ties", "council_spend"], tmp_path / "f")
    assert {p.suffix for p in made} == {".png", ".pdf"}
    from PIL import Image

    w, _ = Image.open(tmp_path / "f.png").size
    assert abs(w / style.DPI - style.WIDTH_DOUBLE) < 0.3  # printed at 7 in: text stays 8-9 pt


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="pdffonts (poppler-utils) is not installed")
def test_figure_pdfs_embed_truetype_not_type3(tmp_path):
    made = figures.final_year_figure(_runs(), ["lonely_share"], tmp_path / "f")
    pdf = next(p for p in made if p.suffix == ".pdf")
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows and all("Type 3" not in r for r in rows)
    assert all(r.split()[-5] == "yes" for r in rows)  # the "emb" column


def test_forest_plot_draws_each_contrast(tmp_path):
    t = tables.normalise(pd.DataFrame({
        "metric": ["lonely_share"] * 3, "regime": ["none", "grants", "competitive_tender"],
        "baseline": "none", "n": 6, "mean": [0.07, 0.06, 0.075], "ci_low": [0.06, 0.05, 0.07],
        "ci_high": [0.08, 0.07, 0.08], "n_pairs": [0, 6, 6], "diff_mean": [np.nan, -0.01, 0.005],
        "diff_ci_low": [np.nan, -0.012, 0.001], "diff_ci_high": [np.nan, -0.008, 0.009],
        "p_value": [np.nan, 0.01, 0.03], "verdict": ["", "better", "worse"]}))
    made = figures.forest_figure(t, tmp_path / "d")
    assert {p.name for p in made} == {"d.png", "d.pdf"}
    assert figures.forest_figure(t.iloc[:1], tmp_path / "e") == []  # nothing to contrast


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def test_holm_known_answer():
    # p = (0.01, 0.04, 0.03, NaN): sorted 0.01*3, 0.03*2, 0.04*1 -> 0.03, 0.06, 0.06 (monotone)
    out = tables.holm([0.01, 0.04, 0.03, math.nan])
    assert out[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(out[3])
    assert tables.holm([0.5, 0.9])[1] == 1.0  # capped at 1


def _old_layout() -> pd.DataFrame:
    return pd.DataFrame({
        "metric": ["lonely_share"] * 3 + ["council_spend"] * 3,
        "regime": ["none", "grants", "competitive_tender"] * 2, "baseline": "none", "n": 20,
        "mean": [0.0661, 0.0583, 0.0712, 0.0, 60000.0, 60000.0],
        "ci_low": [0.0651, 0.0570, 0.0701, 0.0, 60000.0, 60000.0],
        "ci_high": [0.0672, 0.0596, 0.0723, 0.0, 60000.0, 60000.0],
        "n_pairs": [0, 20, 20, 0, 20, 20],
        "diff_mean": [np.nan, -0.00783, 0.000512, np.nan, 60000.0, 60000.0],
        "diff_ci_low": [np.nan, -0.0091, -0.0003, np.nan, 60000.0, 60000.0],
        "diff_ci_high": [np.nan, -0.0066, 0.0013, np.nan, 60000.0, 60000.0],
        "p_value": [np.nan, 1.9e-06, 0.2, np.nan, 1e-6, 1e-6],
        "verdict": ["", "better", "", "", "", ""]})


def test_normalise_adds_the_contract_columns():
    t = tables.normalise(_old_layout())
    assert {"by", "level", "p_holm", "fixed_by_design"} <= set(t.columns)
    assert (t["by"] == "regime").all()
    lonely = t[t.metric == "lonely_share"].set_index("level")
    assert lonely.loc["grants", "p_holm"] == pytest.approx(2 * 1.9e-06)
    assert lonely.loc["competitive_tender", "p_holm"] == pytest.approx(0.2)
    spend = t[t.metric == "council_spend"]
    assert spend["fixed_by_design"].sum() == 2 and spend["p_holm"].isna().all()  # no test
    assert tables.fixed_metrics(t) == ["council_spend"]


def test_reader_table_formats_for_people():
    (heading, df), = tables.reader_tables(_old_layout())
    text = df.to_string()
    assert heading == ""
    assert "6.6% [6.5, 6.7]" in text  # shares in % with the CI's precision
    assert "\u22120.78 pp [\u22120.91, \u22120.66]" in text  # differences in percentage points
    assert "<0.001" in text and "e-0" not in text  # no scientific notation
    assert "Council spend" not in text  # fixed by design: its own table, no p-value
    fixed = tables.fixed_table(_old_layout()).to_string()
    assert "£60,000" in fixed
    assert "p (Holm)" in df.columns


def test_cis_respect_the_range_and_never_say_inf():
    assert tables.level_text("lonely_share", 0.002, -0.001, 0.005) == "0.2% [0.0, 0.5]"  # not below 0
    cost = pd.DataFrame({"regime": ["grants"], "n_pairs": [5], "spend_over_horizon": [50000.0],
                         "lonely_person_years_averted": [10.0], "cost_per_lonely_person_year_averted": [5000.0],
                         "ci_low": [2000.0], "ci_high": [math.inf]})
    text = tables.cost_table(cost).to_string()
    assert "inf" not in text and "no upper bound" in text and "£5,000" in text and "£50,000" in text


def test_markdown_and_html_render():
    md = tables.markdown(_old_layout(), pd.DataFrame(), "none", "sweep")
    assert "| Regime |" in md and "**Lonely residents (%): lower is better**" in md and "Holm" in md and "Fixed by design" in md
    html = tables.to_html(tables.reader_tables(_old_layout())[0][1], caption="T")
    assert html.startswith("<table>") and "<caption>T</caption>" in html


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("metrics", [("lonely_share", "chronic_lonely_share", "mean_close_ties", "close_ties_from_groups"),
                                     figures.TIMESERIES_METRICS])
def test_time_series_labels_stay_clear_of_each_other_and_of_the_panels(tmp_path, monkeypatch, metrics):
    """The report's 2 x 2 panels: a y label longer than its panel ran into the label below it and
    touched the panel to its left ("Close ties made at a group, per resident" over "Lonely for a
    year or more (%)", seen in the headline report)."""
    import matplotlib

    rng = np.random.default_rng(2)
    ts = pd.DataFrame([{"regime": r, "seed": s, "week": w, **{m: 0.05 + rng.normal(0, 0.01) for m in metrics}}
                       for r in ("none", "grants", "competitive_tender") for s in range(3) for w in range(0, 520, 4)])
    kept = []
    monkeypatch.setattr(style, "save", lambda fig, out: kept.append(fig) or [])
    figures.timeseries_figure(ts, tmp_path / "ts", metrics=metrics)
    (fig,) = kept
    with matplotlib.rc_context(style.RC):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_ylabel()]
        assert len(axes) == len(metrics)
        labels = [ax.yaxis.label.get_window_extent(renderer) for ax in axes]
        for i, (ax, lab) in enumerate(zip(axes, labels, strict=True)):
            assert lab.y0 >= ax.get_window_extent(renderer).y0 - 2 and lab.y1 <= ax.get_window_extent(renderer).y1 + 2, \
                f"the label of {metrics[i]} is taller than its panel"
            for j, other in enumerate(axes):
                if j != i:
                    assert not _overlap(lab, labels[j]), f"{metrics[i]}'s label runs into {metrics[j]}'s"
                    assert not _overlap(lab, other.get_window_extent(renderer)), f"{metrics[i]}'s label runs into a panel"


def test_a_regime_without_a_line_is_left_out_of_the_legend_and_its_band_unclaimed(tmp_path, monkeypatch):
    """No funding has no council spend, so no local share of it: the local-share figure listed it
    in its legend and said 'Shaded: No funding, 95% CI' over a band it never drew."""
    rng = np.random.default_rng(3)
    regimes = ("none", "grants", "competitive_tender", "partnership")
    ts = pd.DataFrame([{"regime": r, "seed": s, "week": w,
                        "local_funding_share": math.nan if r == "none" else rng.uniform(0.2, 1.0)}
                       for r in regimes for s in range(3) for w in range(0, 156, 4)])
    kept = []
    monkeypatch.setattr(style, "save", lambda fig, out: kept.append(fig) or [])
    figures.timeseries_figure(ts, tmp_path / "share", metrics=("local_funding_share",))
    figures.timeseries_figure(ts.fillna(0.5), tmp_path / "share", metrics=("local_funding_share",))
    (without, with_baseline) = kept
    for fig, listed, shaded in ((without, 3, False), (with_baseline, 4, True)):
        (legend,) = fig.legends
        names = [t.get_text() for t in legend.get_texts()]
        assert len(names) == listed and (style.regime_label("none") in names) == shaded
        assert legend.get_title().get_text().startswith("Shaded") == shaded


def test_comparing_funding_paths_draws_one_differences_figure_per_regime(tmp_path):
    """compare --by funding contrasts the paths within each regime: its figure drew every regime's
    contrast on one unlabelled row, saved as "differences_.png"."""
    rng = np.random.default_rng(4)
    runs = pd.DataFrame([{"regime": r, "funding": f, "seed": s, "replicate": s, "status": "completed",
                          "lonely_share": 0.07 + rng.normal(0, 0.003)}
                         for r in ("grants", "partnership") for f in ("austerity", "shock") for s in range(5)])
    comp = tables.normalise(pd.DataFrame([
        {"by": "funding", "level": f, "baseline": "austerity", "regime": r, "metric": "lonely_share", "n": 5,
         "mean": 0.07, "ci_low": 0.06, "ci_high": 0.08, "n_pairs": 0 if f == "austerity" else 5,
         "diff_mean": np.nan if f == "austerity" else d, "diff_ci_low": np.nan if f == "austerity" else d - 0.002,
         "diff_ci_high": np.nan if f == "austerity" else d + 0.002, "p_value": np.nan if f == "austerity" else 0.04,
         "verdict": ""}
        for r, d in (("grants", 0.002), ("partnership", -0.003)) for f in ("austerity", "shock")]))
    made = figures.all_figures({"runs": runs, "timeseries": pd.DataFrame(), "groups": pd.DataFrame()},
                               tmp_path, ["lonely_share"], comparison=comp)
    drawn = sorted(p.name for p in made if p.name.startswith("differences") and p.suffix == ".png")
    assert drawn == ["differences_regime-grants.png", "differences_regime-partnership.png"]
    # and the comparison's text gives each regime its own table, its rows named by funding path
    # (it listed "austerity" and "shock" once per regime in one table, the regimes unnamed)
    text = tables.markdown(comp, pd.DataFrame(), "austerity", "test")
    assert "## regime = grants" in text and "## regime = partnership" in text
    assert "| Funding | Runs |" in text and text.startswith("# Comparison of funding within each regime")
    assert [h for h, _ in tables.reader_tables(comp)] == ["regime = grants", "regime = partnership"]
