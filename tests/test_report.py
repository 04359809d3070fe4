"""`resilience report` on a tiny real sweep: both files, fonts, captions, provenance, plain words."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments import cli
from experiments.report import ReportError, build, limitations, model_description

REGIMES = "none,grants,competitive_tender"
TINY = ["place=small", "horizon_years=1", "burn_in_years=0", "replicates=2", "progress=false",
        "hydra/launcher=basic"]
SCRIPT = Path(sys.executable).parent / "resilience"
POPPLER = shutil.which("pdffonts") is not None and shutil.which("pdftotext") is not None


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> tuple[Path, str]:
    """A tiny sweep made by the command line, whose final lines also write the report."""
    root = tmp_path_factory.mktemp("sweep")
    cmd = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "experiments.cli"]
    env = {k: v for k, v in os.environ.items() if k != "RESILIENCE_DEBUG"}
    res = subprocess.run([*cmd, "run", "-m", f"regime={REGIMES}", *TINY, "hydra.sweep.dir=results/s"],
                         cwd=root, capture_output=True, text=True, timeout=500, env=env)
    assert res.returncode == 0, res.stderr
    return root / "results" / "s", res.stderr


def test_the_sweep_writes_the_report_and_says_where(sweep):
    path, stderr = sweep
    html, pdf = path / "report" / "report.html", path / "report" / "report.pdf"
    assert html.exists() and pdf.exists()
    assert str(pdf.relative_to(path.parent.parent)) in stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = html.read_text()
    assert 'src="data:image/png;base64,' in text and "<img src=\"figures" not in text  # self-contained


def test_report_content(sweep):
    path, _ = sweep
    html = (path / "report" / "report.html").read_text()
    # every figure has a numbered caption computed from the data
    n_img = html.count("<img ")
    assert n_img >= 4
    assert len(re.findall(r"<figcaption>Figure \d+: .{40,}?</figcaption>", html)) == n_img
    assert "replicates" in html and "Holm" in html
    # regimes in plain words with their description; the methods and the limitations are there
    assert "Competitive tender" in html and "A befriending service contract" in html
    assert "common random numbers" in html and "burn-in" in html
    assert limitations() and all(item[:40] in html for item in limitations())
    assert model_description()[:40] in html
    # provenance names the commit and every job's resolved config hash
    for job in sorted(p for p in path.iterdir() if p.name.isdigit()):
        meta = json.loads((job / "metadata.json").read_text())
        assert meta["config_sha256"] in html
        if meta["git"]["commit"]:
            assert meta["git"]["commit"] in html


def test_the_limitations_are_the_brief_ones_a_reader_can_take_in():
    """The report prints docs/validation.md's "Limitations in brief", not its full record of
    shortfalls (over 4,000 words, four PDF pages of version history, up to model version 16)."""
    items = limitations()
    assert 5 <= len(items) <= 15
    assert sum(len(item.split()) for item in items) < 800
    assert all(len(item.split()) < 120 for item in items), max(items, key=len)
    assert not any(re.search(r"\bversion \d+", item) for item in items)  # the record's history stays in the doc
    from experiments.report import limitations_version
    from model import MODEL_VERSION

    assert limitations_version() == str(MODEL_VERSION)  # the brief is measured on the model as it is


@pytest.mark.skipif(not POPPLER, reason="pdffonts/pdftotext (Debian's poppler-utils) are not installed")
def test_pdf_fonts_are_embedded_and_no_code_names(sweep):
    path, _ = sweep
    pdf = path / "report" / "report.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows
    assert not [r for r in rows if "Type 3" in r]
    assert all(r.split()[-5] == "yes" for r in rows), fonts  # the "emb" column
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "competitive_tender" not in text and "Competitive tender" in text
    assert "Figure 1" in text and "Table 1" in text
    assert "inf" not in re.findall(r"\binf\b", text)


def _main(args: list[str], capsys) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def test_bad_input_is_one_line_and_writes_nothing(sweep, tmp_path, capsys):
    path, _ = sweep
    out = tmp_path / "out"
    notsweep = tmp_path / "empty"
    notsweep.mkdir()
    one = tmp_path / "one"
    one.mkdir()
    shutil.copytree(path / "0", one / "0")  # a sweep with the baseline regime only
    cases = [
        ([str(notsweep)], "not a sweep folder"),
        ([str(one)], "one regime"),
        ([str(path), "--metrics", "happiness"], "unknown metric"),
        ([str(path), "--baseline", "partnership"], "baseline regime 'partnership'"),
    ]
    for args, message in cases:
        code, err = _main(["report", *args, "--out", str(out)], capsys)
        assert code == 2, (args, err)
        assert message in err and err.count("\n") == 1, err
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no temp left


def test_a_failed_render_leaves_the_old_report(sweep, tmp_path, monkeypatch):
    path, _ = sweep
    out = tmp_path / "r"
    shutil.copytree(path / "report", out)  # an older report
    before = (out / "report.pdf").read_bytes()

    def broken(*a, **k):
        raise ReportError("typst could not render the PDF: test")

    monkeypatch.setattr("experiments.report._compile_pdf", broken)
    for name in ("timeseries_figure", "final_year_figure", "survival_figure"):  # quick: no drawing
        monkeypatch.setattr(f"experiments.figures.{name}", lambda *a, **k: [])
    with pytest.raises(ReportError):
        build(path, out=out, title="new")
    assert (out / "report.pdf").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_the_summary_reads_each_stratum_on_its_own():
    """A sweep over funding paths listed every regime once per path in one sentence ('Grants, ...,
    Status quo, Grants, ... did not differ clearly') without saying which path was which."""
    from experiments.report import summary_text

    rows = []
    for funding, effect in (("austerity", -0.01), ("shock", 0.0)):
        for regime in ("none", "grants", "partnership", "competitive_tender"):
            d = 0.0 if regime == "none" else (effect if regime == "grants" else 0.0)
            rows.append({"by": "regime", "level": regime, "baseline": "none", "metric": "lonely_share",
                         "n": 10, "mean": 0.07 + d, "ci_low": 0.06, "ci_high": 0.08, "n_pairs": 10,
                         "diff_mean": d, "diff_ci_low": d - 0.002 if d else -0.002, "diff_ci_high": d + 0.002,
                         "p_value": 0.001 if d else 0.6, "p_holm": 0.003 if d else 0.9, "fixed_by_design": False,
                         "verdict": "better" if d else "", "funding": funding})
    nan_stratum = [{**r, "funding": None} for r in rows if r["funding"] == "shock"]
    assert "With funding = (not set):" in summary_text(pd.DataFrame(rows[:4] + nan_stratum), ["lonely_share"], 10)
    assert "in the final year," in summary_text(pd.DataFrame(rows), ["lonely_share"], "3 and 5")
    text = summary_text(pd.DataFrame(rows), ["lonely_share"], 10)
    austerity, shock = text.split("With funding = shock:")
    assert austerity.startswith("With funding = austerity:") and "Grants lowered it by 1.0 percentage points" in austerity
    assert "Partnership and Competitive tender did not differ clearly" in austerity
    assert "None of the 3 regimes differed clearly" in shock and "Grants" not in shock
    assert "2 of 6 regime-outcome contrasts" not in text and "1 of 6 regime-outcome contrasts" in text


def test_the_design_says_a_swept_setting_in_words():
    """A sweep over funding paths printed "funding path: ['austerity', 'shock']"."""
    from experiments.report import Sweep, _methods

    def job(funding: str, budget: float) -> dict:
        return {"replicates": 4, "config": {"place": {"name": "small", "n_residents": 2000, "n_neighbourhoods": 4},
                                            "funding": {"path": funding}, "horizon_years": 5, "burn_in_years": 8,
                                            "council": {"budget_per_resident_per_year": budget}}}

    sweep = Sweep(Path("."), {}, pd.DataFrame(), [job("austerity", 4.0), job("shock", 8.0)])
    text = " ".join(b.text for b in _methods(sweep, ["none", "grants"], "none") if b.text)
    assert "['" not in text and "[4" not in text, text
    assert "funding paths: austerity (a cut every year) and a one-off shock (a sudden cut)" in text
    assert "Council budget £4.00 and £8.00 per resident per year" in text
