"""Organisations: community groups, outside providers and the council (Mesa agents).

Organisations are few (tens to hundreds), so they are ordinary Mesa ``Agent`` objects with slotted
state. Residents are arrays (``model.residents``); a group knows its members and volunteers only
through those arrays, indexed by its ``gid``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.params import WEEKS_PER_YEAR, GroupKindParams

if TYPE_CHECKING:
    from model.model import CommunityModel

INCOME_SOURCES = ("grants", "contracts", "outcome_payments", "donations", "fundraising", "in_kind")


class CommunityGroup(mesa.Agent):
    """A local voluntary, community or faith group."""

    def __init__(self, model: CommunityModel, gid: int, kind: str, nbhd: int, reserves: float,
                 founded_week: int) -> None:
        super().__init__(model)
        kp: GroupKindParams = model.params.groups.kinds[kind]
        self.gid = gid  # index into the model's group arrays; never reused
        self.kind = kind
        self.kp = kp
        self.nbhd = nbhd
        self.name = f"{kind.replace('_', ' ')} group {gid} (neighbourhood {nbhd + 1})"
        self.reserves = float(reserves)
        self.staff = float(kp.staff)
        self.trust = float(model.params.groups.trust_initial)
        self.founded_week = founded_week
        self.closed_week: int | None = None
        self.cause: str | None = None
        self.active = True
        self.weeks_without_money = 0
        self.weeks_without_volunteers = 0
        self.weeks_without_members = 0
        # income by source this budget year and last, for eligibility and the life table
        self.income_year = dict.fromkeys(INCOME_SOURCES, 0.0)
        self.income_last_year = dict.fromkeys(INCOME_SOURCES, 0.0)
        self.income_total = dict.fromkeys(INCOME_SOURCES, 0.0)
        # state refreshed each week from the resident arrays
        self.n_members = 0
        self.volunteers = 0
        self.clients = 0
        self.capacity = 0.0  # activity/visit places per week
        # contract and support state
        self.contract_places = 0  # client places this group must serve under a contract
        self.contract_payment_per_week = 0.0
        self.in_kind = False  # receives rooms/admin support from the council
        self.in_kind_per_week = 0.0  # its value: running costs the council covers (GBP a week)
        self.max_members_seen = 0
        self.luck = 1.0  # this year's fundraising luck (lognormal, mean 1)

    # -- size and finances -----------------------------------------------------------------------
    @property
    def scale(self) -> float:
        """How much of its kind's full operation the group runs: people served / full size."""
        g = self.model.params.groups
        return min(1.0, max(g.min_scale, (self.n_members + self.clients) / g.full_size))

    @property
    def volunteers_sought(self) -> float:
        """Volunteers the group looks for: its kind's establishment x its scale, at least 3.
        (CommunityModel._volunteers_sought computes it for all groups at once: change both.)"""
        return self._volunteers_sought(self.scale)

    def _volunteers_sought(self, scale: float) -> float:
        return max(3.0, self.kp.volunteers_needed * scale)

    @property
    def running_cost_per_week(self) -> float:
        return self._running_cost_per_week(self.scale)

    def _running_cost_per_week(self, scale: float) -> float:
        g = self.model.params.groups
        saving = min(0.3, g.collaboration_cost_saving * self.model.collaboration_count(self.gid))
        cost = self.kp.running_cost_per_year * scale * max(0.0, 1.0 - saving) / WEEKS_PER_YEAR
        return max(0.0, cost - self.in_kind_per_week)

    @property
    def staff_cost_per_week(self) -> float:
        return self.staff * self.kp.staff_cost_per_year / WEEKS_PER_YEAR

    @property
    def weeks_of_reserves(self) -> float:
        """Financial health: weeks the group could run on its reserves alone."""
        cost = self.running_cost_per_week + self.staff_cost_per_week
        return self.reserves / cost if cost > 0 else float("inf")

    @property
    def turnover_last_year(self) -> float:
        return sum(self.income_last_year.values())

    def receive(self, source: str, amount: float) -> None:
        """Money (or its value in kind) arriving from ``source``."""
        self.reserves += amount
        self.income_year[source] += amount
        self.income_total[source] += amount

    def receive_in_kind(self, amount: float) -> None:
        """Support in kind (rooms, admin time): it lowers running costs (``in_kind_per_week``), so it
        is tallied as income by source but never added to reserves."""
        self.income_year["in_kind"] += amount
        self.income_total["in_kind"] += amount

    def spend(self, amount: float) -> None:
        self.reserves -= amount

    def new_budget_year(self, luck_z: float) -> None:
        self.income_last_year = self.income_year
        self.income_year = dict.fromkeys(INCOME_SOURCES, 0.0)
        sd = self.model.params.groups.fundraising_sd
        self.luck = float(np.exp(sd * luck_z - sd * sd / 2))
        # paid core staff follow funded income: a group keeps only the core staff that last year's
        # grants and outcome payments paid for, up to its kind's establishment. (Contract delivery
        # staff are not core staff: they are the per-client delivery cost of the contract.)
        funded = self.income_last_year["grants"] + self.income_last_year["outcome_payments"]
        cost = self.kp.staff_cost_per_year
        self.staff = min(self.kp.staff, funded / cost) if cost else 0.0

    def weekly_finances(self) -> None:
        """Donations and fundraising in, running and staff costs out. (Run for every group every
        week, so the properties it needs are computed here once: the same arithmetic.)"""
        p = self.model.params
        kp = self.kp
        scale = self.scale
        vol_ratio = min(1.0, self.volunteers / self._volunteers_sought(scale))
        donations = self.n_members * kp.donations_per_member_per_year * (0.5 + self.trust) / WEEKS_PER_YEAR
        # volunteer-led fundraising (events, trading, small trusts) covers most running costs of a
        # group with the volunteers it seeks; it falls with its volunteer base (assumption, see ODD)
        fundraising = (kp.running_cost_per_year * scale * p.groups.fundraising_cover * vol_ratio
                       * self.luck / WEEKS_PER_YEAR)
        if donations:
            self.receive("donations", donations)
        if fundraising:
            self.receive("fundraising", fundraising)
        self.reserves -= self._running_cost_per_week(scale) + self.staff_cost_per_week
        if self.contract_places:
            # delivery at full local cost for each contract client actually served
            served = min(self.clients, self.contract_places)
            self.spend(served * p.providers.local_unit_cost_per_client_per_year / WEEKS_PER_YEAR)
            self.receive("contracts", self.contract_payment_per_week)

    def update_closure_clocks(self, min_members: int) -> str | None:
        """Advance the weeks-without counters; return the cause if the group must close."""
        g = self.model.params.groups
        self.weeks_without_money = self.weeks_without_money + 1 if self.reserves < g.min_reserves else 0
        staffed = self.volunteers > 0 or self.staff >= 0.5
        self.weeks_without_volunteers = 0 if staffed else self.weeks_without_volunteers + 1
        served = self.n_members + self.clients
        self.weeks_without_members = self.weeks_without_members + 1 if served < min_members else 0
        if self.weeks_without_money >= g.closure_weeks:
            return "money"
        if self.weeks_without_volunteers >= g.closure_weeks:
            return "volunteers"
        if self.weeks_without_members >= g.closure_weeks:
            return "members"
        return None


