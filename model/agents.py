"""Organisations: community groups, outside providers and the council (Mesa agents).

Organisations are few (tens to hundreds), so they are ordinary Mesa ``Agent`` objects with slotted
state. Residents are arrays (``model.residents``); a group knows its members and volunteers only
through those arrays, indexed by its ``gid``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from model.params import WEEKS_PER_YEAR, GroupKindParams, GroupParams

if TYPE_CHECKING:
    from model.model import CommunityModel

INCOME_SOURCES = ("grants", "contracts", "outcome_payments", "donations", "fundraising", "in_kind", "trusts",
                  "trading")
# ("trusts": awards from trusts, foundations and the National Lottery, model/phases/finances.py;
# "trading": a community hub's earned income)
_SOURCE = {s: k for k, s in enumerate(INCOME_SOURCES)}


class GroupTable:
    """The state every group carries and the weekly phases update, one array per attribute,
    indexed by ``gid`` (groups are never removed, so a gid is a row for good). ``CommunityGroup``
    reads and writes its row through ``_Column`` attributes, so regimes and the workshop use
    ``g.reserves`` as before, while finances and closure clocks run as array code for all groups
    at once (a Python loop over the groups cost ~0.35 ms of a 4 ms town week, and grew with the
    number of groups at scale)."""

    FLOATS = ("reserves", "staff", "trust", "luck", "in_kind_per_week", "contract_payment_per_week",
              "capacity",
              # the kind's parameters, copied in at founding for array code
              "places_per_volunteer", "places_per_staff", "volunteers_needed", "running_cost_per_year",
              "staff_cost_per_year", "donations_per_member_per_year", "visit_share", "visit_tie_per_week",
              "volunteer_gain", "trading_per_year",
              # an award from outside funders: its payment a week (0: none running), the paid posts
              # it funds and the weekly costs it commits the group to (both kept through the notice
              # after it ends), the week it ends and the week its commitments end
              "award_per_week", "award_staff", "award_cost_per_week", "award_end_week", "notice_end_week")
    INTS = ("contract_places", "n_members", "volunteers", "clients", "max_members_seen",
            "weeks_without_money", "weeks_without_volunteers", "weeks_without_members", "nbhd")
    BOOLS = ("active", "activities", "visits")

    def __init__(self, gp: GroupParams) -> None:
        self.gp = gp  # the groups' parameters, for the formulas below
        self.size = 0
        for name in self.FLOATS:
            setattr(self, name, np.zeros(0))
        for name in self.INTS:
            setattr(self, name, np.zeros(0, dtype=np.int64))
        for name in self.BOOLS:
            setattr(self, name, np.zeros(0, dtype=bool))
        # income by source (columns in INCOME_SOURCES order): this budget year, last, all time
        self.income_year = np.zeros((0, len(INCOME_SOURCES)))
        self.income_last_year = np.zeros((0, len(INCOME_SOURCES)))
        self.income_total = np.zeros((0, len(INCOME_SOURCES)))

    # -- the groups' size and costs, for the groups ``gids`` (an array, a slice or one gid): written
    # once, used by the weekly phases for all groups and by ``CommunityGroup`` for one
    def scale(self, members, clients):
        """How much of its kind's full operation a group runs: people served / full size."""
        gp = self.gp
        return np.minimum(1.0, np.maximum(gp.min_scale, (members + clients) / gp.full_size))

    def volunteers_sought(self, gids, scale):
        """Volunteers a group looks for: its kind's establishment x its scale, at least 3."""
        return np.maximum(3.0, self.volunteers_needed[gids] * scale)

    def running_costs(self, gids, scale, collaborations):
        """Weekly running costs: shared rooms and admin save with each collaboration (up to 30%),
        and the council's in-kind support covers part."""
        saving = np.minimum(0.3, self.gp.collaboration_cost_saving * collaborations)
        return np.maximum(0.0, self.running_cost_per_year[gids] * scale * np.maximum(0.0, 1.0 - saving)
                          / WEEKS_PER_YEAR - self.in_kind_per_week[gids])

    def own_income(self, gids, scale, luck):
        """What the groups raise themselves a year at their present size (``scale``), volunteers and
        trust: donations and subs, fundraising (``groups.fundraising_cover`` of their running costs
        with the volunteers they seek, x ``luck``) and trading (a community hub's). Weekly finances
        use a 52nd of it at the year's luck; a hub budgets on it at average luck (1)."""
        donations = self.n_members[gids] * self.donations_per_member_per_year[gids] * (0.5 + self.trust[gids])
        vol_ratio = np.minimum(1.0, self.volunteers[gids] / self.volunteers_sought(gids, scale))
        fundraising = self.running_cost_per_year[gids] * scale * self.gp.fundraising_cover * vol_ratio * luck
        trading = self.trading_per_year[gids] * scale
        return donations, fundraising, trading

    def all_staff(self, gids):
        """Paid posts (FTE): core staff funded by the council, and an outside award's."""
        return self.staff[gids] + self.award_staff[gids]

    def staff_costs(self, gids):
        """Weekly cost of the paid posts: core staff, and the costs an outside award commits the
        group to (its posts and their overheads, paid until their notice ends)."""
        return self.staff[gids] * self.staff_cost_per_year[gids] / WEEKS_PER_YEAR + self.award_cost_per_week[gids]

    def add_row(self, kp: GroupKindParams) -> int:
        """Room for one more group (capacity doubles), its kind's parameters filled in; returns its
        row."""
        gid = self.size
        if gid >= self.reserves.size:
            cap = max(64, 2 * self.reserves.size)
            for name in (*self.FLOATS, *self.INTS, *self.BOOLS, "income_year", "income_last_year", "income_total"):
                old = getattr(self, name)
                new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
                new[:old.shape[0]] = old
                setattr(self, name, new)
        self.size = gid + 1
        for name in ("places_per_volunteer", "places_per_staff", "volunteers_needed", "running_cost_per_year",
                     "staff_cost_per_year", "donations_per_member_per_year", "activities", "visits",
                     "visit_tie_per_week", "volunteer_gain", "trading_per_year"):
            getattr(self, name)[gid] = getattr(kp, name)
        # the share of a group's places given to home visits rather than activities
        self.visit_share[gid] = 0.0 if not kp.visits else (0.3 if kp.activities else 1.0)
        return gid


