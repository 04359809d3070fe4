"""The outcomes every run records, declared once (in the manner of the EMA Workbench's outcomes).

Each :class:`Outcome` says what it is (``name``, plain ``label``, ``unit``), which way is better
(``direction``: ``"lower"`` when less is better, ``"higher"`` when more is better, ``None`` for
descriptive quantities such as spend and counts of events), where it is computed (``source``), and
how it is reduced:

- over a year of records (``year``): ``"mean"`` for a state (the share lonely, reserves), ``"total"``
  for events counted in each recording period (closures, foundings: a yearly total), ``"rate"`` for
  a yearly total per unit of another outcome (``per``), computed at the end, not recorded;
  ``"last"`` for a quantity already recorded over the past 52 weeks (council spend and the share of
  it reaching local groups): its final record, the final budget year's;
- over a run (``run``): the run's summary takes the final year (``"final_year"``); the horizon
  totals (:data:`RUN_OUTCOMES`) take the mean over the whole horizon times its length.

``source`` is ``"measure"`` (computed from the residents, ties and groups at each record:
model/phases/record.py, ``measure``), ``"ledger"`` (money: from the council's spend ledger, the one
record of every payment) or ``"summary"`` (derived from other outcomes when the run is summarised).

The recorder (``CommunityModel.measure``/``timeseries``), the run summary (:func:`summarise`) and
the horizon totals (:func:`run_totals`, used by the experiment runner) all read these declarations;
``OUTCOMES``, ``OUTCOME_NAMES``, ``DIRECTION`` and ``LABEL`` are for every other part (statistics,
figures, validation, the workshop). Adding an outcome: declare it here and compute it in
``measure`` (or in the ledger); the time series, summary, tables and labels follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from model.params import AGE_BANDS, WEEKS_PER_YEAR


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    label: str  # plain words with units, for axis labels and tables
    direction: str | None  # "lower" / "higher" is better, None: descriptive
    unit: str = "share"  # share (0-1), count, GBP, hours, index
    year: str = "mean"  # how a year of records reduces: "mean", "total", "rate" or "last" (see above)
    per: str | None = None  # for a rate: the outcome it is per (its final-year mean, at least 1)
    of: str | None = None  # for a rate: the yearly total it divides
    source: str = "measure"  # "measure", "ledger" or "summary"
    run: str = "final_year"  # how a run reduces it to its summary

    @property
    def recorded(self) -> bool:
        """Recorded at every record (a column of the time series), not derived at the end."""
        return self.source != "summary"


def _share(name: str, label: str, direction: str | None) -> Outcome:
    return Outcome(name, label, direction, unit="share")


OUTCOMES: tuple[Outcome, ...] = (
    _share("lonely_share", "Lonely residents (share)", "lower"),
    Outcome("mean_loneliness", "Mean loneliness (0-1 scale)", "lower", unit="index"),
    _share("chronic_lonely_share", "Lonely for a year or more (share)", "lower"),
    _share("lonely_gap_neighbourhoods", "Gap in lonely share between neighbourhoods", "lower"),
    Outcome("mean_close_ties", "Close ties per resident", "higher", unit="count"),
    _share("isolated_share", "Residents with no close tie (share)", "lower"),
    Outcome("close_ties_from_groups", "Close ties made at a group, per resident", "higher", unit="count"),
    Outcome("clustering", "Clustering of close ties (transitivity)", "higher", unit="index"),
    _share("bridging_share", "Ties bridging neighbourhoods (share)", "higher"),
    _share("largest_component_share", "Largest connected share of residents", "higher"),
    _share("volunteer_share", "Residents volunteering monthly (share)", "higher"),
    Outcome("volunteer_hours", "Volunteer hours per week", "higher", unit="hours"),
    _share("membership_share", "Residents in a group (share)", "higher"),
    Outcome("active_groups", "Active community groups", "higher", unit="count"),
    Outcome("group_closures", "Group closures in the period", None, unit="count", year="total"),
    Outcome("group_foundings", "Group foundings in the period", None, unit="count", year="total"),
    Outcome("group_closure_rate", "Group closures per active group per year", "lower", unit="count",
            year="rate", of="group_closures", per="active_groups", source="summary"),
    Outcome("group_founding_rate", "Group foundings per active group per year", "higher", unit="count",
            year="rate", of="group_foundings", per="active_groups", source="summary"),
    Outcome("kind_diversity", "Diversity of group kinds (Shannon index)", "higher", unit="index"),
    Outcome("mean_group_trust", "Mean group trust (0-1)", "higher", unit="index"),
    Outcome("collaboration_density", "Collaboration density between groups", "higher", unit="index"),
    Outcome("total_reserves", "Reserves of local groups (GBP)", "higher", unit="GBP"),
    # (both from the final budget year's ledger; up to model version 14 council spend, and up to
    # version 15 the local share, was the final year's mean of the rolling 52-week records, which
    # straddle two budget years: under payment by outcomes, whose payments bunch, one seed of the
    # headline read GBP 80k against a GBP 60k budget)
    Outcome("local_funding_share", "Share of council spend reaching local groups", "higher", source="ledger",
            year="last"),
    Outcome("council_spend", "Council spend (GBP per year)", None, unit="GBP", source="ledger", year="last"),
    Outcome("clients", "Residents receiving a service", None, unit="count"),
) + tuple(
    _share(f"lonely_share_{band}", f"Lonely share, age {band}", "lower") for band in AGE_BANDS
) + (
    _share("lonely_share_disabled", "Lonely share, disabled residents", "lower"),
    _share("lonely_share_not_disabled", "Lonely share, residents without disability", "lower"),
)

BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}
OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
RECORDED: tuple[str, ...] = tuple(o.name for o in OUTCOMES if o.recorded)  # the time series' columns
DIRECTION: dict[str, str | None] = {o.name: o.direction for o in OUTCOMES}
LABEL: dict[str, str] = {o.name: o.label for o in OUTCOMES}

# Outcomes that are counts of events within a recording period (the summary turns them into yearly
# totals rather than averages), and outcomes computed only for the run summary.
EVENT_COUNTS: tuple[str, ...] = tuple(o.name for o in OUTCOMES if o.year == "total")
SUMMARY_ONLY: tuple[str, ...] = tuple(o.name for o in OUTCOMES if not o.recorded)


def final_year(ts: pd.DataFrame) -> pd.DataFrame:
    """The records of the final year of a time series."""
    return ts[ts["week"] >= ts["week"].max() - WEEKS_PER_YEAR + 1] if len(ts) else ts


def summarise(ts: pd.DataFrame, record_every_weeks: int) -> dict[str, float]:
    """A run's summary: each outcome reduced over the final year as declared (a state: its mean;
    events: the yearly total; a rate: the yearly total per the final-year mean of ``per``, at
    least 1)."""
    last = final_year(ts)
    out: dict[str, float] = {}
    for o in OUTCOMES:
        if not o.recorded:
            continue
        col = last[o.name]
        if not len(col):
            out[o.name] = float("nan")
        elif o.year == "last":
            out[o.name] = float(col.iloc[-1])
        else:
            out[o.name] = float(col.sum()) if o.year == "total" else float(col.mean())
    scale = WEEKS_PER_YEAR / max(1, len(last) * record_every_weeks)  # records of the year -> a year
    for o in OUTCOMES:
        if o.year == "total":
            out[o.name] *= scale
    for o in OUTCOMES:
        if o.year == "rate":
            out[o.name] = out[o.of] / max(1.0, out[o.per])
    return out


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """A total over the whole horizon: from the ledger (``source="ledger"``: the sum of every payment
    from week 0 to the horizon, given to :func:`run_totals` by the caller), or the mean of a
    recorded outcome over every record times the horizon's years (and times the residents, for
    ``per_resident``)."""

    name: str
    label: str
    direction: str | None
    unit: str
    of: str
    per_resident: bool = False
    source: str = "measure"


RUN_OUTCOMES: tuple[RunOutcome, ...] = (
    # the ledger's sum over the horizon (model.phases.council: horizon_spend), not the mean of the
    # rolling 52-week council_spend times the years, which under-counts the first year
    RunOutcome("spend_total", "Council spend over the horizon (GBP)", None, "GBP", of="council_spend",
               source="ledger"),
    RunOutcome("lonely_person_years", "Lonely person-years over the horizon", "lower", "person-years",
               of="lonely_share", per_resident=True),
)


def run_totals(ts: pd.DataFrame, n_residents: int, years: float,
               ledger: dict[str, float] | None = None) -> dict[str, float]:
    """The horizon totals (:data:`RUN_OUTCOMES`) of one run: from its time series, and for the
    ledger's totals from ``ledger`` (name -> total, e.g. ``{"spend_total": Result.spend_total}``;
    NaN when not given)."""
    out: dict[str, float] = {}
    for o in RUN_OUTCOMES:
        if o.source == "ledger":
            out[o.name] = float((ledger or {}).get(o.name, math.nan))
            continue
        mean = float(ts[o.of].mean()) if o.of in ts.columns and not ts.empty else math.nan
        out[o.name] = mean * n_residents * years if o.per_resident else mean * years
    return out


def outcome(name: str) -> Outcome:
    """The declaration of an outcome; a clear error for an unknown name."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no outcome named '{name}'; known: {', '.join(OUTCOME_NAMES)}") from None

