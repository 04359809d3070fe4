"""Statistical checks of the calibrated baseline, with stated tolerances.

docs/validation.md has the full check (10 seeds, 8-year burn-in, 10-year horizon). Here: town,
status quo, the default 8-year burn-in (the network needs it to settle) and a 1-year horizon,
2 seeds. Over 10 seeds of the full check the
seed-to-seed sd is under 1 point for the lonely and volunteering shares and under 0.05 for close
ties, so the bands below (the targets widened by about 3 points or 0.5 ties each side) allow for the
shorter run without admitting a broken mechanism: a model without the time budget sits at 25-50%
lonely, one with contact not meeting need at over 40%.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import make_params, simulate


@pytest.fixture(scope="module")
def town_runs():
    p = make_params("town", "status_quo", overrides={"horizon_years": 1})
    return [simulate(p, seed=s).summary for s in (101, 102)]


def mean(runs, key):
    return float(np.mean([r[key] for r in runs]))


@pytest.mark.parametrize(("key", "lo", "hi"), [
    ("lonely_share", 0.03, 0.12),
    ("volunteer_share", 0.09, 0.23),
    ("mean_close_ties", 2.0, 5.0),
    ("isolated_share", 0.03, 0.16),
])
def test_targets_within_tolerance(town_runs, key, lo, hi):
    assert lo <= mean(town_runs, key) <= hi


def test_gradients(town_runs):
    assert mean(town_runs, "lonely_share_16-24") > mean(town_runs, "lonely_share_65-74")
    assert mean(town_runs, "lonely_share_disabled") > 1.3 * mean(town_runs, "lonely_share_not_disabled")


def test_ecosystem_neither_collapses_nor_explodes(town_runs):
    # 60 groups at the start; after 9 years a living ecosystem keeps most of them
    assert 35 <= mean(town_runs, "active_groups") <= 85
