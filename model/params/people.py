"""The place, its residents, their ties and community groups: settings with their sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.params.base import GROUP_KINDS  # noqa: F401 (GroupKindParams' keys)

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
    # Weekly contact need (in contact units) by age band, calibrated to the CLS age profile of
    # loneliness (configs/targets.yaml): younger adults report wanting more social contact, older
    # adults less. The 35-49 value is higher than its neighbours': it stands in for what the model
    # does not represent (full-time work and childcare take the time that ties would get), so that
    # band's lonely share is not below the 25-34 and 50-64 shares as it was (4.5% against CLS 7%).
    # Recalibrated in model version 7 (ties made at groups meet there): town, seeds 0-5, lonely
    # 9.5/7.6/6.2/4.7/4.2/5.6% by band against CLS 9/8/7/5/4/5%
    need_by_age: tuple[float, ...] = (3.05, 3.1, 3.4, 2.9, 2.6, 2.5)
    need_sd: float = 0.35  # lognormal spread of individual sociability (calibrated)
    proneness_sd: float = 0.85  # lognormal spread of chronic-loneliness proneness (scales the rise
    # and inversely the fall of loneliness): it sets how much loneliness stays with the same people.
    # Calibrated (model version 9) to ELSA's persistence read as a ratio (configs/targets.yaml
    # stable_high_of_lonely_50plus: of residents 50+ lonely at the first of six biennial waves, the
    # share lonely at all six; ELSA about 0.31, band 0.15-0.45, Di Gessa et al. 2025). Town, 10
    # seeds: 0.6 gave 0.11, 0.85 (rise 0.056) 0.20, 1.0 (rise 0.052) 0.27, 1.4 0.39 (0.85 with
    # ties.time_budget 3.7 and rise 0.052: 0.195). A wider spread
    # makes loneliness more a trait and less a circumstance, so it also weakens the clustering of
    # loneliness along ties (one degree +19% at 0.6, +9% at 0.85; +19% with time_budget 3.7) and
    # the disability gradient
    disability_contact_factor: float = 0.4  # disabled residents attend and meet 60% less often
    # (calibrated to CLS: 14% lonely among disabled vs 3% among others)
    loneliness_rise: float = 0.058  # weekly rise in loneliness at full shortfall, times (1 - L):
    # about two months without contact takes a typical resident from content to lonely
    # (calibrated with need_by_age to the CLS 6.6% lonely share; Fontanari-style balance).
    # Recalibrated from 0.05 when residents began to age and recover from illness (issue 15,
    # item 7): the old baseline reached its lonely share partly by drifting to 28% disabled and by
    # replacing each 75+ leaver with a 75+ newcomer without local ties; without that drift 0.05
    # gave 2.7% lonely (seed 0), 0.068 gave 7.2% (mean of seeds 0-9), 0.063 6.4%; then
    # befriending groups persisting (item 2) brought 0.063 to 5.0%, and 0.067 gives 5.7%; with
    # proneness_sd 0.85 (version 9) 0.067 gave 8.6% and 0.056 6.6%; with ties.time_budget 3.7
    # (fewer close ties, more loneliness) 0.056 gave 7.0% and 0.052 6.4% (10 seeds); community
    # hubs (version 12: more places to meet) brought 0.052 to 5.8%, and 0.058 gives 6.6%
    loneliness_fall: float = 0.205  # weekly fall when contact fully meets need. Calibrated on the
    # overall lonely share (CLS 6.6%) with the rise fixed (model version 14, calibration step 10;
    # town, seeds 0-19): 0.2 / 0.205 / 0.21 gave 7.0 / 6.6 / 6.5%. Until version 13, 0.2
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
    burnout_load: float = 1.5  # a group's demand (attending members + clients) over its capacity above
    # which its volunteers burn out (assumption: half as much work again as they signed up for)
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
    time_budget: float = 3.7  # total tie weight a resident can keep up in their own time: when their
    # ties weigh more, each gets proportionally less contact and the weakest fade (Dunbar's support
    # clique of ~5 close ties; calibrated to UK 2021 close-friend counts, DOMAIN). Recalibrated
    # from 5.4 when ties made at groups began to meet there outside it (group_meet_prob, model
    # version 7): 4.0 gives 3.27 close ties (target 3.2) with 16% at six or more (target 16%; 5.4
    # gave 33%), town, seeds 0-1. 3.7 since model version 9 (with loneliness_rise 0.052): every
    # band of the distribution inside the survey's (one 13.6%, two-three 36.9%, four-five 25.9%,
    # six or more 12.5%, against 12/41/21/16%), mean 3.06; 4.0 left two-three at 33.8% and
    # four-five at 26.6%, 3.75 four-five at 26.2% (town, 10 seeds)
    lonely_alter_contact: float = 0.15  # a meeting with a lonely friend gives this share of a
    # meeting's contact: lonely people expect and give less in their encounters (Cacioppo &
    # Hawkley 2009), which is how loneliness spreads along ties (Cacioppo, Fowler & Christakis
    # 2009: a lonely close tie raises the chance of being lonely by 52%). Calibrated to that
    # one-degree excess (model version 7; configs/targets.yaml cf_excess_degree1, band 25-80%):
    # 1 (no such channel) gave -22%, 0.5 -18%, 0.25 +19%, 0.15 +24% (10 seeds), 0.1 +29% (4
    # seeds); the two- and three-degree excesses stay negative whatever the value (lonely
    # residents have fewer close ties: docs/validation.md). An assumption with a strong value
    tie_contact: float = 1.2  # contact units from one contact on a tie (calibrated with need_by_age:
    # 1.0 until model version 7; with fewer, better-kept close ties each meeting carries more)
    strengthen: float = 0.08  # weight gain towards 1 after a contact
    decay: float = 0.02  # weekly proportional weight loss without contact: an untended close tie
    # falls below "close" in about five months; tended close ties last years (Dunbar: inner-circle
    # turnover 1-4% a year); calibrated with time_budget to the close-tie counts
    drop_below: float = 0.12  # a tie this weak is gone (calibrated: lower, and acquaintances pile
    # up for over a decade, diluting everyone's time budget)
    new_tie_weight: float = 0.25  # a new acquaintance; meeting an existing tie again at an activity
    # or in the street moves its weight this much of the way towards 1
    co_attendance_per_year: float = 1.5  # new acquaintances a year from attending one group weekly
    group_meet_prob: float = 0.2  # weekly chance that two residents who met at a group, and both
    # take part in it this week (attend, volunteer, are visited), spend time together there. Time
    # at a group is shared time: such a meeting takes nothing from either one's time budget, so
    # groups add close ties rather than only reshuffle them, and a closing group's ties lose it
    # (issue 15, item 1). Calibrated with time_budget to the close-tie distribution: members then
    # have 4.1 close ties against 3.0 for other residents (x1.37; 0.3 gives x1.9 and 23% with six
    # or more, against 16%). 0 switches the channel off
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
    trading_per_year: float = 0.0  # earned income (room hire, a cafe, services sold) at full
    # operation, GBP a year, scaled like its running costs by the people it serves: the trading
    # of a community hub (below); other kinds' small trading is in fundraising_cover


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
        # befriending scheme's (twice, assumption: GoodGym pairs a runner with one older person).
        # Members' subscriptions and donations GBP 18 a year: GoodGym calls itself a charity and
        # social enterprise built to run "independently of ongoing public funding" (seed 000),
        # so its runners pay towards it (assumption: GBP 1.50 a month on average over members,
        # between a club's GBP 12 a year and a faith group's 25). At a befriending scheme's GBP
        # 6 (models up to version 6) GoodGym-like groups folded in the burn-in for lack of money
        # (town 6.8 -> 2.8 a seed, 4 seeds; with 18: 6.8 -> 7.5)
        "goodgym": GroupKindParams(0.12, 4_000, 30_000, 0.2, 1.5, 20.0, True, True, 18.0, 40, 20,
                                   visit_tie_per_week=0.06, volunteer_gain=0.75),
        "volunteer_centre": GroupKindParams(0.03, 10_000, 32_000, 1.0, 4.0, 20.0, False, True,
                                            2.0, 10, 26),
        # A community hub (Locality's "community anchor": a community centre or development trust
        # in its own building, running many activities and some services, with paid staff and
        # earned income). Not drawn by share and never founded in a run's span (anchors grow over
        # decades, often from a transferred building): groups.hubs_per_10k_adults places them.
        # Sizes follow the community-business sector: median income GBP 108k in 2021/22, 83%
        # trade and 84% take grants (Power to Change, Community Business Market Report 2022);
        # Locality's members earned 44% of their GBP 315m income (Locality membership survey
        # 2020). Here: a building costing GBP 35k a year, up to three posts (a manager, a
        # development worker, a caretaker-cook: GBP 28k each) and trading of GBP 62k at full use
        # (room hire, a cafe). It pays the building first, from trading, volunteers' fundraising
        # and donations; what is left with grants and outcome payments, and its reserves above
        # its policy, keeps its posts (about two without council money), so it shrinks when
        # funding goes rather than falling at once (agents.py CommunityGroup.own_surplus).
        # Assumptions, set so a hub's income is near the sector's median (measured: median GBP
        # 101k in the status quo's final year, 10 seeds; docs/validation.md). It earns about 60%
        # of it, more than Locality's 44%: the model's council and funders cannot supply the grants
        # and contracts a real hub raises from many funders
        "community_hub": GroupKindParams(0.0, 35_000, 28_000, 3.0, 4.0, 25.0, True, True, 10.0, 30, 26,
                                         trading_per_year=62_000.0),
    }


@dataclass(slots=True)
class FunderParams:
    """Trusts, foundations and the National Lottery: time-limited awards to the groups that employ
    staff (issue 15, item 3). An award pays for extra paid posts (and so places) for its term; when
    it ends without a new one, its staff work out their notice unpaid for, from reserves: the
    "funding cliff" by which an established group can fall. ``apply_per_year`` 0 switches funders
    off (model version <= 7: no income from outside the place but the council's)."""

    apply_per_year: float = 0.3  # yearly chance a group with paid posts and no award applies
    # (assumption: a small charity bids for a major award every three years or so)
    success_prob: float = 0.3  # chance an application succeeds, at trust 0.5; x (0.5 + trust), so a
    # new group's bid succeeds about 0.3 of the time, a long-trusted one's 0.45 (assumption: of the
    # order of the one in three to one in four that open programmes fund)
    repeat_factor: float = 0.5  # a holder applying to continue its award succeeds at this multiple:
    # funders favour new work over running costs, the "funding cliff" of project grants (assumption)
    median_award_per_year: float = 15_000.0  # GBP a year, median; lognormal (award_sd). The National
    # Lottery Community Fund's open programmes give GBP 300-20,000 (Awards for All) and over
    # GBP 20,000 for up to five years (Reaching Communities); GBP 15k a year pays half a post
    award_sd: float = 1.0  # spread of award sizes (lognormal): the 1-in-20 award is about five
    # times the median, so a few groups pass GBP 100k a year (NCVO: 20% of organisations do, most of
    # them registered charities larger than the groups of this model; assumption)
    term_years: int = 3  # years an award runs (assumption: the usual multi-year trust grant)
    overhead_share: float = 0.1  # share of an award that pays its posts' overheads (management,
    # rooms, expenses) rather than the posts: spent, not saved (assumption: funders' overhead
    # allowances of about 10%, below full cost recovery)
    reserve_share: float = 0.05  # share of an award a group keeps back in reserves against the
    # costs its end will bring (over a three-year term, 0.05 covers about 60% of thirteen weeks'
    # notice: assumption, between the prudent charity that reserves its whole redundancy liability
    # (Charity Commission CC19) and the small one that reserves nothing)
    max_award_fte: float = 3.0  # paid posts one award can fund (a medium local charity's project team)
    notice_weeks: int = 13  # weeks an award's costs (posts, overheads) run on after it ends, unfunded:
    # notice, redundancy pay and the lease of a room (assumption: three months)


@dataclass(slots=True)
class GroupParams:
    """Community groups: membership, finances, closure and founding."""

    kinds: dict[str, GroupKindParams] = field(default_factory=_default_kinds)
    hubs_per_10k_adults: float = 2.0  # community hubs standing at the start, per 10,000 adults, each
    # in its own neighbourhood while there are neighbourhoods without one (a fractional count is
    # rounded up or down at random). Leeds' asset-based community development worked through
    # anchor organisations hosting neighbourhoods of 5,000-10,000 people (DOMAIN), so one per
    # ~5,000 adults (assumption). 0 switches hubs off (with residents.loneliness_rise at 0.052, the
    # model version <= 11)
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
    volunteer_approach_per_year: float = 0.1  # yearly chance a serving volunteer is asked to help
    # instead by another group of their neighbourhood that is short of volunteers (competition for
    # the same volunteers, DOMAIN's "turf"; issue 15, item 3). Asked, they move with probability
    # (0.5 + its trust) / ((0.5 + its trust) + (0.5 + their group's trust)): about one in two
    # between equally trusted groups. Assumption, no firm rate: the few active volunteers of a
    # neighbourhood (the "civic core") are the first every group asks. Kept low: about 27 of the
    # town's 1,700 volunteers move a year (10 seeds); at 0.25, 66 move and burn-in closures fall
    # to 3.3% a year, near the floor of their band (3-10%), as young groups short of volunteers
    # survive. A connector's skill lowers it as it lowers turf; groups that collaborate share
    # volunteers and do not ask each other's. 0 switches it off (model version <= 9, when serving
    # volunteers left only by quitting)
    fundraising_sd: float = 0.45  # yearly luck in fundraising (lognormal spread): a bad year
    # drains reserves; calibrated to closures of 3-10% a year
    fundraising_cover: float = 0.65  # share of running costs a fully volunteered group raises itself
    # (events, trading, small trusts); the rest must come from donations, grants or contracts.
    # Calibrated so unfunded groups survive years, not decades (closures 3-10%/yr, DOMAIN): with
    # fully volunteered groups more common (surplus_volunteering), 0.75 put closures at 2-3%
    reserves_policy_weeks: float = 13.0  # a group that trades (a community hub) sets its posts each
    # year to bring its reserves to this many weeks of its full costs (building and establishment),
    # spending what it holds above it and rebuilding what is missing. Three months: the Charity
    # Commission (CC19) asks trustees for a reserves policy, and three to six months of costs is the
    # usual one (assumption, at its low end for an organisation whose income is mostly earned)
    min_members: int = 3  # fewer people served than this, for closure_weeks, and the group folds
    service_weeks: int = 26  # a referred resident is supported for six months (DOMAIN's outcome)
    service_dropout: float = 0.25  # share of clients who withdraw before the support period ends
    # (spread evenly over it as a weekly hazard). Controlled trials of befriending and social
    # prescribing report about a quarter of participants withdrawing (issue 15, item 5); 0 switches
    # withdrawal off (model version <= 5, when every client stayed the full period)
    referral_adherence: float = 0.6  # share of residents referred into a group (social prescribing,
    # connectors) who do not give it up within the support period (service_weeks; a constant weekly
    # hazard), unless they start volunteering there; ordinary leaving and closures go on besides,
    # so about 0.54-0.56 are still members at its end (town, 3 seeds: partnership 203 of 376,
    # community development 78 of 140). Those who keep going are members like any other. Social
    # prescribing schemes report adherence of ~40% to ~85% (Pescheny, Randhawa & Pappas 2020, BMJ
    # Open); 0.6 is towards the low end for residents who are lonely, like referral_uptake
    # (assumption). 1 switches it off (model version <= 10, when a referred resident stayed as long
    # as a member who joined by choice)
    intake_per_year: float = 4.0  # yearly chance rate at which a service with a free place finds a
    # lonely resident in its catchment (outreach); calibrated
    grant_writing_skill: float = 0.4  # mean bid-writing strength of local groups (0-1)
    consortium_min_collaborations: int = 2  # collaboration ties a group needs to lead a consortium
    local_share: float = 0.85  # share of residents' choices of a group (joining, and the supply of
    # places they count) made in their own neighbourhood; the rest anywhere in the place.
    # Assumption: most participation is within walking distance (issue 15, item 9: was a constant)
    referral_local_share: float = 0.95  # the same for referrals and services, which a link worker or
    # a scheme matches to the resident's own neighbourhood almost always (assumption)
    visit_weekly_prob: float = 0.9  # a client gets the week's visit: a volunteer misses about one
    # week in ten (holidays, illness; assumption)
    sector_trust_recovery_per_year: float = 0.1  # each year residents' trust in local groups regains
    # this share of what closures took from it (assumption: a lost group is forgotten over ~10 years)
    funders: FunderParams = field(default_factory=FunderParams)  # awards from outside the place


