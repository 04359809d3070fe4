"""The outcomes every run records, with the direction in which each is better.

``OUTCOMES`` is the single list used by the recorder, the run summary, the statistics and the
figures. ``direction`` is ``"lower"`` when less is better (loneliness), ``"higher"`` when more is
better (ties, surviving groups), and ``None`` for descriptive quantities (spend, counts of events).
"""

from __future__ import annotations

from dataclasses import dataclass

from model.params import AGE_BANDS


@dataclass(frozen=True, slots=True)
class Outcome:
    name: str
    label: str  # plain words with units, for axis labels and tables
    direction: str | None


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("lonely_share", "Lonely residents (share)", "lower"),
    Outcome("mean_loneliness", "Mean loneliness (0-1 scale)", "lower"),
    Outcome("chronic_lonely_share", "Lonely for a year or more (share)", "lower"),
    Outcome("lonely_gap_neighbourhoods", "Gap in lonely share between neighbourhoods", "lower"),
    Outcome("mean_close_ties", "Close ties per resident", "higher"),
    Outcome("isolated_share", "Residents with no close tie (share)", "lower"),
    Outcome("clustering", "Clustering of close ties (transitivity)", "higher"),
    Outcome("bridging_share", "Ties bridging neighbourhoods (share)", "higher"),
    Outcome("largest_component_share", "Largest connected share of residents", "higher"),
    Outcome("volunteer_share", "Residents volunteering monthly (share)", "higher"),
    Outcome("volunteer_hours", "Volunteer hours per week", "higher"),
    Outcome("membership_share", "Residents in a group (share)", "higher"),
    Outcome("active_groups", "Active community groups", "higher"),
    Outcome("group_closures", "Group closures in the period", None),
    Outcome("group_foundings", "Group foundings in the period", None),
    Outcome("group_closure_rate", "Group closures per active group per year", "lower"),
    Outcome("group_founding_rate", "Group foundings per active group per year", "higher"),
    Outcome("kind_diversity", "Diversity of group kinds (Shannon index)", "higher"),
    Outcome("mean_group_trust", "Mean group trust (0-1)", "higher"),
    Outcome("collaboration_density", "Collaboration density between groups", "higher"),
    Outcome("total_reserves", "Reserves of local groups (GBP)", "higher"),
    Outcome("local_funding_share", "Share of council spend reaching local groups", "higher"),
    Outcome("council_spend", "Council spend (GBP per year)", None),
    Outcome("clients", "Residents receiving a service", None),
) + tuple(
    Outcome(f"lonely_share_{band}", f"Lonely share, age {band}", "lower") for band in AGE_BANDS
) + (
    Outcome("lonely_share_disabled", "Lonely share, disabled residents", "lower"),
    Outcome("lonely_share_not_disabled", "Lonely share, residents without disability", "lower"),
)

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
DIRECTION: dict[str, str | None] = {o.name: o.direction for o in OUTCOMES}
LABEL: dict[str, str] = {o.name: o.label for o in OUTCOMES}

# Outcomes that are counts of events within a recording period: the summary turns them into
# yearly totals rather than averages.
EVENT_COUNTS = ("group_closures", "group_foundings")
# Outcomes computed only for the run summary (from the final year's event counts), not per week.
SUMMARY_ONLY = ("group_closure_rate", "group_founding_rate")
