"""Social-value tender: a tender whose score rewards strengthening the local ecosystem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.params import RegimeParams
from model.regimes import instrument
from model.regimes.tender import _TenderBase

if TYPE_CHECKING:
    from model.model import CommunityModel


@instrument("social_value", label="Social-value tender", order=6,
            description="A tender that rewards subcontracting to and investing in local groups.",
            streams=("tender",))
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
        if not partners:  # nobody local to pass it to: the provider delivers that share itself and
            # keeps its payment (up to model version 15 the ledger recorded it and nobody received it)
            model.ledger("outside_providers", amount)
            self.contract.provider.reserves += amount
            return
        for g in partners:
            model.pay(g, "contracts", amount / len(partners))

