"""Typed model parameters.

Every parameter lives in a slotted dataclass, so a misspelt name is an error rather than a silently
ignored value. Rates are stated per year (field names end in ``_per_year``) and are converted to
per-week probabilities in exactly one place, :func:`weekly_prob`, called from
:class:`model.model.CommunityModel` when it builds its ``weekly`` rate table.

Each default has its source or its reasoning in the comment beside it. "DOMAIN" refers to the
empirical anchors in ``shared/DOMAIN.md``; "calibrated" means the value was chosen so that the
``status_quo`` baseline on ``town`` reproduces the targets in ``docs/validation.md`` and has no
direct empirical counterpart.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_type_hints

WEEKS_PER_YEAR = 52

AGE_BANDS = ("16-24", "25-34", "35-49", "50-64", "65-74", "75+")
# Width of each band in years (the last is open): a resident leaves band k for the next at
# 1 / AGE_BAND_YEARS[k] a year, as if ages were spread evenly within the band (definitional).
AGE_BAND_YEARS = tuple(int(b.split("-")[1]) - int(b.split("-")[0]) + 1 for b in AGE_BANDS[:-1])
GROUP_KINDS = ("club", "befriending", "faith", "goodgym", "volunteer_centre")


# Characters that end a line for str.splitlines (and terminals): escaped in messages, so a value
# quoted in a message can never break it over several lines.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


class ConfigError(ValueError):
    """A configuration problem, reported to users as one line."""

    def __init__(self, msg: object = "") -> None:
        super().__init__(str(msg).translate(_LINE_BREAKS))


def weekly_prob(p_per_year: float) -> float:
    """Convert a yearly event probability into the weekly probability with the same yearly total."""
    if p_per_year <= 0.0:
        return 0.0
    if p_per_year >= 1.0:
        return 1.0
    return 1.0 - (1.0 - p_per_year) ** (1.0 / WEEKS_PER_YEAR)


def weekly_hazard(events_per_year: float) -> float:
    """Weekly probability of at least one event for a Poisson process with the given yearly rate."""
    return 1.0 - math.exp(-max(0.0, events_per_year) / WEEKS_PER_YEAR)


def weekly_rate(rate_per_year: float) -> float:
    """Convert a yearly amount (money, counts) into a weekly amount."""
    return rate_per_year / WEEKS_PER_YEAR


# --------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PlaceParams:
    """The size of the place simulated."""

    name: str = "town"
    n_residents: int = 10_000  # adults; the default place is a town (issue 2)
    n_neighbourhoods: int = 8  # ~1,250 adults (~1,600 people) each: a walkable area, the scale at
    # which people meet by chance. Smaller than Leeds ABCD's 5,000-10,000-person areas (DOMAIN),
    # which each cover several of these
    n_groups: int = 60  # charity density 0.8-6.6 per 1,000 people (DOMAIN); 60 per 10k adults
    # (~4.6 per 1,000 people) counts informal groups too, so sits in the upper half


PLACES: dict[str, dict[str, Any]] = {
    "small": {"name": "small", "n_residents": 2_000, "n_neighbourhoods": 4, "n_groups": 14},
    "town": {"name": "town", "n_residents": 10_000, "n_neighbourhoods": 8, "n_groups": 60},
    "city": {"name": "city", "n_residents": 200_000, "n_neighbourhoods": 40, "n_groups": 1_000},
}


# --------------------------------------------------------------------------------------------
# Residents
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ResidentParams:
    """Resident attributes, contact and loneliness dynamics."""

    # Share of adults in each age band, AGE_BANDS order (ONS mid-year estimates, England, rounded).
    age_shares: tuple[float, ...] = (0.14, 0.17, 0.24, 0.22, 0.12, 0.11)
    # Share with a limiting illness or disability by age band (Census 2021 England, disabled under
    # the Equality Act, adults, rounded: rises steeply with age).
    disability_by_age: tuple[float, ...] = (0.10, 0.12, 0.15, 0.22, 0.30, 0.48)
    # Weekly contact need (in contact units) by age band. Calibrated: younger adults report wanting
    # more social contact (CLS loneliness is highest at 16-24), older adults less.
    need_by_age: tuple[float, ...] = (3.55, 3.15, 2.8, 2.7, 2.6, 2.75)
    need_sd: float = 0.35  # lognormal spread of individual sociability (calibrated)
    proneness_sd: float = 0.6  # lognormal spread of chronic-loneliness proneness (scales the rise
    # and inversely the fall of loneliness). ELSA finds 9% stable high over ten years (Di Gessa et
    # al. 2025); the model's chronic share is lower (docs/validation.md, known shortfalls)
    disability_contact_factor: float = 0.4  # disabled residents attend and meet 60% less often
    # (calibrated to CLS: 14% lonely among disabled vs 3% among others)
    loneliness_rise: float = 0.067  # weekly rise in loneliness at full shortfall, times (1 - L):
    # about two months without contact takes a typical resident from content to lonely
    # (calibrated with need_by_age to the CLS 6.6% lonely share; Fontanari-style balance).
    # Recalibrated from 0.05 when residents began to age and recover from illness (issue 15,
    # item 7): the old baseline reached its lonely share partly by drifting to 28% disabled and by
    # replacing each 75+ leaver with a 75+ newcomer without local ties; without that drift 0.05
    # gave 2.7% lonely (seed 0), 0.068 gave 7.2% (mean of seeds 0-9), 0.063 6.4%; then
    # befriending groups persisting (item 2) brought 0.063 to 5.0%, and 0.067 gives 5.7%
    loneliness_fall: float = 0.2  # weekly fall when contact fully meets need (calibrated)
    loneliness_noise_sd: float = 0.02  # weekly idiosyncratic shocks (mood, events not modelled)
    lonely_threshold: float = 0.5  # "often/always lonely" on the continuous scale
    chronic_weeks: int = 52  # lonely for a year or more is chronic (DOMAIN)
    lonely_reciprocity: float = 0.8  # a lonely resident answers/initiates contact 20% less often
    # (Cacioppo et al.: lonely people withdraw, so their ties decay)
    group_contact: float = 1.5  # contact units from attending one group activity in a week
    volunteer_contact: float = 1.0  # contact units from a week of volunteering
    visit_contact: float = 1.2  # contact units from a befriending/GoodGym visit
    phone_contact: float = 0.8  # contact units from a standardised phone befriending call
    # Life events, per year.
    bereavement_per_year_by_age: tuple[float, ...] = (0.005, 0.005, 0.01, 0.02, 0.04, 0.08)
    # losing a partner or close friend: rises with age (ONS widowhood rates, rounded)
    # Limiting illness or disability starts and ends (issue 15, item 7). Recovery: the yearly chance
    # that a disabled resident no longer has a limiting condition. Approximate, after the BHPS /
    # Understanding Society year-to-year transitions (Burchardt 2000, "The dynamics of being
    # disabled", CASE paper 36; Jenkins & Rigg 2004, DWP research report 208): many working-age
    # spells last a year or two, spells in old age mostly persist; rounded, and the fall with age
    # beyond 65 is an assumption (the studies cover working age).
    illness_recovery_per_year_by_age: tuple[float, ...] = (0.25, 0.22, 0.18, 0.14, 0.10, 0.06)
    # Onset among residents without a limiting condition. Derived, not fitted: the rate at which
    # disability_by_age (Census 2021) is the stationary prevalence of each band given recovery,
    # ageing and turnover (docs/ODD.md, "Ageing and illness" gives the formula); rounded. Within
    # the BHPS onset range of 2-4% a year at working age and ELSA's higher rates in old age.
    illness_onset_per_year_by_age: tuple[float, ...] = (0.028, 0.032, 0.034, 0.046, 0.057, 0.093)
    life_event_loneliness: float = 0.15  # loneliness jump from bereavement or illness onset
    move_per_year_by_age: tuple[float, ...] = (0.18, 0.14, 0.07, 0.04, 0.03, 0.03)
    # residents leaving the area (English Housing Survey: ~10% of households move each year,
    # far more among the young); each leaver is replaced by a newcomer with few local ties
    death_per_year_by_age: tuple[float, ...] = (0.0005, 0.0007, 0.0015, 0.005, 0.015, 0.08)
    # ONS life tables, rounded; each death is replaced by a newcomer (population stays constant).
    # 75+: ONS deaths registered in England and Wales, ~400k a year at 75+ over a 75+ population of
    # ~5.2M (7.7%); with residents now ageing into the band, 0.06 let the 75+ share grow from 11%
    # towards 19%, 0.08 keeps it near its ONS share
    ageing: bool = True  # residents move up the age bands (a band of width w years is left at
    # 1/w a year); newcomers' bands are then drawn so the age structure stays at age_shares
    # (docs/ODD.md). False: a resident's band never changes (model version <= 4)
    # Volunteering.
    volunteer_initial_share: float = 0.16  # monthly formal volunteering 16% (CLS 2023/24, DOMAIN)
    volunteer_quit_per_year: float = 0.2  # about one in five stops each year (NCVO, DOMAIN)
    volunteer_burnout_per_year: float = 0.3  # extra yearly quit probability when a volunteer's
    # group is fully stretched (load >= 1.5 x normal hours); calibrated
    volunteer_join_per_year: float = 0.55  # a member's chance a year of starting to volunteer
    # with the group they attend, before trust and the group's need for help; calibrated
    volunteer_hours_per_week: float = 2.0  # median 8 hours a month (NCVO Time Well Spent, DOMAIN)


# --------------------------------------------------------------------------------------------
# Ties
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class TieParams:
    """The social network: formation, strengthening, decay."""

    initial_ties_mean: float = 16.0  # mean ties (all strengths) at start, near the settled network
    # (~17 a resident, within Dunbar's 15-50 layers)
    initial_close_share: float = 0.22  # share of initial ties that are close (settled: ~3.5 of ~17)
    close_threshold: float = 0.5  # weight at or above which a tie counts as close
    contact_prob: float = 0.8  # weekly chance of contact on a tie of weight 1 with time to spare
    time_budget: float = 5.4  # total tie weight a resident can keep up: when their ties weigh more,
    # each gets proportionally less contact and the weakest fade (Dunbar's support clique of ~5
    # close ties; calibrated to UK 2021 close-friend counts, DOMAIN). Recalibrated from 5.8 with
    # ageing (issue 15, item 7): long-settled older residents keep their ties, and 5.8 put close
    # ties at 4.55 a resident, above the 2.5-4.5 band; 5.4 gives 4.2 (seed 0)
    tie_contact: float = 1.0  # contact units from one contact on a tie
    strengthen: float = 0.08  # weight gain towards 1 after a contact
    decay: float = 0.02  # weekly proportional weight loss without contact: an untended close tie
    # falls below "close" in about five months; tended close ties last years (Dunbar: inner-circle
    # turnover 1-4% a year); calibrated with time_budget to the close-tie counts
    drop_below: float = 0.12  # a tie this weak is gone (calibrated: lower, and acquaintances pile
    # up for over a decade, diluting everyone's time budget)
    new_tie_weight: float = 0.25  # a new acquaintance; meeting an existing tie again at an activity
    # or in the street moves its weight this much of the way towards 1
    co_attendance_per_year: float = 1.5  # new acquaintances a year from attending one group weekly
    neighbour_per_year: float = 0.3  # new acquaintances a year from the neighbourhood
    triadic_per_year: float = 2.0  # meetings a year with a friend's friend (triadic closure, the
    # main source of clustering in friendship networks); calibrated
    bridging_share: float = 0.1  # share of neighbourhood-formed ties made outside the area
    newcomer_ties: int = 3  # ties a newcomer brings with them (a partner, a housemate, a relative)


# --------------------------------------------------------------------------------------------
# Community groups
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class GroupKindParams:
    """Parameters of one kind of community group."""

    share: float  # share of groups of this kind at start and among foundings
    running_cost_per_year: float  # rent, insurance, materials (GBP)
    staff_cost_per_year: float  # paid staff (GBP per FTE)
    staff: float  # paid staff (FTE) at start
    places_per_volunteer: float  # weekly activity/visit places each volunteer makes possible
    places_per_staff: float  # weekly places each FTE makes possible
    visits: bool  # delivers one-to-one visits to referred residents
    activities: bool  # runs group activities for members
    donations_per_member_per_year: float  # donations and subs (GBP)
    volunteers_needed: int  # volunteers it seeks
    initial_reserves_weeks: float  # reserves at start, in weeks of running costs
    visit_tie_per_week: float = 0.03  # weekly chance a visit turns into a lasting tie with one of
    # the group's volunteers (befriending's "some pairs become friends"; assumption: one visit in
    # 33 a week, so about half of six months' pairs)
    volunteer_gain: float = 0.0  # contact units a week its volunteers get for themselves beyond
    # ordinary volunteering (issue 15, item 6): GoodGym volunteers run together before a visit


def _default_kinds() -> dict[str, GroupKindParams]:
    # Costs and sizes are assumptions chosen to respect DOMAIN's sector anchor: 80% of voluntary
    # organisations have income under GBP 100k, a few (here the volunteer centre) are larger.
    return {
        # kind: share, running cost, staff cost/FTE, staff FTE, places/volunteer, places/FTE,
        #       visits, activities, donations/member/yr, volunteers sought, reserves (weeks)
        "club": GroupKindParams(0.45, 3_000, 0, 0.0, 6.0, 0.0, False, True, 12.0, 20, 26),
        "befriending": GroupKindParams(0.15, 6_000, 28_000, 0.3, 1.0, 15.0, True, False, 4.0, 25, 20),
        "faith": GroupKindParams(0.25, 8_000, 30_000, 0.2, 3.0, 20.0, True, True, 25.0, 35, 40),
        # GoodGym-like (issue 15, item 6): its volunteers run together each week before their
        # visits (company and exercise: half a group activity's contact, assumption), and a
        # visit by a runner who comes back every week turns into a lasting tie more often than a
        # befriending scheme's (twice, assumption: GoodGym pairs a runner with one older person)
        "goodgym": GroupKindParams(0.12, 4_000, 30_000, 0.2, 1.5, 20.0, True, True, 6.0, 40, 20,
                                   visit_tie_per_week=0.06, volunteer_gain=0.75),
        "volunteer_centre": GroupKindParams(0.03, 10_000, 32_000, 1.0, 4.0, 20.0, False, True,
                                            2.0, 10, 26),
    }


@dataclass(slots=True)
class GroupParams:
    """Community groups: membership, finances, closure and founding."""

    kinds: dict[str, GroupKindParams] = field(default_factory=_default_kinds)
    members_initial_mean: float = 30.0  # members at start (small local groups)
    full_size: float = 30.0  # people served (members + clients) at which a group runs at its kind's
    # full running costs and volunteer establishment; smaller groups scale both down, to no less
    # than min_scale (a new club of eight does not rent a hall five nights a week). Assumption
    min_scale: float = 0.2
    join_per_year: float = 0.12  # a non-member's yearly chance of joining a nearby group, before
    # fit and trust (assumption; with leave_per_year it settles ~30% of adults in at least one local
    # group: measured in docs/validation.md, not a calibration target)
    leave_per_year: float = 0.12  # a member's yearly chance of leaving (fit fades, moving on)
    lonely_join_factor: float = 0.5  # lonely residents join half as often unless referred
    supply_elasticity: float = 0.5  # joining rises with the local supply of places to go: the rate
    # is x (supply / reference_groups_per_1k) ^ elasticity, where supply is the activity-running
    # groups open in the resident's neighbourhood per 1,000 adults (85%) and in the whole place
    # (15%, as residents choose groups: _pick_groups' local share). Participation falls with the
    # distance to facilities and rises less than in proportion to their number (assumption: 0.5,
    # halfway between no effect and proportional; issue 15, item 1). 0 switches it off (model
    # version <= 5: the join rate ignored how many groups were nearby)
    reference_groups_per_1k: float = 5.0  # the supply at which join_per_year applies: the status
    # quo's settled town has ~50 groups open for its 10k adults (measured after the burn-in,
    # docs/validation.md), so the calibrated join rate keeps its meaning there
    max_supply_factor: float = 2.0  # the supply factor's ceiling: a street of clubs does not make
    # anyone join more than twice as readily (assumption)
    max_memberships: int = 3  # groups one resident can belong to
    attend_prob: float = 0.75  # weekly chance a member attends when there is room
    trust_initial: float = 0.5  # local reputation in [0, 1]
    trust_gain_per_year: float = 0.1  # reputation builds over years of activity (DOMAIN)
    trust_loss_on_closure: float = 0.5  # members' trust in the local sector lost at a closure
    closure_weeks: int = 26  # weeks without money or volunteers before a group closes
    min_reserves: float = 0.0  # below this the group is out of money
    foundings_per_year_per_10k: float = 3.4  # yearly foundings per 10k adults at average social
    # capital; calibrated so foundings roughly balance closures (register removals 2.5-3.5%/yr);
    # the town then settles at ~44 active groups, down from its 60 at start
    founding_capital_elasticity: float = 1.5  # foundings grow with local membership share
    collaboration_per_year: float = 0.1  # yearly chance two groups in one neighbourhood start to
    # collaborate (share referrals, volunteers, rooms); connectors raise it
    collaboration_decay_per_year: float = 0.15  # collaborations lapse without brokering
    collaboration_cost_saving: float = 0.1  # running-cost saving per collaboration (shared rooms)
    turf_penalty: float = 0.3  # recruitment lost per same-neighbourhood competitor for volunteers
    surplus_volunteering: float = 0.2  # a group that has the volunteers it seeks still takes on
    # members who offer to help, at this fraction of the usual rate: groups rarely turn a willing
    # helper away, but stop asking once roles are filled (assumption). Without it the volunteer
    # share is capped by the groups' establishment (~12%, below CLS's 16%); calibrated with
    # volunteer_join_per_year to CLS 2023/24 16% monthly formal volunteering
    community_recruit_pool: float = 30.0  # a group that visits but runs no activities has no
    # members to ask, so it recruits volunteers from its neighbourhood (publicity, word of mouth,
    # local partners) as if it had this many members to ask (issue 15, item 2). Assumption: such a
    # scheme reaches about as many would-be helpers as a club's membership (members_initial_mean);
    # 0 switches it off (model version <= 4, when befriending groups never recruited)
    client_volunteer_factor: float = 1.0  # residents a group visits who are no longer lonely start
    # volunteering for it at this multiple of a member's rate, and stop being its clients
    # ("people they visited", issue 15, item 2). Assumption: befriending schemes report former
    # clients among their volunteers, at no firm rate; treated like members. 0 switches it off
    fundraising_sd: float = 0.45  # yearly luck in fundraising (lognormal spread): a bad year
    # drains reserves; calibrated to closures of 3-10% a year
    fundraising_cover: float = 0.65  # share of running costs a fully volunteered group raises itself
    # (events, trading, small trusts); the rest must come from donations, grants or contracts.
    # Calibrated so unfunded groups survive years, not decades (closures 3-10%/yr, DOMAIN): with
    # fully volunteered groups more common (surplus_volunteering), 0.75 put closures at 2-3%
    min_members: int = 3  # fewer people served than this, for closure_weeks, and the group folds
    service_weeks: int = 26  # a referred resident is supported for six months (DOMAIN's outcome)
    service_dropout: float = 0.25  # share of clients who withdraw before the support period ends
    # (spread evenly over it as a weekly hazard). Controlled trials of befriending and social
    # prescribing report about a quarter of participants withdrawing (issue 15, item 5); 0 switches
    # withdrawal off (model version <= 5, when every client stayed the full period)
    intake_per_year: float = 4.0  # yearly chance rate at which a service with a free place finds a
    # lonely resident in its catchment (outreach); calibrated
    grant_writing_skill: float = 0.4  # mean bid-writing strength of local groups (0-1)
    consortium_min_collaborations: int = 2  # collaboration ties a group needs to lead a consortium


# --------------------------------------------------------------------------------------------
# Council, providers, funding
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CouncilParams:
    """The council's budget, capacity and observation of outcomes."""

    budget_per_resident_per_year: float = 6.0  # GBP per adult for community and prevention
    # spending; an assumption: a town of 10k adults spends ~GBP 60k a year on grants and a
    # befriending contract, the scale of small district-council VCS budgets
    officer_capacity: int = 6  # funding relationships officers can manage: up to 4x this many small
    # grants a year (light to administer) and 2x this many portfolio grants (assumption)
    relationship_initial: float = 0.5  # council-sector relationship quality in [0, 1]
    relationship_gain_per_year: float = 0.1  # grows with continuity and dialogue
    relationship_churn_loss: float = 0.15  # lost each time a local funding relationship ends
    observation_noise_sd: float = 0.01  # noise on the council's reading of lonely share
    observation_delay_weeks: int = 26  # the council reads outcomes half a year late


