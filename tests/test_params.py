"""Parameter validation: bad input fails before the run with one line naming the field."""

from __future__ import annotations

import math

import pytest

from model import ConfigError, Params, make_params, params_from_dict, simulate
from model.params import (
    SIGNED,
    UNIT_INTERVAL,
    WEEKS_PER_YEAR,
    numeric_fields,
    upper_bound,
    weekly_hazard,
    weekly_prob,
)


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"council.no_such_field": 1}, "unknown parameter 'council.no_such_field'"),
        ({"no_such_group": 1}, "unknown parameter 'no_such_group'"),
        ({"council.budget_per_resident_per_year": -1}, "council.budget_per_resident_per_year must be non-negative"),
        ({"place.n_residents": -10}, "place.n_residents must be in [50, 10000000]"),
        ({"regime.name": "bogus"}, "regime.name 'bogus' is not one of"),
        ({"regime.name": "mixture", "regime.weights": {"grants": 0.5, "partnership": 0.4}},
         "regime.weights must sum to 1"),
        ({"regime.name": "mixture", "regime.weights": {"grants": 0.5, "magic": 0.5}},
         "unknown instrument 'magic'"),
        ({"funding.path": "boom"}, "funding.path 'boom' is not one of"),
        ({"regime.grants.rule": "lottery"}, "regime.grants.rule 'lottery' is not one of"),
        ({"place.n_residents": "many"}, "place.n_residents must be of type int"),
        ({"horizon_years": -1}, "horizon_years must be positive"),
        ({"record_every_weeks": 5}, "record_every_weeks must divide 52"),  # (a year's last record ends the budget year)
        ({"ties.drop_below": 0}, "ties.drop_below must be in (0, 1)"),
        ({"ties.decay": 1.0}, "ties.decay must be in [0, 1)"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(overrides, needle):
    with pytest.raises(ConfigError) as err:
        make_params("small", overrides=overrides)
    msg = str(err.value)
    assert needle in msg
    assert "\n" not in msg


def test_unknown_place_lists_choices():
    with pytest.raises(ConfigError, match="unknown place 'village'; allowed: small, town, city"):
        make_params("village")


def test_simulate_rejects_bad_mapping_before_running():
    with pytest.raises(ConfigError, match="unknown parameter 'ties.speed'"):
        simulate({"ties": {"speed": 2}}, seed=0)


def test_dotted_and_nested_overrides_agree():
    a = make_params("small", "grants", overrides={"regime.grants.rule": "core", "council.officer_capacity": 9})
    b = make_params("small", "grants", overrides={"regime": {"grants": {"rule": "core"}},
                                                  "council": {"officer_capacity": 9}})
    assert a.to_dict() == b.to_dict()
    assert a.regime.grants.rule == "core" and a.council.officer_capacity == 9
    # untouched siblings keep their defaults
    assert a.regime.grants.max_grant == Params().regime.grants.max_grant


def test_group_kind_override_merges_with_default_kind():
    p = params_from_dict({"groups": {"kinds": {"club": {"running_cost_per_year": 999}}}})
    assert p.groups.kinds["club"].running_cost_per_year == 999
    assert p.groups.kinds["club"].share == Params().groups.kinds["club"].share
    with pytest.raises(ConfigError, match="unknown group kind"):
        params_from_dict({"groups": {"kinds": {"choir": {"share": 1}}}})


def test_slots_catch_attribute_typos():
    p = Params()
    with pytest.raises(AttributeError):
        p.council.budget_per_resident = 5  # type: ignore[attr-defined]


def test_yearly_rates_convert_to_weekly_in_one_place():
    # a weekly probability compounded over a year gives back the yearly probability
    for p_year in (0.01, 0.2, 0.9):
        assert math.isclose(1 - (1 - weekly_prob(p_year)) ** WEEKS_PER_YEAR, p_year, rel_tol=1e-9)
    assert weekly_prob(0) == 0 and weekly_prob(1) == 1
    assert math.isclose(weekly_hazard(52.0), 1 - math.exp(-1))


def test_named_mixture_weights():
    p = make_params(regime="status_quo")
    w = p.regime.instrument_weights()
    assert set(w) == {"grants", "competitive_tender"} and math.isclose(sum(w.values()), 1.0)


NUMERIC = list(numeric_fields(Params()))


def _with(default, x):
    """``x`` in the shape of ``default``: in the first slot of a tuple (the others kept)."""
    return [x, *default[1:]] if isinstance(default, tuple) else x


def test_the_range_checks_see_every_kind_of_number():
    dotted = {d for d, _, _ in NUMERIC}
    # top level, nested, doubly nested, per group kind, and tuples by age band
    assert {"horizon_years", "ties.bridging_share", "regime.partnership.detection_prob",
            "groups.kinds.faith.share", "residents.age_shares"} <= dotted
    names = {leaf for _, leaf, _ in NUMERIC}
    assert UNIT_INTERVAL <= names and SIGNED <= names  # no stale names in the rule lists


@pytest.mark.parametrize(("dotted", "leaf", "default"), NUMERIC, ids=[d for d, _, _ in NUMERIC])
def test_every_number_is_range_checked(dotted, leaf, default):
    """A negative or non-finite value of any number fails with one line naming it; a probability or
    share above 1 fails too. (Some fields have a stricter check of their own, also naming them.)"""
    bad = [math.nan, math.inf] + ([] if leaf in SIGNED else [-1])
    if leaf in UNIT_INTERVAL or leaf.endswith(("_share", "_prob")):
        bad.append(1.5)
    else:  # every other number has an upper bound the model can honour (model.params.UPPER)
        top = upper_bound(dotted, leaf)
        assert 0 < top <= 1e9
        bad += [top * 2 + 1, 2**70, 1e300]
        if leaf in SIGNED:
            bad += [-top * 2 - 1, -1e300]
    for x in bad:
        with pytest.raises(ConfigError) as err:
            make_params("small", overrides={dotted: _with(default, x)})
        msg = str(err.value)
        assert dotted in msg and "\n" not in msg, (x, msg)
    make_params("small", overrides={dotted: default})  # the default itself is fine


def test_probabilities_per_year_of_exactly_one_are_allowed_and_moves_plus_deaths_at_most_one():
    make_params("small", overrides={"residents.volunteer_join_per_year": 1.0, "ties.bridging_share": 1.0})
    with pytest.raises(ConfigError, match="move_per_year_by_age \\+ death_per_year_by_age must be at most 1"):
        make_params("small", overrides={"residents.move_per_year_by_age": [0.9, 0.1, 0.1, 0.1, 0.1, 0.1],
                                        "residents.death_per_year_by_age": [0.2, 0, 0, 0, 0, 0]})


@pytest.mark.parametrize("dotted", ["ties.bridging_share", "ties.strengthen", "ties.contact_prob",
                                    "residents.volunteer_quit_per_year", "groups.trust_initial",
                                    "regime.partnership.detection_prob", "funding.shock_size"])
def test_known_probabilities_and_shares_above_one_fail(dotted):
    """Spot checks that do not rely on the rule lists: these are probabilities or fractions."""
    with pytest.raises(ConfigError, match=f"{dotted} must be in \\[0, 1\\]"):
        make_params("small", overrides={dotted: 1.5})


@pytest.mark.parametrize(("overrides", "needle"), [
    ({"council.budget_per_resident_per_year": 1e300}, "council.budget_per_resident_per_year must be in [0, 1000]"),
    ({"horizon_years": 1e9}, "horizon_years must be positive and at most 1000"),
    ({"burn_in_years": 1e9}, "burn_in_years must be in [0, 1000]"),
    ({"place.n_residents": 10**12}, "place.n_residents must be in [50, 10000000]"),
    ({"place.n_residents": 10**7, "place.n_neighbourhoods": 10**6}, "place.n_neighbourhoods must be in [0, 10000]"),
    ({"place.n_neighbourhoods": 60}, "place.n_neighbourhoods must be at most place.n_residents (50)"),
    ({"groups.min_reserves": -1e12}, "groups.min_reserves must be in [-1000000000, 1000000000]"),
    ({"regime.partnership.referrals_per_link_worker_per_year": 1e6},
     "regime.partnership.referrals_per_link_worker_per_year must be in [0, 5200]"),
])
def test_upper_bounds_name_the_field_and_the_range(overrides, needle):
    with pytest.raises(ConfigError) as err:
        make_params(overrides={"place.n_residents": 50, **overrides})
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_the_largest_allowed_values_are_accepted():
    make_params(overrides={"place.n_residents": 10_000_000, "horizon_years": 1000, "burn_in_years": 1000,
                           "council.budget_per_resident_per_year": 1000, "groups.min_reserves": -1e9})
