"""Outcomes-based payment, and its investor-in-outcomes variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model.params import WEEKS_PER_YEAR, RegimeParams
from model.regimes import SharedDraws, instrument
from model.regimes.tender import Contract, _TenderBase
from model.residents import PROVIDER_BASE

if TYPE_CHECKING:
    from model.model import CommunityModel


def reads_recovered(recovered, u, error: float):
    """The verifier's reading of whether a resident has recovered (is no longer lonely): wrong when
    the uniform ``u`` falls below ``error`` (``regime.outcomes.measurement_error``). Works on a
    single value or on arrays."""
    return recovered != (u < error)


@instrument("outcomes_based", label="Payment by outcomes", order=3,
            description="A contract that pays only for verified outcomes, in arrears.",
            streams=("tender", "outcomes"))
class OutcomesBased(_TenderBase):
    """Payment in arrears for verified outcomes (a referred resident no longer lonely after six
    months), with measurement noise. The provider carries the delivery cost up front.

    Investor-in-outcomes variant (``regime.outcomes.investor``): the council funds a portfolio of
    local groups up front and, a year later, pays each for the verified recoveries of the lonely
    residents it was serving (a rate card on individual outcomes).
    """

    def __init__(self, params: RegimeParams, weight: float) -> None:
        super().__init__(params, weight)
        self.pot = 0.0  # outcome payments left this year
        self.capital = 0.0  # an outside holder's working capital for this contract (GBP)
        self.holder_capital: list[float] = []  # each local holder's working capital for it (GBP)
        self.portfolio: list[int] = []
        # the investor's cohort: residents lonely when the portfolio was funded, the group serving
        # each, and the week each arrived (to tell a resident who stayed from a newcomer in the slot)
        self.cohort: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def yearly(self, model: CommunityModel, budget: float) -> None:
        o = self.params.outcomes
        if o.investor:
            self._investor_year(model, budget)
            return
        # contracts carry no guaranteed payment: places are sized as for a tender
        c = self.contract
        previous = None
        if c is not None and (c.end_year < model.year or self._holder_gone()):
            previous = c
            self.end_contract(model, keep_clients=True)
        self.pot = budget
        if self.contract is None:
            self.award(model, budget, self.params.tender.contract_years)
            c = self.contract
            if c is not None and c.provider is not None:
                self.capital = o.working_capital_weeks * budget / WEEKS_PER_YEAR
            elif c is not None:
                self._fund_holders(model, c)
        else:
            # a running contract (``contract_years`` > 1) is varied to the budget as a tender's is;
            # the working capital its holders committed is theirs and stays (_limit_caseload then
            # caps places by it). Up to model version 14 only the pot followed the budget.
            self._rescale(model, budget)
        self._release(model, previous)
        self._limit_caseload(model)

    def _fund_holders(self, model: CommunityModel, c: Contract) -> None:
        """Local holders fund delivery up front too, from their own reserves: each commits at most
        ``working_capital_weeks`` of its share of the contract's yearly value, and no more than it
        holds (a group cannot lend itself money)."""
        wc = self.params.outcomes.working_capital_weeks
        self.holder_capital = [
            min(max(0.0, float(m.reserves)), wc * c.value * k / max(1, c.places) / WEEKS_PER_YEAR)
            for m, k in zip(c.holders, c.holder_places, strict=True)]

    def _place_cost(self, model: CommunityModel, local: bool = False) -> float:
        """What a holder spends on one place before its outcome can be paid: the unit cost (an
        outside provider's, or a local group's full cost) over the service period (payment comes
        at discharge)."""
        pv = model.params.providers
        unit = pv.local_unit_cost_per_client_per_year if local else pv.unit_cost_per_client_per_year
        return unit * model.params.groups.service_weeks / WEEKS_PER_YEAR

    def _limit_caseload(self, model: CommunityModel) -> None:
        """Every holder takes on only the places its working capital can carry until their
        outcomes are paid: an outside provider from the capital it puts up, a local group from the
        reserves it commits (``_fund_holders``)."""
        c = self.contract
        if c is None or self.params.outcomes.investor:
            return
        changed = False
        if c.provider is not None:
            cap = int(max(0.0, self.capital) / self._place_cost(model))
            if cap < c.places:
                c.places, changed = cap, True
        else:  # (holder_capital was set at this contract's award, _fund_holders)
            unit = self._place_cost(model, local=True)
            for k, capital in enumerate(self.holder_capital):
                cap = int(max(0.0, capital) / unit)
                if cap < c.holder_places[k]:
                    c.holder_places[k], changed = cap, True
            c.places = sum(c.holder_places)
        if changed:
            model.contracts_changed()
            self._trim_holders(model, c)  # a holder keeps the clients its capped places carry

    def weekly(self, model: CommunityModel) -> None:
        """Every holder's delivery this week is funded from its working capital; when that is
        spent it hands its part of the contract back (the rest of the pot goes unspent): an
        outside provider the whole contract, a local holder its own places."""
        c = self.contract
        if c is None or self.params.outcomes.investor:
            return
        if c.provider is not None:
            pv = c.provider
            served = min(pv.clients, pv.contract_places) * c.places / max(1, pv.contract_places)
            self.capital -= served * model.params.providers.unit_cost_per_client_per_year / WEEKS_PER_YEAR
            if self.capital < 0:
                self.end_contract(model, cause="working_capital")  # handed back
            return
        cost = model.params.providers.local_unit_cost_per_client_per_year / WEEKS_PER_YEAR
        gt = model.gt
        for k, m in enumerate(c.holders):
            if not m.active or c.holder_places[k] == 0:
                continue
            # this contract's places' part of the holder's contract clients (``contract_clients``),
            # the client-weeks its reserves pay for and in which a discharge is this contract's
            # outcome (_slice). Up to model version 13 the charge was the same but the outcomes' slice
            # was the contract's share of all the holder's visiting places, so about 40% of the
            # client-weeks charged could never earn an outcome; version 14 charged the capital by
            # that narrower slice while the reserves still paid for these.
            places = max(1, int(gt.contract_places[m.gid]))  # (all its contracts')
            served = float(model.contract_clients(m.gid)) * c.holder_places[k] / places
            self.holder_capital[k] -= served * cost
            if self.holder_capital[k] < 0:
                self._hand_back(model, k)
        if c.places == 0:  # every holder has handed its places back
            self.end_contract(model)

    def _hand_back(self, model: CommunityModel, k: int) -> None:
        """Local holder ``k`` hands its places back: the contract's clients it cannot carry on its
        own visiting places are discharged early (the newest first), as an outside provider's
        clients leave with it."""
        c = self.contract
        m = c.holders[k]
        c.holder_places[k] = 0
        c.places = sum(c.holder_places)
        model.contracts_changed()
        model.trim_clients(m)  # (its contract places are now gone)
        model.record_event("contract_ended", m.nbhd, m.kind, "working_capital", instrument=self.name, gid=m.gid,
                           left=False)

    @classmethod
    def lots(cls, params: RegimeParams, value: float) -> int:
        """Outcome contracts are let in lots like a tender; the investor funds one portfolio."""
        return 1 if params.outcomes.investor else super().lots(params, value)

    def _after_award(self, c: Contract) -> None:
        """Paid only for outcomes: the contract carries no weekly payment."""
        if not self.params.outcomes.investor:
            c.holder_payments = [0.0] * len(c.holders)
            c.payment_per_week = 0.0

    def _investor_year(self, model: CommunityModel, budget: float) -> None:
        o = self.params.outcomes
        groups = [g for g in model.active_groups() if g.kp.visits or g.kp.activities]
        self._reward_cohort(model, budget * (1 - o.portfolio_share))
        # fund the portfolio up front: groups ranked by trust and reach, capped by officer capacity
        order = sorted(groups, key=lambda g: -(g.trust + g.n_members / 100))
        chosen = order[: model.params.council.officer_capacity * 2]
        self.portfolio = [g.gid for g in chosen]
        if chosen:
            for g in chosen:
                model.pay(g, "grants", budget * o.portfolio_share / len(chosen))
        self.cohort = self._lonely_served(model, np.array(self.portfolio, dtype=np.int64))

    @staticmethod
    def _lonely_served(model: CommunityModel, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The residents lonely now whom the groups ``gids`` serve (members, or clients of a visit),
        each with one of those groups (a resident in two counts once, with the first found), as
        the groups' own assessments at the start would record them."""
        r, thr = model.res, model.params.residents.lonely_threshold
        m = model.members
        in_p = np.isin(m.grp, gids)
        clients = np.flatnonzero(np.isin(r.client_of, gids))
        res = np.concatenate([m.res[in_p], clients])
        grp = np.concatenate([m.grp[in_p], r.client_of[clients]]).astype(np.int64)
        lonely = r.loneliness[res] >= thr
        res, grp = res[lonely], grp[lonely]
        res, first = np.unique(res, return_index=True)
        return res, grp[first], r.arrived_week[res].copy()

    def _reward_cohort(self, model: CommunityModel, pot: float) -> None:
        """A year after the portfolio was funded, each resident of its cohort who still lives here
        and is no longer lonely is an outcome, read wrongly with probability ``measurement_error``
        (as a payment-by-outcomes discharge is); each earns its group ``payment_per_outcome``, or an
        equal share of the reward pot when the outcomes would cost more (a closed group earns
        nothing). Draws one value per resident of the cohort."""
        if self.cohort is None:
            return
        o, r = self.params.outcomes, model.res
        res, grp, arrived = self.cohort
        u = model.streams["outcomes"].random(res.size)
        here = r.arrived_week[res] == arrived  # who moved away or died is no outcome, misread or not
        recovered = r.loneliness[res] < model.params.residents.lonely_threshold
        paid_for = here & reads_recovered(recovered, u, o.measurement_error)
        active = np.array([model.group_by_gid(int(k)).active for k in grp], dtype=bool)
        earn = grp[paid_for & active]
        if earn.size == 0 or pot <= 0:
            return
        each = min(o.payment_per_outcome, pot / earn.size)
        gids, counts = np.unique(earn, return_counts=True)
        for k, n in zip(gids.tolist(), counts.tolist(), strict=True):
            model.pay(model.group_by_gid(k), "outcome_payments", each * n)

    def on_discharge(self, model: CommunityModel, who: np.ndarray, codes: np.ndarray,
                     shared: SharedDraws | None = None) -> None:
        """Clients of this contract's holders discharged after their six months: each outcome is
        verified (``verify``), in the order given. A holder's clients are not labelled by contract,
        so every contract it holds hears of each discharge; one draw per discharge, shared by all of
        them (``shared``, from the regime; drawn here when called alone), picks the one contract
        whose slice of the holder's places it falls in (``_slice``), so an outcome is paid at most
        once."""
        c = self.contract
        if c is None:
            return
        holders = {m.gid for m in c.holders}
        prov = c.provider
        thr = model.params.residents.lonely_threshold
        lonely = model.res.loneliness
        draws = (shared or SharedDraws(model, who.size))()
        for i, code, u in zip(who.tolist(), codes.tolist(), draws.tolist(), strict=True):
            if code in holders:
                self.verify(model, code, None, bool(lonely[i] >= thr), u)
            elif prov is not None and code == PROVIDER_BASE + prov.pid:
                self.verify(model, None, prov.pid, bool(lonely[i] >= thr), u)

    def _slice(self, model: CommunityModel, holder_gid: int | None, provider_pid: int | None) -> tuple[float, float]:
        """This contract's slice of [0, 1) for a discharged client of a holder: the holder's places
        under each contract it holds, in the regime's order, over the larger of its contract
        places and its clients. So the contracts' slices together are the share of its clients it
        counts against them (``contract_clients``: up to all its contract places); the rest (a
        local group's own clients, an outside provider's places under other instruments' fee
        contracts) pay no outcome. In model version 14 a local holder's slices were over all its
        visiting places."""
        contracts = model.active_regime.contracts()
        if provider_pid is not None:
            pv = model.providers[provider_pid]
            mine = [c.places if c.provider is pv else 0 for c in contracts]
            total = max(1.0, float(pv.contract_places), float(pv.clients))
        else:
            mine = [c.places_of(holder_gid) if c.provider is None else 0 for c in contracts]
            gt = model.gt
            total = max(1.0, float(gt.contract_places[holder_gid]), float(gt.clients[holder_gid]))
        k = next(j for j, c in enumerate(contracts) if c is self.contract)
        lo = sum(mine[:k]) / total
        return lo, lo + mine[k] / total

    def intake_order(self, model: CommunityModel, pid: int, free: np.ndarray) -> np.ndarray:
        """Paid only for outcomes, an outside provider holding this contract takes on the residents
        nearest to recovery first ("creaming"), not the most lonely."""
        c = self.contract
        if c is not None and c.provider is model.providers[pid]:
            return free[np.argsort(model.res.loneliness[free], kind="stable")]
        return free

    def verify(self, model: CommunityModel, holder_gid: int | None, provider_pid: int | None,
               lonely_now: bool, u_share: float | None = None) -> None:
        """Called when a client of this contract's holder is discharged after six months: it is an
        outcome of this contract if ``u_share`` (a draw shared by every contract of the holder;
        drawn here if not given) falls in this contract's slice of the holder's places, and it is
        paid if the reading (wrong with probability ``measurement_error``) finds it recovered. Up to
        model version 12 each contract drew its own share, and an outside provider's lots each
        counted every client, so a provider holding two or three lots was paid two or three times
        for one outcome."""
        o = self.params.outcomes
        if o.investor or self.contract is None:
            return
        rng = model.streams["outcomes"]
        u_err = rng.random()
        if u_share is None:
            u_share = rng.random()
        lo, hi = self._slice(model, holder_gid, provider_pid)
        if not lo <= u_share < hi:
            return
        success = reads_recovered(not lonely_now, u_err, o.measurement_error)
        if not success or self.pot < o.payment_per_outcome:
            return
        self.pot -= o.payment_per_outcome
        if provider_pid is not None:
            model.ledger("outside_providers", o.payment_per_outcome)
            model.providers[provider_pid].reserves += o.payment_per_outcome
            self.capital += o.payment_per_outcome  # paid in arrears, back into working capital
        elif holder_gid is not None:
            model.pay(model.group_by_gid(holder_gid), "outcome_payments", o.payment_per_outcome)
            for k, m in enumerate(self.contract.holders):  # back into its working capital
                if m.gid == holder_gid:
                    self.holder_capital[k] += o.payment_per_outcome
                    break