@dataclass(slots=True)
class ProviderParams:
    """Outside providers that bid for contracts."""

    n_bidders: int = 2  # outside providers interested in a tender
    unit_cost_per_client_per_year: float = 300.0  # phone befriending at scale (assumption)
    local_unit_cost_per_client_per_year: float = 600.0  # the same place delivered by a local
    # group: volunteers, visits in person, no scale economies (assumption)
    quality: float = 0.5  # standardised delivery quality as scored by the council
    bid_strength: float = 0.9  # professional bid writing
    reserves: float = 5_000_000.0  # deep pockets
    tie_formation_factor: float = 0.05  # phone contact rarely becomes a local tie
    staff_turnover_per_year: float = 0.3  # caseworker churn breaks continuity with clients


@dataclass(slots=True)
class FundingParams:
    """The path of the council's yearly budget."""

    path: str = "stable"  # stable | austerity | shock
    cut_per_year: float = 0.05  # austerity: yearly proportional cut (LGA: ~5%/yr 2010-2015 real)
    shock_year: int = 3  # shock: the year (after burn-in) of a sudden cut
    shock_size: float = 0.5  # shock: share of the budget lost
    recovery_years: int = 0  # shock: years to climb back to the original budget (0: none)


FUNDING_PATHS = ("stable", "austerity", "shock")


