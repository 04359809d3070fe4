from __future__ import annotations

import pytest

from model import make_params
from model.model import CommunityModel


def small_params(regime: str = "status_quo", **overrides):
    """The small place with a short burn-in and horizon, for fast tests."""
    base = {"burn_in_years": 1, "horizon_years": 1}
    base.update(overrides)
    return make_params("small", regime, overrides=base)


@pytest.fixture
def small_model():
    """A small model at week 0 (after a one-year burn-in)."""
    m = CommunityModel(small_params(), seed=3)
    m.burn_in()
    return m
