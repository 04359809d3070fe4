"""The validation measures (scripts/validate.py) on toy data, and the targets file.

Each measure is checked on data with a known answer, and on data where the thing it measures is
absent, so a measure that always reports the target (or always reports nothing) fails here.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("validate", ROOT / "scripts" / "validate.py")
validate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(validate)


# -- the targets file -------------------------------------------------------------------------


def test_targets_file_parses_and_every_target_names_a_real_outcome_with_a_source():
    from model import OUTCOME_NAMES

    t = validate.load_targets()
    assert len(t["targets"]) >= 10 and len(t["patterns"]) >= 10
    for name, entry in t["targets"].items():
        assert entry["metric"] in OUTCOME_NAMES, name
    for name, entry in t["patterns"].items():
        assert entry["metric"] in validate.PATTERN_MEASURES, name
    for section in t.values():
        for name, entry in section.items():
            assert len(entry["source"]) > 20, name
            assert entry["low"] <= entry["high"], name
            if entry["value"] is not None:  # the observed value sits inside its own band
                assert entry["low"] <= entry["value"] <= entry["high"], name


def test_age_profile_is_each_band_within_two_points_of_cls():
    t = validate.load_targets()["targets"]
    cls = {"16-24": 0.09, "25-34": 0.08, "35-49": 0.07, "50-64": 0.05, "65-74": 0.04, "75+": 0.05}
    for band, v in cls.items():
        entry = next(e for e in t.values() if e["metric"] == f"lonely_share_{band}")
        assert entry["value"] == v
        assert math.isclose(entry["low"], v - 0.02) and math.isclose(entry["high"], v + 0.02)


@pytest.mark.parametrize("bad", [
    "targets:\n  x:\n    metric: no_such_outcome\n    value: 1\n    low: 0\n    high: 2\n    sd: 1\n    source: somewhere\n",
    "targets:\n  x:\n    metric: lonely_share\n    value: 1\n    low: 3\n    high: 2\n    sd: 1\n    source: somewhere\n",
    "targets:\n  x:\n    metric: lonely_share\n    value: 1\n    low: 0\n    high: 2\n    sd: 1\n    source: ''\n",
    "targets:\n  x:\n    metric: lonely_share\n    low: 0\n    high: 2\n",
    "targets: [1, 2\n",
])
def test_a_bad_targets_file_is_refused_in_one_line(tmp_path, bad):
    f = tmp_path / "t.yaml"
    f.write_text(bad)
    with pytest.raises(validate.InputError) as e:
        validate.load_targets(f)
    assert "\n" not in str(e.value)


def test_validate_refuses_bad_input_with_one_line(tmp_path, capsys):
    assert validate.main(["--seeds", "1", "--no-doc"]) == 2
    assert validate.main(["--place", "moon", "--no-doc"]) == 2
    assert validate.main(["--set", "residents.loneliness_fall", "--no-doc"]) == 2
    assert validate.main(["--set", "residents.loneliness_fall=lots", "--no-doc"]) == 2
    assert validate.main(["--set", "residents.no_such_thing=1", "--no-doc"]) == 2
    assert validate.main(["--set", "ties.group_meet_prob=2", "--no-doc"]) == 2
    f = tmp_path / "t.yaml"
    f.write_text("nothing: here\n")
    assert validate.main(["--targets", str(f), "--no-doc"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 7 and all(line.startswith("validate: ") for line in err)


# -- spells -------------------------------------------------------------------------------------


def test_wave_persistence_on_toy_waves():
    # four residents over three waves: always lonely; lonely then not then lonely; never; lonely
    # only at the last wave
    x = np.array([[1, 1, 0, 0],
                  [1, 0, 0, 0],
                  [1, 1, 0, 1]], dtype=bool)
    w = validate.wave_persistence(x)
    assert w["stable_high_share"] == 0.25 and w["stable_low_share"] == 0.25
    assert w["stable_high_of_lonely"] == 0.5  # two lonely at the first wave, one at every wave
    assert w["next_wave_lonely"] == pytest.approx(2 / 3)  # lonely at a wave: 2 then 1; next: 1 then 1
    assert w["wave_lonely_share"] == pytest.approx(6 / 12)
    assert math.isnan(validate.wave_persistence(np.zeros((3, 2), bool))["stable_high_of_lonely"])


def test_spells_on_a_toy_series():
    # one resident: a spell cut by the window's start (2), complete spells of 2 and 3, one cut by
    # the end (1)
    x = np.array([1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1], bool)[:, None]
    s = validate.spells(x)
    assert sorted(s["complete"].tolist()) == [2, 3]
    assert sorted(s["censored"].tolist()) == [1, 2]


def test_spells_break_when_a_new_resident_takes_the_slot():
    x = np.ones((6, 1), bool)
    x[0] = False
    reset = np.zeros((6, 1), bool)
    reset[3] = True  # a newcomer from t = 3: the first resident's spell (t = 1, 2) is cut
    s = validate.spells(x, reset)
    assert s["complete"].size == 0
    assert sorted(s["censored"].tolist()) == [2, 3]


def test_spell_lengths_recover_a_known_distribution():
    # a two-state chain: leaving loneliness with probability q a week gives geometric spells, mean 1/q
    rng = np.random.default_rng(3)
    T, N, q, p = 400, 300, 0.1, 0.02
    x = np.zeros((T, N), bool)
    for t in range(1, T):
        u = rng.random(N)
        x[t] = np.where(x[t - 1], u >= q, u < p)
    s = validate.spells(x)
    assert s["complete"].mean() == pytest.approx(1 / q, rel=0.1)


# -- Christakis-Fowler clustering ---------------------------------------------------------------


def _ring(n: int, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    i = np.concatenate([np.arange(n)] * k)
    j = np.concatenate([(np.arange(n) + s) % n for s in range(1, k + 1)])
    return i, j


def test_distance_matrices_on_a_path():
    i, j = np.arange(5), np.arange(1, 6)  # a path 0-1-2-3-4-5
    d1, d2, d3 = validate.distance_matrices(i, j, 6, 3)
    assert d1[0, 1] and not d1[0, 2]
    assert d2[0, 2] and not d2[0, 1] and not d2[0, 0]
    assert d3[0, 3] and d3[5, 2] and not d3[0, 2] and not d3[0, 4]


def test_cf_clustering_recovers_a_planted_association_and_fades_with_distance():
    rng = np.random.default_rng(1)
    n = 4000
    i, j = _ring(n)
    block = (np.arange(n) // 10) % 5 == 0  # lonely residents sit together
    lonely = np.where(rng.random(n) < 0.5, block, rng.random(n) < 0.2)
    cf = validate.cf_clustering(i, j, n, lonely, 3, 20, rng)
    assert cf[1]["excess"] > 0.3 and cf[1]["odds_ratio"] > 1.5
    assert cf[1]["excess"] > cf[2]["excess"] > cf[3]["excess"] > 0


def test_cf_clustering_is_about_one_on_an_independent_network():
    rng = np.random.default_rng(2)
    n = 6000
    i, j = _ring(n)
    lonely = rng.random(n) < 0.2
    cf = validate.cf_clustering(i, j, n, lonely, 3, 20, rng)
    for d in (1, 2, 3):
        assert abs(cf[d]["excess"]) < 0.1
        assert 0.85 < cf[d]["odds_ratio"] < 1.15


def test_permuting_within_strata_keeps_each_stratum_and_its_values():
    rng = np.random.default_rng(0)
    x = np.arange(100.0)
    strata = np.repeat([0, 1, 2, 3], 25)
    y = validate.permute_within(x, strata, rng)
    for s in range(4):
        assert sorted(y[strata == s]) == sorted(x[strata == s])
    assert not np.array_equal(x, y)


# -- services -----------------------------------------------------------------------------------


def test_smd_on_toy_data():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 20_000), rng.normal(-0.3, 1, 20_000)
    assert validate.smd(b, a) == pytest.approx(-0.3, abs=0.03)
    assert validate.smd(a, rng.normal(0, 1, 20_000)) == pytest.approx(0, abs=0.03)


def _toy_services(effect: float, seed: int = 0):
    """Residents at lasting levels of loneliness; at week 5 a service takes on mostly the loneliest
    (selection, as outreach does), whose loneliness then falls by ``effect``."""
    rng = np.random.default_rng(seed)
    T, N = 40, 4000
    level = 0.6 + 0.1 * rng.standard_normal(N)
    L = np.clip(level + 0.02 * rng.standard_normal((T, N)), 0, 1)
    client = np.zeros((T, N), np.int8)
    taken = rng.random(N) < np.where(level > 0.65, 0.5, 0.1)
    client[5:31, taken] = 1
    L[5:, taken] -= effect
    return L, client, np.zeros((T, N), bool), np.zeros((T, N), np.int32)


def test_matched_service_effect_finds_a_planted_effect_and_none_when_there_is_none():
    L, client, reset, strata = _toy_services(0.05)
    e = validate.matched_service_effect(L, client, reset, strata, 0.5)
    assert e["treated"].size > 200
    # unmatched, the loneliest-first selection would hide the effect: treated residents start higher
    taken, lonely = client[5] > 0, L[4] >= 0.5
    assert L[30, taken & lonely].mean() - L[30, ~taken & lonely].mean() > 0
    assert np.mean(e["baseline_treated"] - e["baseline_control"]) == pytest.approx(0, abs=0.005)
    assert np.mean(e["treated"] - e["control"]) == pytest.approx(-0.05, abs=0.01)
    L0, client0, reset0, strata0 = _toy_services(0.0)
    e0 = validate.matched_service_effect(L0, client0, reset0, strata0, 0.5)
    assert abs(validate.smd(e0["treated"], e0["control"])) < 0.1


# -- closure rates ------------------------------------------------------------------------------


def test_closure_rates_by_band():
    rows = [{"income": x, "closed": c} for x, c in [(1, True), (2, True), (3, False), (10, False), (12, True),
                                                    (15, False), (20, False)]]
    out = validate.closure_rates(rows, "income", [0, 5, math.inf])
    assert out[0][1:] == (3, 2, pytest.approx(2 / 3))
    assert out[1][1:] == (4, 1, 0.25)
