"""The whole parameter set and its checks: structure, ranges and upper bounds, and which settings act
in which configuration."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from model.params.base import AGE_BANDS, GROUP_KINDS, LONELY_HISTORY_WEEKS, WEEKS_PER_YEAR, ConfigError
from model.params.people import GroupParams, PlaceParams, ResidentParams, TieParams
from model.params.policy import (
    FUNDING_PATHS,
    GRANT_RULES,
    MIXTURES,
    REGIME_NAMES,
    CouncilParams,
    FundingParams,
    ProviderParams,
    RegimeParams,
)

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
    _check(p.record_every_weeks >= 1 and WEEKS_PER_YEAR % p.record_every_weeks == 0,
           f"record_every_weeks must divide {WEEKS_PER_YEAR} (1, 2, 4, 13, 26 or 52), so that a year's "
           f"records end with its budget year (got {p.record_every_weeks})")
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
    _check(1 <= p.groups.funders.term_years <= 10, "groups.funders.term_years must be in 1..10")
    _check(0 < r.tender.payment_ratio <= 2, "regime.tender.payment_ratio must be in (0, 2]")
    _check(0 <= r.outcomes.measurement_error <= 0.5, "regime.outcomes.measurement_error must be in [0, 0.5]")
    _check_tenders_can_spend(p)
    _check(p.council.officer_capacity >= 1,
           f"council.officer_capacity must be at least 1 (got {p.council.officer_capacity})")
    kinds = p.groups.kinds
    for k in kinds:
        _check(k in GROUP_KINDS, f"groups.kinds has unknown kind '{k}'; allowed: {', '.join(GROUP_KINDS)}")
    _check(sum(kp.share for kp in kinds.values()) > 0, "groups.kinds shares must not all be zero")
    for k, kp in kinds.items():
        _check(k == "community_hub" or kp.trading_per_year == 0,
               f"groups.kinds.{k}.trading_per_year must be 0: only community hubs trade (other kinds' small "
               "trading is in groups.fundraising_cover)")
    _check("community_hub" not in kinds or kinds["community_hub"].share == 0,
           "groups.kinds.community_hub.share must be 0: hubs are placed at the start by "
           "groups.hubs_per_10k_adults, never drawn by share or founded")
    hubs = p.groups.hubs_per_10k_adults * p.place.n_residents / 10_000
    _check(p.place.n_groups + hubs <= UPPER["place.n_groups"],
           f"place.n_groups plus the community hubs (groups.hubs_per_10k_adults x adults / 10,000 = "
           f"{hubs:,.0f}) must be at most {UPPER['place.n_groups']:,.0f}")
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


def _check_tenders_can_spend(p: Params) -> None:
    """A tendered instrument must be able to spend its share: each of its lots (the instrument's own
    ``lots`` rule) buys at least one place at the council's reference price (regime.tender.payment_ratio
    x the local unit cost). The investor's portfolio is not let as a contract."""
    from model.regimes import INSTRUMENTS  # (the regimes import the parameters: read at check time)
    from model.regimes.tender import _TenderBase

    r = p.regime
    price = r.tender.payment_ratio * p.providers.local_unit_cost_per_client_per_year
    budget = p.council.budget_per_resident_per_year * p.place.n_residents
    for name, w in r.instrument_weights().items():
        cls = INSTRUMENTS.get(name)
        tendered = cls is not None and issubclass(cls, _TenderBase)
        if not tendered or (name == "outcomes_based" and r.outcomes.investor) or w <= 0 or budget <= 0:
            continue
        value = budget * w
        lots = cls.lots(r, value)
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
    hub_setting = key.startswith("groups.kinds.community_hub.") or key == "groups.reserves_policy_weeks"
    if hub_setting and p.groups.hubs_per_10k_adults <= 0:
        return f"{key} has no effect when groups.hubs_per_10k_adults is 0 (no community hubs)"
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
    "volunteer_approach_per_year",
    "grant_writing_skill", "relationship_initial", "relationship_churn_loss", "quality",
    "tie_formation_factor", "staff_turnover_per_year", "social_value_weight", "shock_size", "price_weight",
    "service_dropout", "referral_adherence", "referral_uptake", "route_floor", "introduction_detection", "placement_conversion", "visit_tie_per_week",
    "sector_trust_recovery_per_year", "group_meet_prob", "lonely_alter_contact", "apply_per_year",
    "repeat_factor",
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
    "median_award_per_year", "trading_per_year",
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
    "council.observation_delay_weeks": LONELY_HISTORY_WEEKS,  # the model keeps this many weeks of
    # each neighbourhood's lonely share, whatever the burn-in's delay (a study's longer delay read a
    # reading only the burn-in's 26 weeks old up to model version 15)
    "providers.n_bidders": 1_000,  # each bidder is an agent scored at every tender
    "groups.hubs_per_10k_adults": 100.0,  # one hub per hundred adults, a building to every street
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


