"""The council: its budget year, its instruments' weekly acts, and the spend ledger."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from model.agents import CommunityGroup
from model.events import Event
from model.params import WEEKS_PER_YEAR

SPEND_CATEGORIES = ("local_groups", "outside_providers", "in_house")
# The ledger's columns: the spend categories, then the part of an instrument's yearly budget share it
# did not spend, recorded at the close of each budget year and returned to the council's general
# fund (not carried forward: next year's budget is set afresh). It is never counted as spend.
UNSPENT = "unspent"
LEDGER_COLUMNS = (*SPEND_CATEGORIES, UNSPENT)


class CouncilPhases:
    """The council's calendar and the public surface regimes pay through. A part of :class:`CommunityModel`."""

    def _phase_calendar(self) -> None:
        """Start of a budget year: budget, grant rounds, tenders, contract ends, rewards. In week 0
        the study's parameters replace the burn-in's (its budget and council settings:
        model.model.burn_in_params) and its regime replaces the burn-in's."""
        if self.week == 0 and self.params is not self.study_params:
            self.params = self.study_params
            self.council.adopt_settings()
        if self.week == 0 and self.active_regime is not self.regime:
            self.active_regime.teardown(self)
            self.active_regime = self.regime
            self.regime.setup(self)
        if self.week % WEEKS_PER_YEAR != 0:
            return
        self.council.set_budget(self.year)  # negative years (burn-in) are funded stably
        groups = self.active_groups()
        luck = ndtri(self.streams.by_id("finances", self.week + self.burn_in_weeks, [g.gid for g in groups])[:, 0])
        for g, z in zip(groups, luck.tolist(), strict=True):
            g.new_budget_year(z)
            if g.n_members + g.clients > 0:
                g.trust += self.rates.trust_gain * (1.0 - g.trust) * (0.5 + self.council.relationship)
        self.funders_round()
        self.sector_trust += self.params.groups.sector_trust_recovery_per_year * (1.0 - self.sector_trust)
        self.council.end_budget_year()
        self.active_regime.yearly(self)

    def _phase_regime_delivery(self) -> None:
        """The council's instruments act (referrals, contract payments), then connectors introduce
        residents to groups."""
        self.active_regime.weekly(self)

    def connector_skill(self) -> np.ndarray:
        """Connector effectiveness by neighbourhood (0-1) under the regime (0 without connectors)."""
        return self.active_regime.connector_skill(self)

    def contracts_changed(self) -> None:
        """Recount what each group and outside provider holds under the running regime's contracts
        (places and weekly payment: sums over its contracts; a closed group holds nothing). The
        instruments call this whenever they award, vary or end a contract."""
        G, gt = len(self.all_groups), self.gt
        gt.contract_places[:G] = 0
        gt.contract_payment_per_week[:G] = 0.0
        for pv in self.providers:
            pv.contracts, pv.contract_places = [], 0
            pv.contract_payment_per_week = pv.contract_net_per_week = 0.0
        for c in self.active_regime.contracts():
            for g, places, pay in zip(c.holders, c.holder_places, c.holder_payments, strict=True):
                if g.active:
                    gt.contract_places[g.gid] += places
                    gt.contract_payment_per_week[g.gid] += pay
            pv = c.provider
            if pv is not None:
                pv.contracts.append(c)
                pv.contract_places += c.places
                pv.contract_payment_per_week += c.payment_per_week
                pv.contract_net_per_week += c.payment_per_week * (1.0 - c.subcontract_share)

    def ledger(self, category: str, amount: float) -> None:
        """Record council spend this week by recipient category, and against the instrument paying
        (the regime names it while the instrument acts: ``Regime``)."""
        k = self.week + self.burn_in_weeks
        self.ledger_rows(k + 1)
        self._ledger[k, LEDGER_COLUMNS.index(category)] += amount
        if self.payer is not None:
            key = (self.year, self.payer)
            self.instrument_spend[key] = self.instrument_spend.get(key, 0.0) + amount

    def ledger_rows(self, rows: int) -> None:
        """Make the ledger at least ``rows`` weeks long, a year at a time (a study longer than the
        one whose burn-in was cached, or the workshop stepping past the horizon)."""
        short = rows - self._ledger.shape[0]
        if short > 0:
            more = -(-short // WEEKS_PER_YEAR) * WEEKS_PER_YEAR
            self._ledger = np.vstack([self._ledger, np.zeros((more, len(LEDGER_COLUMNS)))])

    def budget_share(self, name: str, amount: float) -> None:
        """Instrument ``name`` receives ``amount`` of this budget year's budget."""
        self.instrument_budget[(self.year, name)] = amount

    def close_budget_year(self, year: int) -> None:
        """At the end of budget year ``year``: each instrument's share it did not spend is recorded
        in the ledger (``unspent``, in the year's last week) and returns to the general fund."""
        k = (year + 1) * WEEKS_PER_YEAR + self.burn_in_weeks - 1
        for (y, name), share in self.instrument_budget.items():
            if y != year:
                continue
            left = share - self.instrument_spend.get((y, name), 0.0)
            self.instrument_unspent[(y, name)] = max(0.0, left)
            if left > 0 and k >= 0:
                self.ledger_rows(k + 1)
                self._ledger[k, LEDGER_COLUMNS.index(UNSPENT)] += left

    def horizon_spend(self) -> float:
        """Council spend from week 0 to now (at most the horizon), from the ledger (unspent money
        excluded): the run's ``spend_total``."""
        w1 = self.burn_in_weeks + max(0, min(self.week, self.horizon_weeks))
        return float(self._ledger[self.burn_in_weeks:w1, :len(SPEND_CATEGORIES)].sum())

    def pay(self, group: CommunityGroup, source: str, amount: float) -> None:
        """Council money (or in-kind value) to a local group."""
        group.receive(source, amount)
        self.ledger("local_groups", amount)
        self.council.funded_this_year.add(group.gid)

    @property
    def spend_by_recipient(self) -> dict[str, float]:
        """Council spend so far in the current budget year, by recipient category."""
        w0 = self.year * WEEKS_PER_YEAR + self.burn_in_weeks
        w1 = self.week + self.burn_in_weeks + 1
        tot = self._ledger[max(0, w0):w1, :len(SPEND_CATEGORIES)].sum(axis=0)
        return dict(zip(SPEND_CATEGORIES, tot.tolist(), strict=True))

    def record_event(self, kind: str, nbhd: int | None = None, actor: str = "", cause: str = "",
                     **fields) -> None:
        """An event of the study period (model/events.py), kept with its week; none in the burn-in."""
        if self.week >= 0:
            self.events.append((self.week, Event(self.week, kind, nbhd, actor, cause, fields)))

    def observed_lonely_shares(self) -> np.ndarray:
        """The council's reading of the lonely share of each neighbourhood, ``observation_delay_weeks``
        late and with noise ``observation_noise_sd``: one reading per neighbourhood each time it
        looks (up to model version 14 each group's application was read afresh, so two groups of
        one neighbourhood saw need differing by about 40% of the mean grant, small place).
        Draws one value per neighbourhood."""
        c = self.params.council
        nb = self.params.place.n_neighbourhoods
        if not self._lonely_hist:
            return np.zeros(nb)
        k = max(0, len(self._lonely_hist) - 1 - c.observation_delay_weeks)
        true = np.asarray(self._lonely_hist[k], dtype=float)
        return np.maximum(0.0, true + c.observation_noise_sd * self.streams["council"].standard_normal(nb))