# --------------------------------------------------------------------------------------------
# Regimes
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class GrantsParams:
    rule: str = "equal"  # equal | need_based | competitive | core
    max_grant: float = 5_000.0  # small grants (GBP)
    core_years: int = 3  # multi-year core funding term
    competitive_share: float = 0.5  # share of applicants funded under the competitive rule


GRANT_RULES = ("equal", "need_based", "competitive", "core")


@dataclass(slots=True)
class TenderParams:
    contract_years: int = 1  # 1-3 year terms; most public-service funding agreements last one year
    # (DOMAIN, NPC 2024)
    price_weight: float = 0.6  # weight on price in the score (the rest on quality)
    payment_ratio: float = 0.65  # contracts pay ~65% of full cost (NPC 2024, DOMAIN)
    min_turnover_ratio: float = 2.0  # eligibility: last year's income at least this times the yearly
    # contract value; 2x is the most the Public Contracts Regulations 2015 (reg. 58(9)) allow
    min_reserves_weeks: float = 8.0  # eligibility: reserves covering this many weeks of the contract's
    # value (working capital to deliver before payment arrives; assumption)
    lot_value: float = 15_000.0  # GBP a year: the tendered budget is let as lots of about this value
    # (n = round(budget share / lot_value), at least 1; each lot scored and awarded on its own;
    # thresholds scale with the lot). Public Contracts Regulations 2015 reg. 46 ask authorities to
    # divide contracts into lots or say why not, so small bidders can compete; GBP 15k a year funds
    # a part-time befriending coordinator and volunteers' expenses for one locality (assumption).
    # 0: one contract for the whole share (model version <= 5)


