"""The council, outside providers, the funding path and the regimes' settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    call_weekly_prob: float = 0.85  # a client gets the week's call, before caseworker turnover
    # (assumption: calls are scheduled but a standardised service misses some)
    signpost_prob: float = 0.1  # x tie_formation_factor: a call's weekly chance of signposting the
    # client to a local group (assumption)
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
    investor: bool = False  # investor in outcomes: fund a portfolio up front, and a year later pay
    # its groups payment_per_outcome for each verified recovery among the lonely residents they
    # served (read with measurement_error, as a discharge is). Up to model version 12 the reward
    # followed the year's fall in the council's area reading (noise sd 0.01, a point): 81% of it was
    # paid for noise (town, 6 seeds: GBP 90k a decade with the reading's noise, 17.6k without)
    portfolio_share: float = 0.6  # investor: share paid up front to a portfolio of local groups


@dataclass(slots=True)
class CommunityDevParams:
    connector_cost_per_year: float = 30_000.0  # a community builder hosted locally (ABCD Leeds)
    max_connectors: int = 4  # at most one per two neighbourhoods in the town
    brokering_per_year: float = 1.0  # new collaborations a connector brokers a year at full skill
    seeding_boost: float = 1.0  # founding-rate multiplier added per connector-neighbourhood
    skill_years: float = 3.0  # years in post to reach full effectiveness ("seeds to trees")
    introductions_per_year: float = 50.0  # residents a full-time connector at full skill introduces
    # to a group in a year: about one a week beside the brokering and seeding work (assumption;
    # ABCD community builders log their connections, but no published rate is comparable)
    introduction_detection: float = 0.6  # share of introductions that find a lonely resident (the
    # rest any resident): a connector knows the street better than a GP's link worker does
    # (regime.partnership.detection_prob 0.5; assumption)
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


