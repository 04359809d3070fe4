"""Calibration check: the status_quo regime on town, stable funding, 10 seeds.

Runs the default configuration (burn-in, then the default horizon) for seeds 0-9, and writes the
measured mean and spread of each calibration target into docs/validation.md between the markers
``<!-- measured:start -->`` and ``<!-- measured:end -->``. Run explicitly:

    python scripts/validate.py [--seeds 10] [--jobs 2]

It is not part of the test suite (it takes minutes); tests/test_calibration.py checks a cheaper
version of the same targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from model import make_params, simulate

TARGETS = [
    # name, low, high, source
    ("lonely_share", 0.05, 0.09, "CLS 2024/25: 6.6% often/always lonely; 5-7% over a decade"),
    ("volunteer_share", 0.12, 0.20, "CLS 2023/24: 16% formal volunteering at least monthly"),
    ("mean_close_ties", 2.5, 4.5, "UK 2021 close friends: 41% two-three, 21% four-five"),
    ("isolated_share", 0.05, 0.12, "UK 2021: 7% no close friend"),
    ("group_closure_rate", 0.03, 0.10, "register removals ~2.5-3.5%/yr; small groups close more"),
    ("group_founding_rate", 0.03, 0.10, "foundings roughly balance closures"),
    ("horizon_closure_rate", 0.03, 0.10, "as above, averaged over the 10 recorded years"),
    ("horizon_founding_rate", 0.03, 0.10, "as above, averaged over the 10 recorded years"),
]
GRADIENTS = [
    ("lonely_share_16-24", "lonely_share_65-74", "CLS: 9% at 16-24 vs 4% at 65-74"),
    ("lonely_share_disabled", "lonely_share_not_disabled", "CLS: 14% disabled vs 3% not"),
]


def one(seed: int) -> dict[str, float]:
    res = simulate(make_params("town", "status_quo", "stable"), seed=seed)
    out = dict(res.summary)
    # closures and foundings averaged over the whole horizon: a town closes only one or two groups
    # a year, so the final year alone is noisy
    ts, years = res.timeseries, res.params.horizon_years
    out["horizon_closure_rate"] = ts["group_closures"].sum() / years / ts["active_groups"].mean()
    out["horizon_founding_rate"] = ts["group_foundings"].sum() / years / ts["active_groups"].mean()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "validation.md"))
    a = ap.parse_args()
    t0 = time.time()
    with ProcessPoolExecutor(a.jobs) as ex:
        rows = list(ex.map(one, range(a.seeds)))
    lines = [f"Measured {time.strftime('%Y-%m-%d')}: `python scripts/validate.py --seeds {a.seeds}` "
             f"(town, status_quo, stable funding; burn-in then the default horizon; final-year means; "
             f"{time.time() - t0:.0f} s wall).", "",
             "| target | range | source | mean | sd | min-max over seeds | in range |",
             "|---|---|---|---|---|---|---|"]
    ok_all = True
    for name, lo, hi, src in TARGETS:
        v = np.array([r[name] for r in rows])
        ok = lo <= v.mean() <= hi
        ok_all &= ok
        lines.append(f"| `{name}` | {lo:g}-{hi:g} | {src} | {v.mean():.3f} | {v.std(ddof=1):.3f} | "
                     f"{v.min():.3f}-{v.max():.3f} | {'yes' if ok else '**no**'} |")
    for hi_name, lo_name, src in GRADIENTS:
        a_, b_ = np.array([r[hi_name] for r in rows]), np.array([r[lo_name] for r in rows])
        ok = a_.mean() > b_.mean()
        ok_all &= ok
        lines.append(f"| `{hi_name}` > `{lo_name}` | higher | {src} | {a_.mean():.3f} vs {b_.mean():.3f} | "
                     f"{a_.std(ddof=1):.3f} / {b_.std(ddof=1):.3f} | seeds higher: {(a_ > b_).sum()}/{len(a_)} | "
                     f"{'yes' if ok else '**no**'} |")
    extra = ["", "Other final-year outcomes (mean over seeds, not targets):", ""]
    for name in ("chronic_lonely_share", "membership_share", "clustering", "active_groups",
                 "local_funding_share", "council_spend"):
        v = np.array([r[name] for r in rows])
        extra.append(f"- `{name}`: {np.nanmean(v):.4g} (sd {np.nanstd(v, ddof=1):.3g})")
    text = "\n".join(lines + extra)
    print(text)
    out = Path(a.out)
    if out.exists():
        doc = out.read_text()
        s, e = "<!-- measured:start -->", "<!-- measured:end -->"
        if s in doc and e in doc:
            doc = doc[: doc.index(s) + len(s)] + "\n" + text + "\n" + doc[doc.index(e):]
            tmp = out.with_suffix(".tmp")
            tmp.write_text(doc)
            tmp.replace(out)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