@dataclass(slots=True)
class OutcomesParams:
    payment_per_outcome: float = 1_500.0  # GBP per verified outcome (assumption)
    measurement_error: float = 0.15  # chance a verification reads the wrong way: a paid outcome is
    # then 85% signal (P(paid | recovered) = 0.85, P(paid | still lonely) = 0.15); the reading comes
    # at discharge, groups.service_weeks (26) after intake, so payment is that far in arrears
    working_capital_weeks: float = 13.0  # a provider paid by outcomes funds delivery up front from
    # working capital worth this many weeks of the contract's yearly value: 3 months, the common
    # reserves-policy target of charities (Charity Commission CC19; NCVO Almanac: median free
    # reserves ~3 months of spending). It limits the caseload the provider takes on (places <=
    # capital / cost of a place over service_weeks) and, when spent, the provider hands the
    # contract back. Set it very large for unlimited working capital.
    investor: bool = False  # investor in outcomes: fund a portfolio, reward area improvement
    portfolio_share: float = 0.6  # investor: share paid up front to a portfolio of local groups


@dataclass(slots=True)
class CommunityDevParams:
    connector_cost_per_year: float = 30_000.0  # a community builder hosted locally (ABCD Leeds)
    max_connectors: int = 4  # at most one per two neighbourhoods in the town
    brokering_per_year: float = 1.0  # new collaborations a connector brokers a year at full skill
    seeding_boost: float = 1.0  # founding-rate multiplier added per connector-neighbourhood
    skill_years: float = 3.0  # years in post to reach full effectiveness ("seeds to trees")
    in_kind_share: float = 0.2  # share of the budget spent on rooms, admin and activities fund


@dataclass(slots=True)
class SocialValueParams:
    subcontract_share: float = 0.4  # share of the contract value passed to local groups
    capacity_share: float = 0.1  # share invested in local capacity (grants via the winner)
    social_value_weight: float = 0.3  # weight on social value in the score