class OutsideProvider(mesa.Agent):
    """A large organisation from outside the area that bids for contracts."""

    def __init__(self, model: CommunityModel, pid: int) -> None:
        super().__init__(model)
        p = model.params.providers
        self.pid = pid
        self.name = f"outside provider {pid + 1}"
        self.reserves = p.reserves
        self.quality = p.quality
        self.bid_strength = p.bid_strength
        self.contract_places = 0
        self.contract_payment_per_week = 0.0
        self.subcontract_share = 0.0
        self.clients = 0
        self.income_total = 0.0

    @property
    def holds_contract(self) -> bool:
        return self.contract_places > 0

    def weekly_finances(self) -> None:
        p = self.model.params.providers
        cost = min(self.clients, self.contract_places) * p.unit_cost_per_client_per_year / WEEKS_PER_YEAR
        self.reserves += self.contract_payment_per_week * (1.0 - self.subcontract_share) - cost
        self.income_total += self.contract_payment_per_week


class Council(mesa.Agent):
    """The local council: budget, commissioning capacity, relationship with local groups."""

    def __init__(self, model: CommunityModel) -> None:
        super().__init__(model)
        c = model.params.council
        self.base_budget = c.budget_per_resident_per_year * model.params.place.n_residents
        self.budget = self.base_budget
        self.relationship = c.relationship_initial
        self.funded_last_year: set[int] = set()
        self.funded_this_year: set[int] = set()

    def set_budget(self, year: int) -> None:
        """The yearly budget on the configured funding path (year 0 is the first regime year)."""
        f = self.model.params.funding
        factor = 1.0
        if year < 0:  # the burn-in: stable funding whatever the study's path
            pass
        elif f.path == "austerity":
            factor = (1.0 - f.cut_per_year) ** year
        elif f.path == "shock" and year >= f.shock_year:
            factor = 1.0 - f.shock_size
            if f.recovery_years > 0:
                climb = min(1.0, (year - f.shock_year) / f.recovery_years)
                factor += f.shock_size * climb
        self.budget = self.base_budget * factor

    def end_budget_year(self) -> None:
        """Relationship quality grows with continuity of funding and falls with churn."""
        c = self.model.params.council
        ended = len(self.funded_last_year - self.funded_this_year)
        kept = len(self.funded_last_year & self.funded_this_year)
        gain = c.relationship_gain_per_year * (1.0 if kept else 0.5)
        self.relationship = min(1.0, max(0.0, self.relationship + gain * (1 - self.relationship)
                                          - c.relationship_churn_loss * ended / max(1, len(self.funded_last_year))))
        self.funded_last_year, self.funded_this_year = self.funded_this_year, set()