class _Column:
    """A group attribute kept in the model's ``GroupTable`` (row ``gid``), read as a Python number."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, g, owner=None):
        if g is None:
            return self
        return getattr(g.model.gt, self.name)[g.gid].item()

    def __set__(self, g, value) -> None:
        getattr(g.model.gt, self.name)[g.gid] = value


class _Income:
    """A group's income by source for one period: a dict-like view of its row of the table."""

    __slots__ = ("_row",)

    def __init__(self, row: np.ndarray) -> None:
        self._row = row

    def __getitem__(self, source: str) -> float:
        return self._row[_SOURCE[source]].item()

    def values(self) -> list[float]:
        return self._row.tolist()


class CommunityGroup(mesa.Agent):
    """A local voluntary, community or faith group. Its numeric state lives in the model's
    ``GroupTable`` (the ``_Column`` attributes below), row ``gid``."""

    nbhd = _Column()
    active = _Column()
    reserves = _Column()
    staff = _Column()  # paid core staff (FTE) funded by the council
    award_staff = _Column()  # paid staff (FTE) funded by an outside award
    award_per_week = _Column()  # the award's payment a week (0: no award running)
    trust = _Column()
    luck = _Column()  # this year's fundraising luck (lognormal, mean 1)
    in_kind_per_week = _Column()  # running costs the council covers in kind (GBP a week)
    contract_places = _Column()  # client places this group must serve under a contract
    contract_payment_per_week = _Column()
    n_members = _Column()  # refreshed each week from the resident arrays,
    volunteers = _Column()  # as are these,
    clients = _Column()
    capacity = _Column()  # activity/visit places per week
    max_members_seen = _Column()
    weeks_without_money = _Column()  # closure clocks
    weeks_without_volunteers = _Column()
    weeks_without_members = _Column()

    def __init__(self, model: CommunityModel, gid: int, kind: str, nbhd: int, reserves: float,
                 founded_week: int) -> None:
        super().__init__(model)
        kp: GroupKindParams = model.params.groups.kinds[kind]
        if gid != model.gt.add_row(kp):
            raise ValueError(f"group {gid} is not the next row of the group table")
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

    # income by source this budget year, last year and all time, for eligibility and the life table
    @property
    def income_year(self) -> _Income:
        return _Income(self.model.gt.income_year[self.gid])

    @property
    def income_last_year(self) -> _Income:
        return _Income(self.model.gt.income_last_year[self.gid])

    @property
    def income_total(self) -> _Income:
        return _Income(self.model.gt.income_total[self.gid])

    # -- size and finances -----------------------------------------------------------------------
    # (the formulas are the group table's, written once for one group or all of them)
    @property
    def scale(self) -> float:
        """How much of its kind's full operation the group runs: people served / full size."""
        return float(self.model.gt.scale(self.n_members, self.clients))

    @property
    def volunteers_sought(self) -> float:
        """Volunteers the group looks for: its kind's establishment x its scale, at least 3."""
        return float(self.model.gt.volunteers_sought(self.gid, self.scale))

    @property
    def running_cost_per_week(self) -> float:
        gids = np.array([self.gid])
        return float(self.model.gt.running_costs(gids, self.scale, self.model.collaboration_counts(gids))[0])

    @property
    def staff_cost_per_week(self) -> float:
        return float(self.model.gt.staff_costs(self.gid))

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
        gt, k, s = self.model.gt, self.gid, _SOURCE[source]
        gt.reserves[k] += amount
        gt.income_year[k, s] += amount
        gt.income_total[k, s] += amount

    def receive_in_kind(self, amount: float) -> None:
        """Support in kind (rooms, admin time): it lowers running costs (``in_kind_per_week``), so it
        is tallied as income by source but never added to reserves."""
        gt, k, s = self.model.gt, self.gid, _SOURCE["in_kind"]
        gt.income_year[k, s] += amount
        gt.income_total[k, s] += amount

    def spend(self, amount: float) -> None:
        self.reserves -= amount

    def new_budget_year(self, luck_z: float) -> None:
        gt = self.model.gt
        gt.income_last_year[self.gid] = gt.income_year[self.gid]
        gt.income_year[self.gid] = 0.0
        sd = self.model.params.groups.fundraising_sd
        self.luck = float(np.exp(sd * luck_z - sd * sd / 2))
        # paid core staff follow funded income: a group keeps only the core staff that last year's
        # grants and outcome payments paid for, up to its kind's establishment. (Contract delivery
        # staff are not core staff: they are the per-client delivery cost of the contract.) A group
        # that trades (a community hub) also pays posts from what its own income leaves once its
        # premises are paid (``own_surplus``).
        funded = self.income_last_year["grants"] + self.income_last_year["outcome_payments"]
        if self.kp.trading_per_year > 0:
            funded += self.own_surplus()
        cost = self.kp.staff_cost_per_year
        self.staff = min(self.kp.staff, max(0.0, funded) / cost) if cost else 0.0

    def own_surplus(self) -> float:
        """What a trading group (a community hub) can spend on posts this year from its own means:
        its trading, fundraising and donations expected at its present size, volunteers and trust
        (fundraising at average luck: the year's luck is not known when it budgets), less its
        premises (running costs, after collaborations and support in kind), plus half the gap
        between its free reserves and its policy (``groups.reserves_policy_weeks`` of its costs:
        its premises as above and its full establishment), so it spends what it holds above the
        policy and rebuilds what is missing over about two years. Free reserves leave out what an
        outside award's end will cost: ``notice_weeks`` of its committed costs while it runs, the
        weeks of notice left once it has ended (a prudent policy holds its redundancy liability;
        the award's ``reserve_share`` builds only part of it, so a hub holds more back while an
        award runs)."""
        m, gt, k = self.model, self.model.gt, self.gid
        gp = m.params.groups
        scale = gt.scale(gt.n_members[k], gt.clients[k])
        donations, fundraising, trading = gt.own_income(k, scale, 1.0)
        premises = gt.running_costs(k, scale, m.collaboration_count(k)) * WEEKS_PER_YEAR
        policy = gp.reserves_policy_weeks / WEEKS_PER_YEAR * (premises + self.kp.staff * self.kp.staff_cost_per_year)
        if gt.award_per_week[k] > 0:
            owed_weeks = gp.funders.notice_weeks
        else:
            owed_weeks = min(gp.funders.notice_weeks, max(0.0, gt.notice_end_week[k] - m.week))
        free = gt.reserves[k] - gt.award_cost_per_week[k] * owed_weeks
        return float(trading + fundraising + donations - premises + 0.5 * (free - policy))


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
        # what it holds under all its contracts (sums over ``contracts``, kept by
        # CommunityModel.contracts_changed; each contract is its instrument's)
        self.contracts: list = []
        self.contract_places = 0
        self.contract_payment_per_week = 0.0
        self.contract_net_per_week = 0.0  # the payment it keeps, after subcontracting
        self.clients = 0
        self.income_total = 0.0

    @property
    def holds_contract(self) -> bool:
        return self.contract_places > 0

    def weekly_finances(self) -> None:
        p = self.model.params.providers
        cost = min(self.clients, self.contract_places) * p.unit_cost_per_client_per_year / WEEKS_PER_YEAR
        self.reserves += self.contract_net_per_week - cost
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

    def adopt_settings(self) -> None:
        """The study's budget replaces the burn-in's (at week 0: the burn-in runs the default)."""
        self.base_budget = self.model.params.council.budget_per_resident_per_year * self.model.params.place.n_residents
        self.budget = self.base_budget

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