@dataclass(slots=True)
class PartnershipParams:
    link_worker_cost_per_year: float = 25_000.0  # a social-prescribing link worker (NHS band 4-5)
    referrals_per_link_worker_per_year: float = 200.0  # caseload (NHS England: ~200-250 a year)
    detection_prob: float = 0.5  # share of a link worker's referrals who are actually lonely
    referral_uptake: float = 0.6  # share of referred residents who take the referral up (go to the
    # group at all). Systematic reviews of social prescribing report uptake from ~40% to ~100% and
    # adherence from ~40% to ~85% across schemes (Pescheny, Randhawa & Pappas 2020, BMJ Open);
    # 0.6 is inside that range, towards its low end for residents who are lonely (assumption)
    route_floor: float = 0.2  # share of referrals that reach a local group even with no working
    # relationship between council and sector (the GP or link worker knows a group anyway); the
    # rest depends on the relationship: groups that have co-designed the pathway with the council
    # take referrals, others are not part of it. Share routed = floor + (1 - floor) x relationship
    # (assumption; "real dialogue, not one-sided funding", DOMAIN). 1 makes referrals ignore the
    # relationship
    volunteer_centre_share: float = 0.3  # share of the budget granted to volunteer centres
    placements_per_year: float = 100.0  # introductions of would-be volunteers to groups that need
    # them, a year, by a fully funded volunteer centre (one broker's caseload: assumption, about two
    # a week). A bounded flow: it replaces model version 5's brokerage_boost, a multiplier on every
    # group's recruitment in the town. Scaled down with a smaller grant
    placement_conversion: float = 0.5  # share of introductions that become a volunteering role
    # (assumption: half of enquirers placed start; the rest find it does not fit)
    volunteer_centre_grant: float = 20_000.0  # a volunteer centre's core grant for full brokerage
    # (assumption: one worker plus costs); a smaller grant brokers proportionally less


class _RegimeNames(Sequence):
    """The registered instruments' names in display order, read from the registry in model/regimes/
    when used (that package imports this module, so the list cannot be built at import time)."""

    def _names(self) -> tuple[str, ...]:
        from model.regimes import instrument_names

        return instrument_names()

    def __getitem__(self, k):
        return self._names()[k]

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return repr(self._names())


REGIME_NAMES: Sequence[str] = _RegimeNames()  # every instrument (model/regimes/), in display order
# Named mixtures: weights on the instruments above.
MIXTURES: dict[str, dict[str, float]] = {
    # the common status quo: some grants plus one tendered loneliness contract (DOMAIN)
    "status_quo": {"grants": 0.4, "competitive_tender": 0.6},
}


@dataclass(slots=True)
class RegimeParams:
    """Which commissioning instruments the council uses, and their settings."""

    name: str = "status_quo"  # a regime in REGIME_NAMES, a named mixture, or "mixture"
    weights: dict[str, float] | None = None  # budget shares when name == "mixture"
    grants: GrantsParams = field(default_factory=GrantsParams)
    tender: TenderParams = field(default_factory=TenderParams)
    outcomes: OutcomesParams = field(default_factory=OutcomesParams)
    community_development: CommunityDevParams = field(default_factory=CommunityDevParams)
    social_value: SocialValueParams = field(default_factory=SocialValueParams)
    partnership: PartnershipParams = field(default_factory=PartnershipParams)

    def instrument_weights(self) -> dict[str, float]:
        """The budget share of each instrument this regime uses."""
        if self.name == "mixture":
            return dict(self.weights or {})
        if self.name in MIXTURES:
            return dict(self.weights or MIXTURES[self.name])
        return {self.name: 1.0}


