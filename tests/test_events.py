"""Events are records (model/events.py): kind, neighbourhood, actor, cause and fields."""

from __future__ import annotations

import pytest

from model import simulate
from model.events import KINDS, Event
from model.phases.finances import CLOSURE_CAUSES

from .conftest import small_params


def tender_run(n_bidders: int, years: int = 3):
    """A tender only outside providers can win (no local group is eligible), re-let every year."""
    return simulate(small_params("competitive_tender", horizon_years=years, **{
        "providers.n_bidders": n_bidders, "regime.tender.min_turnover_ratio": 1e6,
        "regime.tender.contract_years": 1}), seed=2)


def test_events_are_records_of_known_kinds_with_their_week():
    res = simulate(small_params("status_quo", horizon_years=3), seed=5)
    assert res.events
    for week, e in res.events:
        assert isinstance(e, Event) and e.kind in KINDS and e.week == week >= 0
        assert Event.from_json(str(e)) == e  # its text form reads back
        if e.kind == "group_closed":
            assert e.cause in CLOSURE_CAUSES and e.nbhd is not None and e.actor


def test_the_burn_in_arrangements_are_wound_up_silently():
    res = tender_run(n_bidders=1)
    first = [e for w, e in res.events if w == 0 and e.kind.startswith("contract")]
    assert [e.kind for e in first] == ["contract_awarded"]
    assert first[0].fields["retender"] is False and first[0].fields["same_provider"] is None


def test_a_retender_says_who_won_and_whether_it_was_the_same_provider():
    one = [e for _, e in tender_run(n_bidders=1).events if e.kind == "contract_awarded"]
    assert len(one) == 3 and all(e.fields["same_provider"] is True for e in one[1:])  # the only bidder
    assert all(e.actor == "outside_provider" and e.fields["provider"] == 0 for e in one)
    many = [e for _, e in tender_run(n_bidders=6, years=6).events if e.kind == "contract_awarded"]
    changed = [e.fields["same_provider"] for e in many[1:]]
    assert False in changed  # with six bidders the winner changes at least once in five re-tenders
    for prev, e in zip(many, many[1:], strict=False):
        assert e.fields["same_provider"] == (e.fields["provider"] == prev.fields["provider"])


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown event kind"):
        Event(0, "something")
