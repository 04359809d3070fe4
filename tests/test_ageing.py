"""Ageing and illness (issue 15, item 7): residents move up the age bands at the bands' rates,
limiting illness ends as well as starts, and the age structure and disability prevalence stay at
their stationary values. Each test fails with its mechanism switched off (``residents.ageing``
False; recovery 0), as checked when they were written."""

from __future__ import annotations

import numpy as np
import pytest

from model.model import CommunityModel
from model.params import AGE_BAND_YEARS, AGE_BANDS
from tests.conftest import small_params


def bare(seed: int = 1, place_n: int | None = None, **ov) -> CommunityModel:
    ov.setdefault("burn_in_years", 0)
    if place_n:
        ov["place.n_residents"] = place_n
    return CommunityModel(small_params("none", **ov), seed=seed)


def test_band_widths_follow_the_labels():
    assert AGE_BAND_YEARS == (9, 10, 15, 15, 10) and len(AGE_BAND_YEARS) == len(AGE_BANDS) - 1


@pytest.mark.parametrize("ageing", [True, False])
def test_residents_move_up_the_bands_at_their_rate(ageing):
    """Nobody leaves; over a year a resident of band k moves up with probability 1 - exp(-1/w_k).
    The count of movers is within 4 binomial standard deviations of that (and is 0 without ageing)."""
    zero = [0.0] * 6
    m = bare(place_n=20_000, **{"residents.move_per_year_by_age": zero, "residents.death_per_year_by_age": zero,
                                "residents.ageing": ageing})
    age0 = m.res.age.copy()
    for _ in range(52):
        m._phase_turnover()
    moved = m.res.age != age0
    assert np.all(m.res.age >= age0)  # upwards only (rarely two bands in a year)
    p = np.r_[1 - np.exp(-1 / np.asarray(AGE_BAND_YEARS, float)), 0.0][age0]
    expect, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    if ageing:
        assert abs(moved.sum() - expect) < 4 * sd, (moved.sum(), expect)
    else:
        assert moved.sum() == 0


@pytest.mark.parametrize("recovery", [0.3, 0.0])
def test_limiting_illness_ends_at_the_recovery_rate(recovery):
    """Without onset, the disabled share of a band falls as (1 - r) a year; within 4 sd."""
    m = bare(place_n=20_000, **{"residents.illness_onset_per_year_by_age": [0.0] * 6,
                                "residents.illness_recovery_per_year_by_age": [recovery] * 6})
    dis0 = m.res.disabled.copy()
    for _ in range(52):
        m._phase_life_events()
    assert not (m.res.disabled & ~dis0).any()  # no onset
    still = m.res.disabled[dis0].mean()
    sd = np.sqrt(recovery * (1 - recovery) / dis0.sum())
    assert abs(still - (1 - recovery)) < 4 * sd + 1e-12, still


def stationary_run(seed: int, **ov) -> tuple[np.ndarray, np.ndarray, float]:
    """Only ageing, illness and turnover for 15 years on 20,000 residents (the slow processes; the
    other phases do not touch age or disability): age shares and disabled share by band at the end."""
    m = bare(seed=seed, place_n=20_000, **ov)
    for _ in range(15 * 52):
        m._phase_life_events()
        m._phase_turnover()
        m._reset_week_scratch()
    nb = len(AGE_BANDS)
    size = np.bincount(m.res.age, minlength=nb)
    return size / m.res.n, np.bincount(m.res.age, weights=m.res.disabled, minlength=nb) / size, m.res.disabled.mean()


def test_age_structure_and_disability_stay_at_their_stationary_values():
    """After 15 years the age shares are within 1.5 points of residents.age_shares, each band's
    disabled share within 4 points of disability_by_age (Census 2021) and the overall share within
    1.5 points of its start. Without recovery (onset alone, as in model version <= 4) disability
    climbs more than 5 points."""
    p = small_params()
    shares, dis, overall = stationary_run(seed=2)
    target = np.asarray(p.residents.disability_by_age)
    start = float(np.dot(p.residents.age_shares, target))
    assert np.abs(shares - np.asarray(p.residents.age_shares)).max() < 0.015, shares
    assert np.abs(dis - target).max() < 0.04, dis
    assert abs(overall - start) < 0.015, (overall, start)
    _, _, no_recovery = stationary_run(seed=2, **{"residents.illness_recovery_per_year_by_age": [0.0] * 6})
    assert no_recovery - start > 0.05, no_recovery