# --------------------------------------------------------------------------------------------
# The whole parameter set
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Params:
    """Everything a run needs besides its seed."""

    place: PlaceParams = field(default_factory=PlaceParams)
    residents: ResidentParams = field(default_factory=ResidentParams)
    ties: TieParams = field(default_factory=TieParams)
    groups: GroupParams = field(default_factory=GroupParams)
    council: CouncilParams = field(default_factory=CouncilParams)
    providers: ProviderParams = field(default_factory=ProviderParams)
    funding: FundingParams = field(default_factory=FundingParams)
    regime: RegimeParams = field(default_factory=RegimeParams)
    horizon_years: float = 10.0  # years simulated after burn-in
    burn_in_years: float = 8.0  # years run under the status-quo arrangements before recording
    # starts (measured: close ties per resident change by under 3% a year after year 8; turnover
    # sets the network's equilibrium, and residents stay ~12 years on average)
    record_every_weeks: int = 4  # record outcomes every 4 weeks (monthly)

    def validate(self) -> Params:
        """Check values; raise ConfigError with one line naming the field and what is allowed."""
        _validate(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ConfigError(msg)


def _validate(p: Params) -> None:
    _check(50 <= p.place.n_residents <= MAX_RESIDENTS,
           f"place.n_residents must be in [50, {MAX_RESIDENTS}] (got {p.place.n_residents})")
    _check(p.place.n_neighbourhoods >= 1,
           f"place.n_neighbourhoods must be at least 1 (got {p.place.n_neighbourhoods})")
    _check(p.place.n_neighbourhoods <= p.place.n_residents,
           f"place.n_neighbourhoods must be at most place.n_residents ({p.place.n_residents}) "
           f"(got {p.place.n_neighbourhoods})")
    _check(0 < p.horizon_years <= MAX_YEARS,
           f"horizon_years must be positive and at most {_num(MAX_YEARS)} (got {p.horizon_years:g})")
    _check(p.record_every_weeks >= 1,
           f"record_every_weeks must be at least 1 (got {p.record_every_weeks})")
    _check_ranges(p)  # every number: finite, non-negative, in [0, 1] for probabilities and shares
    _check(p.funding.path in FUNDING_PATHS,
           f"funding.path '{p.funding.path}' is not one of: {', '.join(FUNDING_PATHS)}")
    _check(0 <= p.funding.cut_per_year < 1, "funding.cut_per_year must be in [0, 1)")
    r = p.regime
    allowed = (*REGIME_NAMES, *MIXTURES, "mixture")
    _check(r.name in allowed, f"regime.name '{r.name}' is not one of: {', '.join(allowed)}")
    w = r.instrument_weights()
    _check(len(w) > 0, "regime.weights must name at least one instrument when regime.name is 'mixture'")
    for k, v in w.items():
        _check(k in REGIME_NAMES, f"regime.weights has unknown instrument '{k}'; allowed: "
               f"{', '.join(REGIME_NAMES)}")
        _check(v >= 0, f"regime.weights.{k} must be non-negative (got {v})")
    total = sum(w.values())
    _check(math.isclose(total, 1.0, abs_tol=1e-6),
           f"regime.weights must sum to 1 (got {total:g})")
    _check(r.grants.rule in GRANT_RULES,
           f"regime.grants.rule '{r.grants.rule}' is not one of: {', '.join(GRANT_RULES)}")
    _check(1 <= r.tender.contract_years <= 10, "regime.tender.contract_years must be in 1..10")
    _check(0 < r.tender.payment_ratio <= 2, "regime.tender.payment_ratio must be in (0, 2]")
    _check(0 <= r.outcomes.measurement_error <= 0.5, "regime.outcomes.measurement_error must be in [0, 0.5]")
    _check_tenders_can_spend(p)
    _check(p.council.officer_capacity >= 1,
           f"council.officer_capacity must be at least 1 (got {p.council.officer_capacity})")
    kinds = p.groups.kinds
    for k in kinds:
        _check(k in GROUP_KINDS, f"groups.kinds has unknown kind '{k}'; allowed: {', '.join(GROUP_KINDS)}")
    _check(sum(kp.share for kp in kinds.values()) > 0, "groups.kinds shares must not all be zero")
    for name, vec in (("age_shares", p.residents.age_shares),
                      ("disability_by_age", p.residents.disability_by_age),
                      ("need_by_age", p.residents.need_by_age),
                      ("bereavement_per_year_by_age", p.residents.bereavement_per_year_by_age),
                      ("move_per_year_by_age", p.residents.move_per_year_by_age),
                      ("death_per_year_by_age", p.residents.death_per_year_by_age),
                      ("illness_onset_per_year_by_age", p.residents.illness_onset_per_year_by_age),
                      ("illness_recovery_per_year_by_age", p.residents.illness_recovery_per_year_by_age)):
        _check(len(vec) == len(AGE_BANDS),
               f"residents.{name} needs {len(AGE_BANDS)} values, one per age band (got {len(vec)})")
    _check(math.isclose(sum(p.residents.age_shares), 1.0, abs_tol=1e-3),
           "residents.age_shares must sum to 1")
    _check(0 < p.residents.lonely_threshold < 1, "residents.lonely_threshold must be in (0, 1)")
    # a tie decays geometrically and never reaches 0, so without a positive floor no tie would go
    # (and the removal mark, weight -0.0, relies on it); a decay of 1 or more would zero or negate
    # every untended tie in one week
    _check(0 < p.ties.drop_below < 1, f"ties.drop_below must be in (0, 1) (got {p.ties.drop_below})")
    _check(0 <= p.ties.decay < 1, f"ties.decay must be in [0, 1) (got {p.ties.decay})")
    moves = zip(p.residents.move_per_year_by_age, p.residents.death_per_year_by_age, strict=True)
    for band, (mv, dth) in zip(AGE_BANDS, moves, strict=True):
        _check(mv + dth <= 1, f"residents.move_per_year_by_age + death_per_year_by_age must be at most 1 "
               f"(got {mv + dth:g} for age {band})")


TENDERED = ("competitive_tender", "outcomes_based", "social_value")  # instruments let as contracts


def _check_tenders_can_spend(p: Params) -> None:
    """A tendered instrument must be able to spend its share: each lot buys at least one place at
    the council's reference price (regime.tender.payment_ratio x the local unit cost)."""
    r = p.regime
    price = r.tender.payment_ratio * p.providers.local_unit_cost_per_client_per_year
    budget = p.council.budget_per_resident_per_year * p.place.n_residents
    for name, w in r.instrument_weights().items():
        if name not in TENDERED or (name == "outcomes_based" and r.outcomes.investor) or w <= 0 or budget <= 0:
            continue
        value = budget * w
        lots = max(1, int(round(value / r.tender.lot_value))) if r.tender.lot_value > 0 else 1
        _check(value / lots >= price,
               f"regime.tender: a lot of {name} is worth GBP {value / lots:,.0f} a year, less than one "
               f"place at the reference price (GBP {price:,.0f}); it could spend nothing: raise "
               f"regime.tender.lot_value or the budget")


# Settings that act only in some configurations. A setting given explicitly where it has no effect
# is refused (experiments.preflight), since a silent no-op reads as a result.
# The parts of RegimeParams each instrument reads (model/regimes.py): a tender's eligibility and
# scoring come from `tender`, so the social-value and outcomes tenders read it too.
INSTRUMENT_SETTINGS: dict[str, tuple[str, ...]] = {
    "none": (),
    "grants": ("grants",),
    "competitive_tender": ("tender",),
    "outcomes_based": ("tender", "outcomes"),
    "community_development": ("community_development",),
    "social_value": ("tender", "social_value"),
    "partnership": ("partnership",),
}
# setting -> (the setting it depends on, the values of that setting under which it acts)
ONLY_WHEN: dict[str, tuple[str, tuple[Any, ...]]] = {
    "funding.cut_per_year": ("funding.path", ("austerity",)),
    "funding.shock_year": ("funding.path", ("shock",)),
    "funding.shock_size": ("funding.path", ("shock",)),
    "funding.recovery_years": ("funding.path", ("shock",)),
    "regime.grants.core_years": ("regime.grants.rule", ("core",)),
    "regime.grants.competitive_share": ("regime.grants.rule", ("competitive",)),
    "regime.outcomes.portfolio_share": ("regime.outcomes.investor", (True,)),
}


def _get(p: Params, dotted: str) -> Any:
    obj: Any = p
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def ineffective(p: Params, key: str) -> str | None:
    """Why the setting at dotted path ``key`` has no effect with these parameters, or None if it
    may have one. Covers the instrument settings of instruments the regime does not use, mixture
    weights on a single-instrument regime, and the settings of ``ONLY_WHEN``."""
    parts = key.split(".")
    r = p.regime
    if parts[0] == "regime" and len(parts) > 1:
        if parts[1] == "weights" and r.name in REGIME_NAMES:
            return (f"{key} has no effect: regime '{r.name}' is a single instrument; weights apply to "
                    f"regime=mixture or a named mixture ({', '.join(MIXTURES)})")
        sections = {sec for secs in INSTRUMENT_SETTINGS.values() for sec in secs}
        if parts[1] in sections:
            used = {sec for name, w in r.instrument_weights().items() if w > 0
                    for sec in INSTRUMENT_SETTINGS.get(name, ())}
            if parts[1] not in used:
                return f"{key} has no effect: regime '{r.name}' does not use regime.{parts[1]}"
    for setting, (other, values) in ONLY_WHEN.items():
        if key == setting or key.startswith(setting + "."):
            now = _get(p, other)
            if now not in values:
                shown = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values)
                return f"{key} has no effect when {other} is {str(now).lower() if isinstance(now, bool) else now} (only when {shown})"
    return None


