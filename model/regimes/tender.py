"""Tenders: the shared machinery of a tendered service contract (eligibility, bids, scoring, award,
delivery, contract end), and the competitive tender itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.params import WEEKS_PER_YEAR, RegimeParams
from model.regimes import Instrument, instrument

if TYPE_CHECKING:
    from model.agents import CommunityGroup, OutsideProvider
    from model.model import CommunityModel


class Contract:
    """A service contract an instrument holds: with one or more local groups (each with its own
    places and weekly payment) or with an outside provider. The contract is the truth; what a
    group or a provider holds in all is the sum over its contracts (``model.contracts_changed``)."""

    __slots__ = ("holders", "holder_places", "holder_payments", "provider", "places", "payment_per_week",
                 "value", "end_year", "subcontract_share", "terms")

    def __init__(self, holders: list[CommunityGroup], provider: OutsideProvider | None, places: int,
                 value: float, end_year: int, subcontract_share: float = 0.0) -> None:
        self.holders = holders
        self.holder_places: list[int] = [0] * len(holders)  # each holder's share of the places
        self.holder_payments: list[float] = [0.0] * len(holders)  # and of the payment (GBP a week)
        self.provider = provider
        self.places = places
        self.payment_per_week = 0.0  # to the provider
        self.value = value
        self.end_year = end_year
        self.subcontract_share = subcontract_share
        self.terms: tuple = ()  # as awarded: value, places, holders' places and payments, payment

    def fix_terms(self) -> None:
        """Keep the terms as awarded: a running contract is varied from them (``_rescale``)."""
        self.terms = (self.value, self.places, tuple(self.holder_places), tuple(self.holder_payments),
                      self.payment_per_week)

    def places_of(self, gid: int) -> int:
        """The places a holder group serves under this contract (0 if it is not a holder)."""
        return sum(k for g, k in zip(self.holders, self.holder_places, strict=True) if g.gid == gid)


class _TenderBase(Instrument):
    """Shared tender machinery: eligibility, bids, scoring, award, delivery and contract end."""

    social_value_weight = 0.0

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.contract: Contract | None = None
        self.last_winner: tuple | None = None  # who won this instrument's last award (for re-tenders)

    @classmethod
    def lots(cls, params: RegimeParams, value: float) -> int:
        """The tendered budget is let in lots of about ``regime.tender.lot_value`` (one if 0)."""
        lot = params.tender.lot_value
        return max(1, int(round(value / lot))) if lot > 0 else 1

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
            self.contract = c = Contract(members, None, places, value, end_year)
            for k, chunk in enumerate(share_places):
                c.holder_places[k] = len(chunk)
                c.holder_payments[k] = value / WEEKS_PER_YEAR * len(chunk) / places
            winner = ("groups", tuple(m.gid for m in members))
            about = {"nbhd": members[0].nbhd, "actor": members[0].kind, "gid": members[0].gid,
                     "partners": len(members) - 1}
        else:
            prov = providers[best - len(local)]
            self.contract = c = Contract([], prov, places, value, end_year, self._provider_social_value())
            c.payment_per_week = value / WEEKS_PER_YEAR
            winner = ("provider", prov.pid)
            about = {"nbhd": None, "actor": "outside_provider", "provider": prov.pid}
        self._after_award(self.contract)
        self.contract.fix_terms()
        model.contracts_changed()
        previous, self.last_winner = self.last_winner, winner
        model.record_event("contract_awarded", instrument=self.name, places=places, years=years,
                           retender=previous is not None,
                           same_provider=None if previous is None else previous == winner, **about)

    def _provider_social_value(self) -> float:
        return 0.0

    def _after_award(self, c: Contract) -> None:
        """A variant's change to the terms of a contract just awarded (none here)."""

    def contracts(self) -> list[Contract]:
        return [self.contract] if self.contract is not None else []

    def end_contract(self, model: CommunityModel, announce: bool = True, cause: str = "",
                     keep_clients: bool = False) -> None:
        """The contract ends (``cause``: why, when it ends early); ``announce=False`` winds it up
        silently (the burn-in's arrangements, replaced at the start of the study, are not news).
        ``keep_clients``: its holders' clients are not released yet (the lot is tendered again at
        once; :meth:`_release` releases them if the holder did not win it back). Released, an
        outside provider that holds no contract here leaves with its clients, and a local holder
        keeps only the clients its own visiting places carry (``trim_clients``)."""
        c = self.contract
        if c is None:
            return
        # (its holders stay among the groups the council funded this year: they were paid this
        # year, or another instrument has paid them already; up to model version 12 they were
        # struck off, so a group given a grant the week its lot ended counted as funding lost)
        self.contract = None
        model.contracts_changed()
        if not keep_clients:
            self._release(model, c)
        if c.provider is not None:
            left = not c.provider.contracts  # its last contract here: it leaves with its clients
            if announce:
                model.record_event("contract_ended", None, "outside_provider", cause, instrument=self.name,
                                   provider=c.provider.pid, left=left)

    # -- lifecycle -----------------------------------------------------------------------------
    def _holder_gone(self) -> bool:
        c = self.contract
        return c is not None and c.provider is None and all(not m.active for m in c.holders)

    def _rescale(self, model: CommunityModel, budget: float) -> None:
        """A running contract is varied to this year's budget (cuts reach contracts too): places
        and payments are the award's, scaled by this year's value over the awarded value (up to
        model version 15 they were scaled from last year's rounded places, so over a few years a
        lot's price per place drifted, and a deep cut followed by a recovery multiplied the places
        kept by the one-place floor; a contract cut to nothing stayed at nothing)."""
        c = self.contract
        if c is None:  # (a contract whose budget did not move is set from its terms too, so that a
            # cap set since, e.g. an outcome contract's working capital, is applied afresh each year)
            return
        value, places, holder_places, holder_payments, payment = c.terms
        f = budget / value if value > 0 else 0.0

        def scaled(k: int) -> int:  # a holder still paid keeps at least one place (up to model
            # version 13 a deep cut could round its places to none while it was still paid, and a
            # group with no contract places receives no contract payment: money recorded, not paid)
            return max(1, int(k * f)) if k > 0 and f > 0 else 0

        for k, m in enumerate(c.holders):
            if m.active:  # (a closed holder serves nobody)
                c.holder_places[k] = scaled(holder_places[k])
                c.holder_payments[k] = holder_payments[k] * f
            else:
                c.holder_places[k], c.holder_payments[k] = 0, 0.0
        c.payment_per_week = payment * f
        c.places = scaled(places) if c.provider is not None else sum(c.holder_places)
        c.value = budget
        model.contracts_changed()
        # a holder whose places were cut keeps the clients they carry (up to model version 14 it
        # kept them all until their service ended, the ones over its places unpaid for)
        self._trim_holders(model, c)

    @staticmethod
    def _trim_holders(model: CommunityModel, c: Contract) -> None:
        """Each holder of ``c`` (its outside provider, or its open local holders) keeps only the
        clients its places now carry (``trim_clients``)."""
        for h in [c.provider] if c.provider is not None else [m for m in c.holders if m.active]:
            model.trim_clients(h)

    def _release(self, model: CommunityModel, previous: Contract | None) -> None:
        """The holders of a contract that ended, once the lot has been let again (or not at all): an
        outside provider that holds no contract here now leaves with its clients, one that won the
        lot again (or holds another) keeps those its places carry (issue 15, item 4); a local
        holder keeps the clients its visiting places now carry (its own, and the lot's if it won it
        again), the newest discharged early (up to model version 14 it kept them all, over its
        places, until their service ended)."""
        if previous is None:
            return
        if previous.provider is not None and not previous.provider.contracts:
            model.discharge_provider_clients(previous.provider)
        else:  # (a provider that won a lot again, or holds another; a local holder)
            self._trim_holders(model, previous)

    def yearly(self, model: CommunityModel, budget: float) -> None:
        c = self.contract
        previous = None
        if c is not None and (c.end_year < model.year or self._holder_gone()):
            previous = c
            self.end_contract(model, keep_clients=True)
        self._rescale(model, budget)
        if self.contract is None:
            self.award(model, budget, self.params.tender.contract_years)
        self._release(model, previous)
        c = self.contract
        if c is not None:
            for m in c.holders:
                model.council.funded_this_year.add(m.gid)

    def weekly(self, model: CommunityModel) -> None:
        c = self.contract
        if c is None:
            return
        if c.provider is not None:
            pay = c.payment_per_week
            sub = pay * c.subcontract_share
            model.ledger("outside_providers", pay - sub)
            if sub > 0:
                self._pay_subcontractors(model, sub)
        else:
            for m, pay in zip(c.holders, c.holder_payments, strict=True):
                if m.active:
                    model.ledger("local_groups", pay)

    def _pay_subcontractors(self, model: CommunityModel, amount: float) -> None:
        pass

    def teardown(self, model: CommunityModel) -> None:
        self.end_contract(model, announce=False)


@instrument("competitive_tender", label="Competitive tender", order=2,
            description="A befriending service contract tendered on price and quality.",
            streams=("tender",))
class CompetitiveTender(_TenderBase):
    """One befriending contract scored on price and quality, with eligibility thresholds."""

