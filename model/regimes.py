"""Commissioning regimes: pluggable policy objects with one lifecycle.

An *instrument* is one way the council spends money (grants, a tender, ...). A *regime* is a
weighted set of instruments sharing the council's yearly budget; a single-instrument regime has
weight 1. Every instrument has the same lifecycle, called by the model:

``setup(model)``                once, when the regime starts (after burn-in)
``yearly(model, budget)``       at the start of each budget year, with this instrument's share
``weekly(model)``               every week, after residents and groups have acted
``teardown(model)``             when the regime is replaced (end of burn-in)

Adding a regime is a new class decorated with ``@instrument("name")`` plus a YAML file in
``configs/regime/``; its name must also be listed in ``model.params.REGIME_NAMES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from model.params import WEEKS_PER_YEAR, RegimeParams

if TYPE_CHECKING:
    from model.agents import CommunityGroup, OutsideProvider
    from model.model import CommunityModel

INSTRUMENTS: dict[str, type[Instrument]] = {}


def instrument(name: str, *, label: str, description: str, order: int):
    """Register an instrument under ``name`` with the words every table, figure and the workshop
    use for it (``label``: a short plain name; ``description``: one plain sentence) and its place in
    the fixed display and colour order (``order``)."""

    def register(cls: type[Instrument]) -> type[Instrument]:
        cls.name, cls.label, cls.description, cls.order = name, label, description, order
        INSTRUMENTS[name] = cls
        return cls

    return register


class Instrument:
    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    order: ClassVar[int] = 0

    def __init__(self, params: RegimeParams, weight: float) -> None:
        self.params = params
        self.weight = weight

    def setup(self, model: CommunityModel) -> None:  # noqa: B027 (optional hook)
        pass

    def yearly(self, model: CommunityModel, budget: float) -> None:  # noqa: B027
        pass

    def weekly(self, model: CommunityModel) -> None:  # noqa: B027
        pass

    def teardown(self, model: CommunityModel) -> None:  # noqa: B027
        pass


# Named configurations of the instruments (a config file in configs/regime/ that is not a single
# instrument with its defaults): the words and display order for each.
NAMED_REGIMES: dict[str, tuple[str, str, int]] = {
    "investor_outcomes": ("Investor in outcomes",
                          "The council funds a portfolio of local groups and rewards area-wide improvement.", 4),
    "status_quo": ("Status quo", "Some grants plus one tendered contract (the usual mix).", 8),
    "mixture": ("Mixture", "A weighted mix of instruments given on the command line.", 9),
}


def _info(name: str) -> tuple[str, str, int] | None:
    if name in INSTRUMENTS:
        c = INSTRUMENTS[name]
        return c.label, c.description, c.order
    return NAMED_REGIMES.get(name)


def regime_label(name: str) -> str:
    """The short plain name of a regime (an instrument or a named configuration) for figures and
    tables; an unknown name is returned as it is."""
    info = _info(str(name))
    return info[0] if info else str(name)


def regime_description(name: str) -> str:
    """One plain sentence on what the council does under the regime ('' when unknown)."""
    info = _info(str(name))
    return info[1] if info else ""


def regime_order(names) -> list[str]:
    """The names in the fixed display and colour order (known regimes first, the rest alphabetically),
    each once."""
    present = list(dict.fromkeys(str(r) for r in names))
    known = sorted((r for r in present if _info(r)), key=lambda r: _info(r)[2])
    return known + sorted(r for r in present if not _info(r))


def all_regimes() -> list[str]:
    """Every regime a user can choose, in display order."""
    return regime_order([*INSTRUMENTS, *NAMED_REGIMES])


class Regime:
    """The council's regime: instruments with budget shares."""

    def __init__(self, params: RegimeParams) -> None:
        self.params = params
        self.instruments = [INSTRUMENTS[n](params, w) for n, w in params.instrument_weights().items()]

    @property
    def name(self) -> str:
        return self.params.name

    def setup(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            ins.setup(model)

    def yearly(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            ins.yearly(model, model.council.budget * ins.weight)

    def weekly(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            ins.weekly(model)

    def teardown(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            ins.teardown(model)


@instrument("none", label="No funding", order=0,
            description="The council funds nothing: the community on its own.")
class NoFunding(Instrument):
    """No funding: the community on its own (the counterfactual)."""


# ----------------------------------------------------------------------------------------------
# Grants
# ----------------------------------------------------------------------------------------------


@instrument("grants", label="Grants", order=1,
            description="Small yearly grants to local groups.")
class Grants(Instrument):
    """Small grants to local groups in a yearly round: equal, need-based, competitive or core."""

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.core: dict[int, int] = {}  # gid -> last year of its multi-year core grant

    def yearly(self, model: CommunityModel, budget: float) -> None:
        g = self.params.grants
        rng = model.streams["grants"]
        applicants = [grp for grp in model.active_groups() if grp.kind != "volunteer_centre"]
        if not applicants or budget <= 0:
            return
        slots = model.params.council.officer_capacity * 4  # small grants are light to administer
        if g.rule == "core":
            self.core = {gid: end for gid, end in self.core.items()
                         if end >= model.year and model.group_by_gid(gid).active}
            free = [a for a in applicants if a.gid not in self.core]
            n_new = max(0, min(slots, len(applicants)) - len(self.core))
            order = sorted(free, key=lambda a: -(a.trust + 0.1 * rng.random()))
            for a in order[:n_new]:
                self.core[a.gid] = model.year + g.core_years - 1
            funded = [model.group_by_gid(gid) for gid in sorted(self.core)]
            amounts = np.full(len(funded), min(g.max_grant, budget / max(1, len(funded))))
        else:
            if g.rule == "competitive":
                skill = model.params.groups.grant_writing_skill
                score = np.array([a.trust + skill * rng.random() for a in applicants])
                n = max(1, int(round(g.competitive_share * len(applicants))))
                pick = np.argsort(-score, kind="stable")[: min(n, slots)]
                funded = [applicants[k] for k in pick]
                amounts = np.full(len(funded), min(g.max_grant, budget / len(funded)))
            else:
                if len(applicants) > slots:
                    pick = np.sort(rng.choice(len(applicants), size=slots, replace=False))
                    applicants = [applicants[k] for k in pick]
                funded = applicants
                if g.rule == "need_based":
                    need = np.array([model.observed_lonely_share(a.nbhd) for a in funded]) + 1e-3
                    amounts = np.minimum(g.max_grant, budget * need / need.sum())
                else:  # equal
                    amounts = np.full(len(funded), min(g.max_grant, budget / len(funded)))
        for grp, amount in zip(funded, amounts, strict=True):
            model.pay(grp, "grants", float(amount))


# ----------------------------------------------------------------------------------------------
# Tenders: competitive, social value, and the holder of an outcomes contract
# ----------------------------------------------------------------------------------------------


class _Contract:
    """A service contract held by one or more local groups or by an outside provider."""

    __slots__ = ("holders", "provider", "places", "value", "end_year", "subcontract_share")

    def __init__(self, holders: list[CommunityGroup], provider: OutsideProvider | None, places: int,
                 value: float, end_year: int, subcontract_share: float = 0.0) -> None:
        self.holders = holders
        self.provider = provider
        self.places = places
        self.value = value
        self.end_year = end_year
        self.subcontract_share = subcontract_share


class _TenderBase(Instrument):
    """Shared tender machinery: eligibility, bids, scoring, award, delivery and contract end."""

    social_value_weight = 0.0

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.contract: _Contract | None = None

    # -- bidding -------------------------------------------------------------------------------
    def _local_bidders(self, model: CommunityModel, value: float) -> list[list[CommunityGroup]]:
        """Eligible local bids for a contract worth ``value`` a year: single groups over the
        thresholds, and consortia led by groups with strong collaboration ties (their combined
        turnover and reserves count). Thresholds scale with the contract's value."""
        t = self.params.tender
        min_turnover = t.min_turnover_ratio * value
        min_reserves = t.min_reserves_weeks * value / WEEKS_PER_YEAR
        bids: list[list[CommunityGroup]] = []
        deliverers = [g for g in model.active_groups() if g.kp.visits and g.contract_places == 0]
        for g in deliverers:
            if g.turnover_last_year >= min_turnover and g.reserves >= min_reserves:
                bids.append([g])
            elif model.collaboration_count(g.gid) >= model.params.groups.consortium_min_collaborations:
                members = [g] + [p for p in model.collaborators(g) if p.kp.visits and p.contract_places == 0]
                turnover = sum(m.turnover_last_year for m in members)
                reserves = sum(max(0.0, m.reserves) for m in members)
                if len(members) >= 2 and turnover >= min_turnover and reserves >= min_reserves:
                    bids.append(members)
        return bids

    def _score(self, model: CommunityModel, rng: np.random.Generator, price: np.ndarray,
               quality: np.ndarray, skill: np.ndarray, social: np.ndarray) -> np.ndarray:
        t = self.params.tender
        price_score = price.min() / price
        sv = self.social_value_weight
        base = (1 - sv) * (t.price_weight * price_score + (1 - t.price_weight) * quality) + sv * social
        return base + 0.15 * (skill - 0.5) + 0.05 * rng.standard_normal(price.size)

    def award(self, model: CommunityModel, value: float, years: int) -> None:
        t = self.params.tender
        p = model.params.providers
        rng = model.streams["tender"]
        ref_price = t.payment_ratio * p.local_unit_cost_per_client_per_year
        local = self._local_bidders(model, value)
        providers = model.providers
        prices, quality, skill, social = [], [], [], []
        for members in local:
            prices.append(ref_price)
            q = np.mean([0.3 + 0.5 * m.trust + 0.2 * min(1.0, model.collaboration_count(m.gid) / 3)
                         for m in members])
            quality.append(q)
            skill.append(model.params.groups.grant_writing_skill)
            social.append(1.0)
        for prov in providers:
            prices.append(min(ref_price, 1.15 * p.unit_cost_per_client_per_year))
            quality.append(prov.quality)
            skill.append(prov.bid_strength)
            social.append(self._provider_social_value())
        if not prices or value <= 0:
            return
        scores = self._score(model, rng, np.array(prices), np.array(quality), np.array(skill),
                             np.array(social))
        best = int(np.argmax(scores))
        price = prices[best]
        places = int(value / price)
        if places < 1:
            return
        end_year = model.year + years - 1
        if best < len(local):
            members = local[best]
            share_places = np.array_split(np.arange(places), len(members))
            for m, chunk in zip(members, share_places, strict=True):
                m.contract_places = len(chunk)
                m.contract_payment_per_week = value / WEEKS_PER_YEAR * len(chunk) / places
            self.contract = _Contract(members, None, places, value, end_year)
            who = members[0].name + (f" with {len(members) - 1} partners" if len(members) > 1 else "")
        else:
            prov = providers[best - len(local)]
            prov.contract_places = places
            prov.contract_payment_per_week = value / WEEKS_PER_YEAR
            prov.subcontract_share = self._provider_social_value()
            self.contract = _Contract([], prov, places, value, end_year, prov.subcontract_share)
            who = "an outside provider"
        model.log_event(f"the council awarded the {self.name.replace('_', ' ')} contract to {who} "
                        f"({places} places, {years} year{'s' if years > 1 else ''})")

    def _provider_social_value(self) -> float:
        return 0.0

    def end_contract(self, model: CommunityModel) -> None:
        c = self.contract
        if c is None:
            return
        for m in c.holders:
            m.contract_places = 0
            m.contract_payment_per_week = 0.0
            model.council.funded_this_year.discard(m.gid)
        if c.provider is not None:
            c.provider.contract_places = 0
            c.provider.contract_payment_per_week = 0.0
            c.provider.subcontract_share = 0.0
            model.discharge_provider_clients(c.provider)
            model.log_event("an outside provider's contract ended: it left, taking its staff with it")
        self.contract = None

    # -- lifecycle -----------------------------------------------------------------------------
    def _holder_gone(self) -> bool:
        c = self.contract
        return c is not None and c.provider is None and all(not m.active for m in c.holders)

    def _rescale(self, budget: float) -> None:
        """A running contract is varied to this year's budget (cuts reach contracts too): places
        and payments scale with the value."""
        c = self.contract
        if c is None or c.value <= 0 or abs(budget - c.value) < 1e-9:
            return
        f = budget / c.value
        for m in c.holders:
            m.contract_places = int(m.contract_places * f)
            m.contract_payment_per_week *= f
        if c.provider is not None:
            c.provider.contract_places = int(c.provider.contract_places * f)
            c.provider.contract_payment_per_week *= f
        c.places, c.value = int(c.places * f), budget

    def yearly(self, model: CommunityModel, budget: float) -> None:
        c = self.contract
        if c is not None and (c.end_year < model.year or self._holder_gone()):
            self.end_contract(model)
        self._rescale(budget)
        if self.contract is None:
            self.award(model, budget, self.params.tender.contract_years)
        c = self.contract
        if c is not None:
            for m in c.holders:
                model.council.funded_this_year.add(m.gid)

    def weekly(self, model: CommunityModel) -> None:
        c = self.contract
        if c is None:
            return
        if c.provider is not None:
            pay = c.provider.contract_payment_per_week
            sub = pay * c.subcontract_share
            model.ledger("outside_providers", pay - sub)
            if sub > 0:
                self._pay_subcontractors(model, sub)
        else:
            live = [m for m in c.holders if m.active]
            for m in live:
                model.ledger("local_groups", m.contract_payment_per_week)

    def _pay_subcontractors(self, model: CommunityModel, amount: float) -> None:
        pass

    def teardown(self, model: CommunityModel) -> None:
        self.end_contract(model)


@instrument("competitive_tender", label="Competitive tender", order=2,
            description="A befriending service contract tendered on price and quality.")
class CompetitiveTender(_TenderBase):
    """One befriending contract scored on price and quality, with eligibility thresholds."""


@instrument("social_value", label="Social-value tender", order=6,
            description="A tender that rewards subcontracting to and investing in local groups.")
class SocialValueTender(_TenderBase):
    """A tender whose score rewards strengthening the local ecosystem; an outside winner must
    subcontract part of the value to local groups and invest in local capacity."""

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.social_value_weight = params.social_value.social_value_weight

    def _provider_social_value(self) -> float:
        return self.params.social_value.subcontract_share

    def yearly(self, model: CommunityModel, budget: float) -> None:
        sv = self.params.social_value
        capacity = budget * sv.capacity_share
        super().yearly(model, budget - capacity)
        # capacity investment, every year of the contract: small grants to local groups that run
        # activities or visits
        targets = [g for g in model.active_groups() if g.kp.visits or g.kp.activities]
        if targets and capacity > 0 and self.contract is not None:
            for g in targets:
                model.pay(g, "grants", capacity / len(targets))

    def _pay_subcontractors(self, model: CommunityModel, amount: float) -> None:
        partners = [g for g in model.active_groups() if g.kp.visits]
        if not partners:
            model.ledger("outside_providers", amount)  # nobody local to pass it to
            return
        for g in partners:
            model.pay(g, "contracts", amount / len(partners))


# ----------------------------------------------------------------------------------------------
# Outcomes-based payment
# ----------------------------------------------------------------------------------------------


@instrument("outcomes_based", label="Payment by outcomes", order=3,
            description="A contract that pays only for verified outcomes, in arrears.")
class OutcomesBased(_TenderBase):
    """Payment in arrears for verified outcomes (a referred resident no longer lonely after six
    months), with measurement noise. The provider carries the delivery cost up front.

    Investor-in-outcomes variant (``regime.outcomes.investor``): the council funds a portfolio of
    local groups up front and rewards area-level improvement at the year's end.
    """

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.pot = 0.0  # outcome payments left this year
        self.last_observed: float | None = None
        self.portfolio: list[int] = []

    def yearly(self, model: CommunityModel, budget: float) -> None:
        o = self.params.outcomes
        if o.investor:
            self._investor_year(model, budget)
            return
        # contracts carry no guaranteed payment: places are sized as for a tender
        c = self.contract
        if c is not None and (c.end_year < model.year or self._holder_gone()):
            self.end_contract(model)
        self.pot = budget
        if self.contract is None:
            self.award(model, budget, self.params.tender.contract_years)
            for m in (self.contract.holders if self.contract else []):
                m.contract_payment_per_week = 0.0  # paid only for outcomes
            if self.contract and self.contract.provider is not None:
                self.contract.provider.contract_payment_per_week = 0.0

    def _investor_year(self, model: CommunityModel, budget: float) -> None:
        o = self.params.outcomes
        groups = [g for g in model.active_groups() if g.kp.visits or g.kp.activities]
        # reward last year's improvement in the council's (noisy, delayed) reading of loneliness
        observed = model.observed_lonely_share(None)
        reward_pot = budget * (1 - o.portfolio_share)
        live = [model.group_by_gid(gid) for gid in self.portfolio if model.group_by_gid(gid).active]
        if self.last_observed is not None and live:
            improvement = max(0.0, self.last_observed - observed)
            share = min(1.0, improvement / 0.01)  # a 1-point fall earns the whole reward pot
            for g in live:
                model.pay(g, "outcome_payments", reward_pot * share / len(live))
        self.last_observed = observed
        # fund the portfolio up front: groups ranked by trust and reach, capped by officer capacity
        order = sorted(groups, key=lambda g: -(g.trust + g.n_members / 100))
        chosen = order[: model.params.council.officer_capacity * 2]
        self.portfolio = [g.gid for g in chosen]
        if chosen:
            for g in chosen:
                model.pay(g, "grants", budget * o.portfolio_share / len(chosen))

    def weekly(self, model: CommunityModel) -> None:
        pass  # payments happen at verification (model.verify_outcome)

    def verify(self, model: CommunityModel, holder_gid: int | None, provider_pid: int | None,
               lonely_now: bool) -> None:
        """Called when a client of this contract's holder is discharged after six months."""
        o = self.params.outcomes
        if o.investor or self.contract is None:
            return
        rng = model.streams["outcomes"]
        u_err, u_share = rng.random(), rng.random()
        if holder_gid is not None:
            # a holder group also visits people outside the contract: only the contract's share of
            # its places counts
            g = model.group_by_gid(holder_gid)
            if u_share >= g.contract_places / max(1.0, model.visit_places_of(g)):
                return
        success = (not lonely_now) != (u_err < o.measurement_error)
        if not success or self.pot < o.payment_per_outcome:
            return
        self.pot -= o.payment_per_outcome
        if provider_pid is not None:
            model.ledger("outside_providers", o.payment_per_outcome)
            model.providers[provider_pid].reserves += o.payment_per_outcome
        elif holder_gid is not None:
            model.pay(model.group_by_gid(holder_gid), "outcome_payments", o.payment_per_outcome)


# ----------------------------------------------------------------------------------------------
# Community development
# ----------------------------------------------------------------------------------------------


@instrument("community_development", label="Community development", order=5,
            description="Connectors who broker collaboration, seed groups and give rooms and admin support.")
class CommunityDevelopment(Instrument):
    """Long-haul asset-based support: connectors, brokering, seeding, in-kind support."""

    def yearly(self, model: CommunityModel, budget: float) -> None:
        cd = self.params.community_development
        in_kind = budget * cd.in_kind_share
        nb = model.params.place.n_neighbourhoods
        # connector posts (full-time equivalents); when the money does not stretch to a whole post,
        # the last one is part-time, so every pound of the budget is used
        fte = min(float(cd.max_connectors), float(nb), (budget - in_kind) / cd.connector_cost_per_year)
        posts = int(np.ceil(fte - 1e-9))
        # connectors stay in the same neighbourhoods year after year (continuity builds skill)
        covered = [int(k * nb / posts) for k in range(posts)]
        new_fte = np.zeros(nb)
        for k, where in enumerate(covered):
            new_fte[where] = min(1.0, fte - k)
        model.connector_years = np.where(new_fte > 0, model.connector_years + 1.0, 0.0)
        model.connector_fte = new_fte
        # connectors are council staff (community builders), so not money reaching local groups
        model.ledger("in_house", fte * cd.connector_cost_per_year)
        # in-kind support: the council covers running costs (rooms, admin time) of groups in the
        # covered neighbourhoods (of all groups if no neighbourhood is covered)
        covered_set = set(covered)
        for g in model.active_groups():
            g.in_kind, g.in_kind_per_week = False, 0.0
        targets = [g for g in model.active_groups() if g.nbhd in covered_set] or model.active_groups()
        if in_kind > 0:
            for g in targets:
                g.in_kind, g.in_kind_per_week = True, in_kind / len(targets) / WEEKS_PER_YEAR
                g.receive_in_kind(in_kind / len(targets))
                model.ledger("local_groups", in_kind / len(targets))
                model.council.funded_this_year.add(g.gid)

    def teardown(self, model: CommunityModel) -> None:
        model.connector_years[:] = 0.0
        model.connector_fte[:] = 0.0
        for g in model.active_groups():
            g.in_kind, g.in_kind_per_week = False, 0.0


# ----------------------------------------------------------------------------------------------
# Partnership: social prescribing and a volunteer centre
# ----------------------------------------------------------------------------------------------


@instrument("partnership", label="Partnership", order=7,
            description="GP link workers refer lonely residents to local groups; a volunteer centre brokers volunteers.")
class Partnership(Instrument):
    """Link workers refer lonely residents to local groups; a volunteer centre brokers volunteers."""

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.link_workers = 0.0  # full-time equivalents (the last post may be part-time)

    def yearly(self, model: CommunityModel, budget: float) -> None:
        pp = self.params.partnership
        vc_budget = budget * pp.volunteer_centre_share
        self.link_workers = (budget - vc_budget) / pp.link_worker_cost_per_year
        model.ledger("in_house", self.link_workers * pp.link_worker_cost_per_year)
        centres = [g for g in model.active_groups() if g.kind == "volunteer_centre"]
        if not centres and vc_budget > 0:
            centres = [model.found_group("volunteer_centre", nbhd=0, reason="the council funded a volunteer centre",
                                         rng=model.streams["partnership"])]
        for c in centres:
            model.pay(c, "grants", vc_budget / len(centres))
        # brokerage grows with the centre's funding, up to a fully funded centre
        model.brokerage = pp.brokerage_boost * min(1.0, vc_budget / pp.volunteer_centre_grant) if centres else 0.0

    def weekly(self, model: CommunityModel) -> None:
        if model.brokerage > 0 and not any(g.kind == "volunteer_centre" for g in model.active_groups()):
            model.brokerage = 0.0  # the centre closed
        if self.link_workers <= 0:
            return
        pp = self.params.partnership
        rng = model.streams["partnership"]
        rate = self.link_workers * pp.referrals_per_link_worker_per_year / WEEKS_PER_YEAR
        k = int(rng.poisson(rate * (0.5 + model.council.relationship)))
        model.refer(k, pp.detection_prob, rng)

    def teardown(self, model: CommunityModel) -> None:
        model.brokerage = 0.0
        self.link_workers = 0.0