# Numbers that are probabilities, shares or fractions of the way to a bound: each must be in [0, 1].
# Yearly probabilities (converted by weekly_prob) are here too, while yearly hazards and amounts
# (``*_per_year`` rates of Poisson events, money, counts) need only be non-negative.
UNIT_INTERVAL = frozenset({
    "age_shares", "disability_by_age", "bereavement_per_year_by_age", "move_per_year_by_age",
    "death_per_year_by_age", "illness_onset_per_year_by_age", "illness_recovery_per_year_by_age",
    "life_event_loneliness", "volunteer_quit_per_year",
    "volunteer_burnout_per_year", "volunteer_join_per_year", "close_threshold", "strengthen",
    "new_tie_weight", "min_scale", "join_per_year", "leave_per_year", "trust_initial",
    "trust_loss_on_closure", "collaboration_decay_per_year", "collaboration_cost_saving", "turf_penalty",
    "grant_writing_skill", "relationship_initial", "relationship_churn_loss", "quality",
    "tie_formation_factor", "staff_turnover_per_year", "social_value_weight", "shock_size", "price_weight",
    "service_dropout", "referral_uptake", "route_floor", "placement_conversion", "visit_tie_per_week",
})
# Numbers that may be negative (a group may be allowed an overdraft before it counts as out of money).
SIGNED = frozenset({"min_reserves"})


def numeric_fields(obj: Any, path: str = ""):
    """``(dotted name, field name, value)`` for every number, or tuple of numbers, in a Params
    (or in one of its parts), nested parts and group kinds included."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        where = f"{path}{f.name}"
        if dataclasses.is_dataclass(value):
            yield from numeric_fields(value, where + ".")
        elif isinstance(value, dict):
            for key, sub in value.items():
                if dataclasses.is_dataclass(sub):
                    yield from numeric_fields(sub, f"{where}.{key}.")
        elif isinstance(value, (int, float, tuple)) and not isinstance(value, bool):
            yield where, f.name, value


# Upper bounds: the largest value of each number that the model can honour on the class of machine
# it is built for (2 cores, 24 GiB, a sweep running one job per core), with the reasoning. A field
# not listed here is bounded by MAX_AMOUNT if it is money (MONEY), by MAX_EVENTS_PER_YEAR if it is a
# yearly rate of events, and by MAX_NUMBER otherwise.
#
# Memory: peak resident memory for one year is 267-315 MiB at 10k residents, 1,036 MiB at 1M and
# 1,820 MiB at 2M (README's speed table), i.e. ~0.8 GiB per million residents above ~0.25 GiB;
# the per-resident and per-tie arrays dominate. Weeks cost almost nothing in memory: the spending
# ledger is one row of 3 floats per week of burn-in plus horizon (24 bytes), and a 2k-resident run
# peaked at 279 MiB for 100 years and 287 MiB for 400 years (measured 2026-12-03). Time is linear
# in resident-weeks: ~300 ns per resident-week at 300k-2M residents (README).
MAX_RESIDENTS = 10_000_000  # ~0.25 + 10 x 0.8 = ~8 GiB for one run, so a sweep's two jobs at
# once (~16 GiB) fit in 24 GiB; a year then takes ~2.6 min. Far above the city preset (200k)
MAX_YEARS = 1_000.0  # horizon and burn-in each: the ledger is 52k rows (1.2 MB) and a town's
# 1,000 years take ~3-4 min (0.19 s a year), while a sweep of regimes over longer spans compares
# nothing a council decides. A year is 52 weeks, so weeks-valued settings stop at 52,000
MAX_WEEKS = int(MAX_YEARS) * WEEKS_PER_YEAR
MAX_AMOUNT = 1e9  # GBP, any single amount of money (a cost, a grant, a payment, reserves): above
# any English council's whole yearly net budget, and far inside float64: sums over <= 10M
# residents and <= 52k weeks stay below 1e9 x 1e7 x 5.2e4 ~ 5e20, against float64's 1.8e308
MAX_EVENTS_PER_YEAR = 5_200.0  # a yearly rate of events (referrals, foundings, meetings, gains):
# 100 a week. Rates drive Poisson counts whose draws are allocated as arrays or looped over each
# week, so an unbounded rate is an unbounded allocation
MAX_NUMBER = 1e6  # anything else (contact units, multipliers, counts, sizes): no setting of the
# model means anything near a million, and every integer then fits int32 arrays and numba's int64
MAX_SD = 5.0  # a spread (``*_sd``, lognormal or normal): at 5 a lognormal's 1-in-100 draw is
# 10^5 times its median; much wider overflows (need_sd=1e6 divided by zero in a short run)
MONEY = frozenset({
    "running_cost_per_year", "staff_cost_per_year", "donations_per_member_per_year",
    "budget_per_resident_per_year", "unit_cost_per_client_per_year",
    "local_unit_cost_per_client_per_year", "reserves", "max_grant", "payment_per_outcome",
    "connector_cost_per_year", "link_worker_cost_per_year", "volunteer_centre_grant", "min_reserves",
})
# Dotted path (or field name) -> (upper bound, reasoning). Checked before a run.
UPPER: dict[str, float] = {
    "place.n_residents": MAX_RESIDENTS,
    "place.n_neighbourhoods": 10_000,  # several phases loop over neighbourhoods each week in
    # Python: 10k adds ~10 ms a week; each also needs residents (at most one per resident)
    "place.n_groups": 20_000,  # groups are Python objects stepped weekly: measured ~23 us per
    # group-week (100k groups on the small place: over 60 s for 26 weeks), so 20k groups add
    # ~0.5 s a week. The city has 1,000; 20k is one per 500 residents at the largest place
    "horizon_years": MAX_YEARS,
    "burn_in_years": MAX_YEARS,
    "council.budget_per_resident_per_year": 1_000.0,  # GBP per adult a year: about a council's
    # whole core spending power per resident; this budget is only community and prevention spending
    # (default 6). The budget buys link workers and places, each a weekly draw of referrals, so it
    # bounds those allocations
    "ties.initial_ties_mean": 150.0,  # Dunbar's number, the whole personal network; ties are
    # 16-24 bytes each, so 10M residents x 75 ties ~ 18 GB is the limit of memory
    "ties.newcomer_ties": 150,  # as initial_ties_mean
    "providers.n_bidders": 1_000,  # each bidder is an agent scored at every tender
}


# Lower bounds above zero, for numbers the model divides by (a run stopped with a division by zero,
# or a NaN rate, at 0 for each of these; measured 2026-12-03). A budget divided by a tiny cost
# is as bad as by zero (billions of link workers, each drawing referrals weekly), so costs of a
# worker or a grant start at GBP 1,000 a year (below any part-time post), unit costs at GBP 1.
LOWER: dict[str, float] = {
    "connector_cost_per_year": 1_000.0,
    "link_worker_cost_per_year": 1_000.0,
    "volunteer_centre_grant": 1_000.0,
    "unit_cost_per_client_per_year": 1.0,
    "local_unit_cost_per_client_per_year": 1.0,
    "skill_years": 1.0 / WEEKS_PER_YEAR,  # a connector's skill grows over at least a week
    "full_size": 1.0,  # a group at full size serves at least one person
    "reference_groups_per_1k": 0.01,  # the joining rate divides by it
    "max_supply_factor": 1.0,  # at least the rate at the reference supply
}


def _num(x: float) -> str:
    """A bound as typed on the command line: 10000000, not 1e+07."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


