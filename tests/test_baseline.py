"""A fixed-seed baseline of summary numbers, stored in the repo.

Any change to the model's results shows up here; if it was intended, refresh the file with
`python scripts/refresh_baseline.py` and say why in the commit. Numbers are compared with a tight
relative tolerance (1e-9) to allow for floating-point differences across platforms only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from model import make_params, simulate

BASELINE = Path(__file__).parent / "baselines" / "small_status_quo_seed7.json"


def baseline_summary() -> dict[str, float]:
    p = make_params("small", "status_quo", overrides={"burn_in_years": 2, "horizon_years": 2})
    return simulate(p, seed=7).summary


def test_fixed_seed_baseline_unchanged():
    want = json.loads(BASELINE.read_text())
    got = baseline_summary()
    assert set(got) == set(want)
    moved = {k: (want[k], got[k]) for k in want
             if not (math.isclose(got[k], want[k], rel_tol=1e-9, abs_tol=1e-12)
                     or (math.isnan(got[k]) and math.isnan(want[k])))}
    assert not moved, f"baseline moved (refresh with scripts/refresh_baseline.py if intended): {moved}"