def upper_bound(where: str, name: str) -> float:
    """The largest allowed value of the number at dotted path ``where`` (field ``name``)."""
    if where in UPPER:
        return UPPER[where]
    if name in MONEY:
        return MAX_AMOUNT
    if name.endswith("_sd"):
        return MAX_SD
    if name.endswith("_weeks"):
        return MAX_WEEKS
    if name.endswith(("_per_year", "_per_10k")):
        return MAX_EVENTS_PER_YEAR
    return MAX_NUMBER


def _check_ranges(p: Params) -> None:
    """Every number in the parameters is finite and non-negative (except ``SIGNED``), and in [0, 1]
    when it is a probability or a share (``UNIT_INTERVAL``, or a name ending in ``_share`` or
    ``_prob``), and at most its upper bound (:func:`upper_bound`); tuples are checked element by
    element."""
    for where, name, value in numeric_fields(p):
        unit = name in UNIT_INTERVAL or name.endswith(("_share", "_prob"))
        top = 1.0 if unit else upper_bound(where, name)
        low = -top if name in SIGNED else 0.0
        for x in value if isinstance(value, tuple) else (value,):
            _check(math.isfinite(x), f"{where} must be a finite number (got {x})")
            if unit:
                _check(0 <= x <= 1, f"{where} must be in [0, 1] (got {x:g})")
            elif name in SIGNED:
                _check(low <= x <= top, f"{where} must be in [{_num(low)}, {_num(top)}] (got {x:g})")
            elif name in LOWER:
                low = LOWER[name]
                _check(low <= x <= top, f"{where} must be in [{_num(low)}, {_num(top)}] (got {x:g})")
            else:
                _check(x >= 0, f"{where} must be non-negative (got {x:g})")
                _check(x <= top, f"{where} must be in [0, {_num(top)}] (got {x:g})")


# --------------------------------------------------------------------------------------------
# Building Params from nested dictionaries (configs, overrides)
# --------------------------------------------------------------------------------------------


def _build(cls: type, data: dict[str, Any], path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'} must be a mapping (got {type(data).__name__})")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    obj = cls() if cls is not GroupKindParams else None
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in names:
            raise ConfigError(f"unknown parameter '{where}'; allowed: {', '.join(names)}")
        kwargs[key] = _coerce(hints[key], value, where, getattr(obj, key, None))
    if obj is None:
        return cls(**kwargs)
    for k, v in kwargs.items():
        setattr(obj, k, v)
    return obj


def _coerce(hint: Any, value: Any, where: str, current: Any) -> Any:
    if dataclasses.is_dataclass(current):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping of its parameters (got {_short(value)})")
        merged = dataclasses.asdict(current)
        return _build(type(current), _deep_merge(merged, value), where)
    if where.endswith("groups.kinds"):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping of kind name to its parameters")
        out = dict(current or {})
        for kname, kval in value.items():
            if kname not in GROUP_KINDS:
                raise ConfigError(f"unknown group kind '{where}.{kname}'; allowed: {', '.join(GROUP_KINDS)}")
            if kval is not None and not isinstance(kval, dict):
                raise ConfigError(f"{where}.{kname} must be a mapping of its parameters (got {_short(kval)})")
            base = dataclasses.asdict(out[kname]) if kname in out else {}
            out[kname] = _build(GroupKindParams, _deep_merge(base, kval or {}), f"{where}.{kname}")
        return out
    text = getattr(hint, "__name__", None) if isinstance(hint, type) else str(hint)
    try:
        if value is None:
            if "None" in text:
                return None
            raise ConfigError(f"{where} must not be empty")
        if text.startswith("tuple"):
            if isinstance(value, (str, bytes, dict)):
                raise TypeError
            return tuple(float(x) for x in value)
        if text.startswith("dict"):
            return {str(k): float(v) for k, v in dict(value).items()}
        if hint is bool or text == "bool":
            if isinstance(value, bool):
                return value
            raise TypeError
        if hint is int or text == "int":
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise TypeError
            return int(float(value))
        if hint is float or text == "float":
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if hint is str or text == "str":
            if not isinstance(value, str):
                raise TypeError
            return value
    except ConfigError:
        raise
    except (TypeError, ValueError, OverflowError):  # inf for an int field overflows
        raise ConfigError(f"{where} must be of type {text} (got {_short(value)})") from None
    return value


def _short(value: Any) -> str:
    """A value for a one-line message: its repr on one line, cut to 60 characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def make_params(
    place: str | None = None,
    regime: str | None = None,
    funding: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Params:
    """Build validated Params from a place preset, a regime name, a funding path and overrides.

    ``overrides`` is a nested mapping (``{"council": {"budget_per_resident_per_year": 8}}``) or a flat
    mapping of dotted paths (``{"council.budget_per_resident_per_year": 8}``); both may be mixed.
    """
    data: dict[str, Any] = {}
    if place is not None:
        if place not in PLACES:
            raise ConfigError(f"unknown place '{place}'; allowed: {', '.join(PLACES)}")
        data["place"] = dict(PLACES[place])
    if regime is not None:
        data["regime"] = {"name": regime}
    if funding is not None:
        data["funding"] = {"path": funding}
    for key, value in (overrides or {}).items():
        nested: Any = value
        for part in reversed(str(key).split(".")):
            nested = {part: nested}
        data = _deep_merge(data, nested)
    return params_from_dict(data)


def params_from_dict(data: dict[str, Any]) -> Params:
    """Build validated Params from a (partial) nested mapping; unknown names are errors."""
    return _build(Params, data or {}, "").validate()
