"""The community model: one step is one week.

The order of a week's phases is written down once, in ``PHASES``, and ``step()`` runs them in
that order; ``describe_schedule()`` prints it. The yearly budget cycle (budget, grant rounds,
tenders, contract ends, outcome rewards) runs on a calendar at the start of the first week of each
budget year (the ``calendar`` phase).

Time: ``week`` counts from the start of the regime; the burn-in runs at negative weeks under the
status-quo arrangements, identical for every regime on the same seed (paired design).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd
import scipy.sparse as sp

from model import kernels
from model.agents import _SOURCE, INCOME_SOURCES, CommunityGroup, Council, GroupTable, OutsideProvider
from model.memory import keep_freed_memory
from model.network import Memberships, Ties
from model.outcomes import EVENT_COUNTS, OUTCOME_NAMES, SUMMARY_ONLY
from model.params import (
    AGE_BANDS,
    GROUP_KINDS,
    WEEKS_PER_YEAR,
    Params,
    RegimeParams,
    weekly_hazard,
    weekly_prob,
)
from model.regimes import OutcomesBased, Regime
from model.residents import NO_GROUP, PROVIDER_BASE, Residents
from model.streams import Streams

PHASES: tuple[tuple[str, str], ...] = (
    ("calendar", "start of a budget year: budget, grant rounds, tenders, contract ends, rewards"),
    ("life_events", "bereavement breaks a close tie, illness onset; both raise loneliness"),
    ("turnover", "residents move away or die; newcomers arrive with few local ties"),
    ("membership", "residents leave groups, join nearby groups by fit and trust"),
    ("activities", "members attend group activities: contact and new acquaintances"),
    ("services", "intake of lonely residents, visits and calls, discharge and outcome checks"),
    ("volunteering", "residents start volunteering, quit or burn out; volunteering gives contact"),
    ("regime_delivery", "the council's instruments act (referrals, contract payments)"),
    ("tie_contact", "contact along ties, less often for lonely residents; ties strengthen with "
                    "contact, decay without it"),
    ("loneliness", "loneliness rises when contact falls short of need and falls when met"),
    ("ties", "new ties form: neighbours, friends of friends, the week's acquaintances"),
    ("finances", "groups' income and costs; providers' costs"),
    ("closures_and_foundings", "groups close when money, volunteers or members run out; new ones form"),
    ("collaboration", "collaboration ties between groups form and lapse"),
    ("record", "outcomes recorded every record_every_weeks"),
)

SPEND_CATEGORIES = ("local_groups", "outside_providers", "in_house")

CLOSURE_CAUSES = ("money", "volunteers", "members")  # in the order closure_clocks checks them
CLOSURE_WORDS = {
    "money": "its money ran out",
    "volunteers": "its last volunteers left",
    "members": "nobody came any more",
}


@dataclass(slots=True)
class WeeklyRates:
    """Every yearly rate of the parameters, converted to per week in one place."""

    bereavement: np.ndarray
    illness: float
    move_or_die: np.ndarray
    vol_quit: float
    vol_burnout: float
    vol_join: float
    join: float
    leave: float
    co_attendance: float
    neighbour: float
    triadic: float
    intake: float
    foundings_per_resident: float
    collab_form: float
    collab_decay: float
    trust_gain: float

    @classmethod
    def from_params(cls, p: Params) -> WeeklyRates:
        r, g = p.residents, p.groups
        return cls(
            bereavement=np.array([weekly_prob(x) for x in r.bereavement_per_year_by_age]),
            illness=weekly_prob(r.illness_onset_per_year),
            move_or_die=np.array([weekly_prob(m + d) for m, d in zip(r.move_per_year_by_age,
                                                                      r.death_per_year_by_age, strict=True)]),
            vol_quit=weekly_prob(r.volunteer_quit_per_year),
            vol_burnout=weekly_prob(r.volunteer_burnout_per_year),
            vol_join=weekly_prob(r.volunteer_join_per_year),
            join=weekly_prob(g.join_per_year),
            leave=weekly_prob(g.leave_per_year),
            co_attendance=weekly_hazard(p.ties.co_attendance_per_year),
            neighbour=weekly_hazard(p.ties.neighbour_per_year),
            triadic=1.0 - np.exp(-4.0 * p.ties.triadic_per_year / WEEKS_PER_YEAR),  # per 4 weeks
            intake=weekly_hazard(g.intake_per_year),
            foundings_per_resident=g.foundings_per_year_per_10k / 10_000 / WEEKS_PER_YEAR,
            collab_form=weekly_hazard(g.collaboration_per_year),
            collab_decay=weekly_prob(g.collaboration_decay_per_year),
            trust_gain=g.trust_gain_per_year,
        )


def stable_order(codes: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(codes, kind="stable")`` for non-negative integer codes below ``bound``; when
    they fit in 16 bits numpy sorts them by radix, several times faster (same order)."""
    return np.argsort(codes.astype(np.int16) if bound < 2**15 else codes, kind="stable")


def burn_in_regime(p: Params) -> RegimeParams:
    """The arrangements in place before the study starts: the status quo with its default
    settings. The burn-in therefore depends only on the place and the seed, never on the regime or
    its settings, so every configuration in a sweep starts from the same place (paired design)."""
    return RegimeParams(name="status_quo")


# Parameters that act only after the burn-in; runs differing only in these share their burn-in.
AFTER_BURN_IN = ("regime", "funding", "horizon_years", "record_every_weeks")


class CommunityModel(mesa.Model):
    """Residents (arrays), community groups, providers and a council (Mesa agents)."""

    def __init__(self, params: Params | None = None, seed: int = 0) -> None:
        super().__init__(rng=int(seed))
        self.params = p = (params or Params()).validate()
        keep_freed_memory()  # large arrays are reused week to week, not mapped afresh (model/memory.py)
        self.seed = int(seed)
        self.streams = Streams(seed)
        self.rates = WeeklyRates.from_params(p)
        self.burn_in_weeks = int(round(p.burn_in_years * WEEKS_PER_YEAR))
        self.horizon_weeks = int(round(p.horizon_years * WEEKS_PER_YEAR))
        self.week = -self.burn_in_weeks
        n, nb = p.place.n_residents, p.place.n_neighbourhoods
        rng = self.streams["init"]
        self.res = Residents(n, nb, p.residents, rng)
        # residents sorted by neighbourhood (a slot's neighbourhood never changes: a newcomer moves
        # into the home the leaver left), for drawing partners nearby
        counts = np.bincount(self.res.nbhd, minlength=nb)
        self._nbhd_index = (np.argsort(self.res.nbhd, kind="stable"), counts,
                            np.concatenate([[0], np.cumsum(counts)[:-1]]))
        self.ties = Ties(n)
        self.members = Memberships()
        self.gt = GroupTable()  # the groups' numeric state, one array per attribute (row = gid)
        self.all_groups: list[CommunityGroup] = []
        self._kind_codes: list[int] = []  # index in GROUP_KINDS of each group, by gid
        self.council = Council(self)
        self.providers = [OutsideProvider(self, k) for k in range(p.providers.n_bidders)]
        self.collab: dict[int, set[int]] = {}
        self.connector_years = np.zeros(nb)  # years a connector has worked each neighbourhood
        self.connector_fte = np.zeros(nb)  # connector time in each neighbourhood (full-time = 1)
        self.sector_trust = np.ones(nb)  # residents' trust in local groups, by neighbourhood
        self.brokerage = 0.0
        self.events: list[tuple[int, str]] = []
        self._rows: list[dict[str, float]] = []
        self._period_closures = 0
        self._period_foundings = 0
        self._ledger = np.zeros((self.burn_in_weeks + self.horizon_weeks + 1, len(SPEND_CATEGORIES)))
        self._lonely_hist: list[np.ndarray] = []
        self._new_a: list[np.ndarray] = []  # new-tie candidates this week: one end,
        self._new_b: list[np.ndarray] = []  # the other end,
        self._new_w: list[np.ndarray] = []  # and the weight a new tie starts at
        self._contact = np.zeros(n)  # contact units received this week (reset each week)
        self._groups_changed = True  # group arrays must be rebuilt (founding, closure, new year)
        self._init_ties(rng)
        self._init_groups(rng)
        self._refresh_group_arrays()
        self.regime = Regime(p.regime)
        self.active_regime = Regime(burn_in_regime(p)) if self.burn_in_weeks > 0 else self.regime
        self.active_regime.setup(self)

    # ------------------------------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One week: the phases in PHASES order."""
        for name, _ in PHASES:
            getattr(self, f"_phase_{name}")()
        self.week += 1
        if self.week >= self.horizon_weeks:
            self.running = False

    @staticmethod
    def describe_schedule() -> str:
        return "\n".join(f"{k + 1:2d}. {name}: {text}" for k, (name, text) in enumerate(PHASES))

    @property
    def year(self) -> int:
        return self.week // WEEKS_PER_YEAR

    def start_study(self, params: Params) -> None:
        """At week 0 (after burn-in), adopt ``params`` for the study: its regime, funding path,
        horizon and recording interval. Everything else must equal the model's own parameters."""
        if self.week != 0:
            raise ValueError("start_study needs a model at week 0 (after its burn-in)")
        params.validate()
        for f in dataclasses.fields(Params):
            if f.name not in AFTER_BURN_IN and getattr(params, f.name) != getattr(self.params, f.name):
                raise ValueError(f"start_study: '{f.name}' differs from the burn-in's parameters")
        self.params = params
        self.regime = Regime(params.regime)
        self.horizon_weeks = int(round(params.horizon_years * WEEKS_PER_YEAR))
        self.running = True

    def burn_in(self) -> None:
        """Run the burn-in weeks (if any remain), leaving the model at week 0."""
        while self.week < 0:
            self.step()

    def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        total = self.burn_in_weeks + self.horizon_weeks
        while self.week < self.horizon_weeks:
            self.step()
            done = self.week + self.burn_in_weeks
            if progress is not None and (done % WEEKS_PER_YEAR == 0 or done == total):
                progress(done, total)

    # ------------------------------------------------------------------------------------------
    # Initialisation
    # ------------------------------------------------------------------------------------------
    def _init_ties(self, rng: np.random.Generator) -> None:
        p = self.params.ties
        n = self.res.n
        m = int(n * p.initial_ties_mean / 2)
        a = rng.integers(0, n, size=m)
        b = self._partners_near(a, rng, p.bridging_share)
        close = rng.random(m) < p.initial_close_share
        w = np.where(close, rng.uniform(p.close_threshold, 1.0, m), rng.uniform(0.1, p.close_threshold, m))
        self.ties.add(a, b, 0.0)
        # weights: each tie takes the weight drawn for its (first) pair
        keys = np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)
        order = np.argsort(keys, kind="stable")
        pos = np.searchsorted(keys[order], self.ties.keys())
        self.ties.w = w[order][pos]

    def _partners_near(self, a: np.ndarray, rng: np.random.Generator, bridging: float) -> np.ndarray:
        """A random partner for each resident in ``a``: in the same neighbourhood, except a
        ``bridging`` share anywhere in the place. Draws exactly two values per resident."""
        n = self.res.n
        order, counts, start = self._nbhd_index
        u, v = rng.random(a.size), rng.random(a.size)
        nb = self.res.nbhd[a]
        local = order[start[nb] + (u * counts[nb]).astype(np.int64)]
        anywhere = (u * n).astype(np.int64)
        return np.where(v < bridging, anywhere, local)

    def _init_groups(self, rng: np.random.Generator) -> None:
        p = self.params
        kinds = [k for k in GROUP_KINDS if k in p.groups.kinds]
        shares = np.array([p.groups.kinds[k].share for k in kinds])
        chosen = rng.choice(len(kinds), size=p.place.n_groups, p=shares / shares.sum())
        nbhds = rng.integers(0, p.place.n_neighbourhoods, size=p.place.n_groups)
        for k, nb in zip(chosen, nbhds, strict=True):
            kind = kinds[int(k)]
            kp = p.groups.kinds[kind]
            weekly_cost = (kp.running_cost_per_year + kp.staff * kp.staff_cost_per_year) / WEEKS_PER_YEAR
            reserves = kp.initial_reserves_weeks * weekly_cost * rng.uniform(0.5, 1.5)
            self._new_group(kind, int(nb), reserves)
        # initial members and volunteers, drawn from each group's neighbourhood
        self._refresh_group_arrays()
        order, counts, start = self._nbhd_index
        res_parts: list[np.ndarray] = []
        grp_parts: list[np.ndarray] = []
        for g in self.all_groups:
            pool = order[start[g.nbhd]:start[g.nbhd] + counts[g.nbhd]]
            if g.kp.activities:
                k = min(pool.size, int(rng.poisson(p.groups.members_initial_mean)))
                who = np.sort(rng.choice(pool, size=k, replace=False))
                res_parts.append(who)
                grp_parts.append(np.full(k, g.gid, dtype=np.int64))
            free = pool[self.res.vol_group[pool] == NO_GROUP]
            want = int(round(g.kp.volunteers_needed * p.residents.volunteer_initial_share / 0.16 * 0.8))
            k = min(free.size, want)
            self.res.vol_group[rng.choice(free, size=k, replace=False)] = g.gid
        # one append for all groups (members are drawn without replacement within a group, and
        # pairs in different groups differ, so no duplicate check is needed)
        if res_parts:
            m = self.members
            m.res = np.concatenate([m.res, *res_parts])
            m.grp = np.concatenate([m.grp, *grp_parts])

    def _new_group(self, kind: str, nbhd: int, reserves: float) -> CommunityGroup:
        g = CommunityGroup(self, len(self.all_groups), kind, nbhd, reserves, founded_week=self.week)
        g.trust = self.params.groups.trust_initial * self.sector_trust[nbhd]
        if self.week > -self.burn_in_weeks:
            g.staff = 0.0  # a new group starts volunteer-run; staff come with funded income
        self.all_groups.append(g)
        self._kind_codes.append(GROUP_KINDS.index(kind))
        self._groups_changed = True
        self.collab[g.gid] = set()
        return g

    # ------------------------------------------------------------------------------------------
    # Helpers used by regimes and phases
    # ------------------------------------------------------------------------------------------
    @property
    def groups(self):
        """The active community groups (a Mesa AgentSet)."""
        return self.agents_by_type.get(CommunityGroup, mesa.agent.AgentSet([], random=self.random))

    def active_groups(self) -> list[CommunityGroup]:
        return [g for g in self.all_groups if g.active]

    def group_by_gid(self, gid: int) -> CommunityGroup:
        return self.all_groups[gid]

    def collaboration_count(self, gid: int) -> int:
        return len(self.collab.get(gid, ()))

    def collaborators(self, g: CommunityGroup) -> list[CommunityGroup]:
        return [self.all_groups[k] for k in sorted(self.collab.get(g.gid, ()))]

    def ledger(self, category: str, amount: float) -> None:
        """Record council spend this week by recipient category."""
        k = self.week + self.burn_in_weeks
        if k >= self._ledger.shape[0]:  # stepping past the horizon (the workshop may)
            self._ledger = np.vstack([self._ledger, np.zeros((WEEKS_PER_YEAR, len(SPEND_CATEGORIES)))])
        self._ledger[k, SPEND_CATEGORIES.index(category)] += amount

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
        tot = self._ledger[max(0, w0):w1].sum(axis=0)
        return dict(zip(SPEND_CATEGORIES, tot.tolist(), strict=True))

    def log_event(self, text: str) -> None:
        if self.week >= 0:
            self.events.append((self.week, f"Year {self.year + 1}: {text}"))

    def observed_lonely_share(self, nbhd: int | None) -> float:
        """The council's reading of the lonely share (delayed and noisy)."""
        c = self.params.council
        if not self._lonely_hist:
            return 0.0
        k = max(0, len(self._lonely_hist) - 1 - c.observation_delay_weeks)
        by_nb = self._lonely_hist[k]
        true = float(by_nb.mean()) if nbhd is None else float(by_nb[nbhd])
        return max(0.0, true + c.observation_noise_sd * float(self.streams["council"].standard_normal()))

    def _queue_ties(self, a: np.ndarray, b: np.ndarray) -> None:
        """New acquaintances (or a meeting that reinforces an existing tie), added in the ties phase."""
        self._new_a.append(a)
        self._new_b.append(b)
        self._new_w.append(np.full(a.size, self.params.ties.new_tie_weight))

    def connector_skill(self) -> np.ndarray:
        """Connector effectiveness by neighbourhood (0-1): time in post, grown over the years spent
        there ("seeds to trees"), times the share of a full-time post."""
        years = self.params.regime.community_development.skill_years
        return np.minimum(1.0, self.connector_years / years) * self.connector_fte

    def ties_matrix(self, min_weight: float = 0.0) -> sp.csr_matrix:
        return self.ties.matrix(min_weight)

    def _static_group_arrays(self) -> None:
        """The per-group arrays that change only when a group is founded or closed, or once a year
        (trust, staff): rebuilt when ``_groups_changed`` says so."""
        G = len(self.all_groups)
        if self._groups_changed or getattr(self, "_g_active", np.empty(0)).size != G:
            gt = self.gt
            self._g_active = gt.active[:G].copy()
            self._g_nbhd = gt.nbhd[:G].copy()
            self._g_trust = gt.trust[:G].copy()
            self._g_acts = gt.activities[:G] & self._g_active
            self._g_visits = gt.visits[:G] & self._g_active
            self._g_staff_places = gt.staff[:G] * gt.places_per_staff[:G]
            self._g_ppv = gt.places_per_volunteer[:G].copy()
            self._g_visit_share = gt.visit_share[:G].copy()
            self._groups_changed = False

    def _refresh_group_arrays(self) -> None:
        """Per-group arrays for the vectorised phases. What changes only when groups are founded or
        closed, or once a year (trust, staff), is rebuilt only then (``_groups_changed``); members,
        volunteers and capacity are recounted from the resident arrays every call."""
        G = len(self.all_groups)
        self._static_group_arrays()
        self._g_vols = self._volunteer_counts()
        self._g_members = self.members.counts_by_group(G)
        self._g_capacity = self._g_vols * self._g_ppv + self._g_staff_places
        gt = self.gt
        gt.n_members[:G], gt.volunteers[:G], gt.capacity[:G] = self._g_members, self._g_vols, self._g_capacity
        np.maximum(gt.max_members_seen[:G], self._g_members, out=gt.max_members_seen[:G])

    def _pick_groups(self, who: np.ndarray, rng: np.random.Generator, eligible: np.ndarray,
                     weight: np.ndarray, local_share: float = 0.85) -> np.ndarray:
        """For each resident in ``who``, a group: in their neighbourhood with probability
        ``local_share`` (else anywhere), chosen with probability proportional to ``weight`` among
        ``eligible`` groups. -1 where none is eligible. Draws two values per resident."""
        if who.size == 0:
            return np.full(0, -1, dtype=np.int64)
        u, v = rng.random(who.size), rng.random(who.size)
        return kernels.pick_groups(u, v, self.res.nbhd[who], local_share, eligible & (weight > 0),
                                   np.asarray(weight, dtype=np.float64), self._g_nbhd,
                                   self.params.place.n_neighbourhoods)

    # The groups' size and costs, for the groups ``gids`` (an array, or one gid): written once, used
    # by the weekly phases for all groups and by ``CommunityGroup``'s properties for one.
    def group_scale(self, members, clients):
        """How much of its kind's full operation a group runs: people served / full size."""
        gp = self.params.groups
        return np.minimum(1.0, np.maximum(gp.min_scale, (members + clients) / gp.full_size))

    def volunteers_sought(self, gids, scale):
        """Volunteers a group looks for: its kind's establishment x its scale, at least 3."""
        return np.maximum(3.0, self.gt.volunteers_needed[gids] * scale)

    def running_costs(self, gids: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Weekly running costs: shared rooms and admin save with each collaboration (up to 30%),
        and the council's in-kind support covers part."""
        gp, gt = self.params.groups, self.gt
        collabs = np.array([self.collaboration_count(int(k)) for k in gids])
        saving = np.minimum(0.3, gp.collaboration_cost_saving * collabs)
        return np.maximum(0.0, gt.running_cost_per_year[gids] * scale * np.maximum(0.0, 1.0 - saving)
                          / WEEKS_PER_YEAR - gt.in_kind_per_week[gids])

    def staff_costs(self, gids):
        return self.gt.staff[gids] * self.gt.staff_cost_per_year[gids] / WEEKS_PER_YEAR

    def _client_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Clients per group and per outside provider."""
        return kernels.code_counts(self.res.client_of, len(self.all_groups), PROVIDER_BASE, len(self.providers))

    def _volunteer_counts(self) -> np.ndarray:
        """Volunteers per group."""
        return kernels.code_counts(self.res.vol_group, len(self.all_groups), PROVIDER_BASE, 0)[0]

    def discharge_provider_clients(self, prov: OutsideProvider) -> None:
        self.res.client_of[self.res.client_of == PROVIDER_BASE + prov.pid] = NO_GROUP

    def refer(self, k: int, detection: float, rng: np.random.Generator) -> None:
        """``k`` referrals (social prescribing or connectors): each finds a lonely resident with
        probability ``detection`` (else any resident, lonely or not), who joins a nearby group and,
        where a visiting group has a free place, becomes its client."""
        if k <= 0:
            return
        thr = self.params.residents.lonely_threshold
        lonely = np.flatnonzero(self.res.loneliness >= thr)
        u = rng.random(k)
        pick_any = rng.integers(0, self.res.n, size=k)
        pick_lonely = lonely[rng.integers(0, lonely.size, size=k)] if lonely.size else pick_any
        who = np.unique(np.where(u < detection, pick_lonely, pick_any))
        self._refresh_group_arrays()
        room = self._g_acts & (self._g_capacity > self._g_members)
        grp = self._pick_groups(who, rng, room, self._g_trust + 0.1, local_share=0.95)
        ok = grp >= 0
        self.members.add(who[ok], grp[ok], len(self.all_groups))
        gclients, _ = self._client_counts()
        visit_room = self._g_visits & (self._visit_places() > gclients)
        cand = who[self.res.client_of[who] == NO_GROUP]
        svc = self._pick_groups(cand, rng, visit_room, np.ones(len(self.all_groups)), local_share=0.95)
        ok = svc >= 0
        self.res.client_of[cand[ok]] = svc[ok]
        self.res.client_since[cand[ok]] = self.week

    def visit_places_of(self, g: CommunityGroup) -> float:
        return float(self._g_capacity[g.gid] * self._g_visit_share[g.gid] + g.contract_places)

    def _visit_places(self) -> np.ndarray:
        """One-to-one visit places a week per group: all of a visiting group's capacity if it runs
        no activities, else 30% of it; plus its contract places."""
        return self._g_capacity * self._g_visit_share + self.gt.contract_places[:len(self.all_groups)]

    def found_group(self, kind: str, nbhd: int, reason: str = "",
                    rng: np.random.Generator | None = None, refresh: bool = True) -> CommunityGroup:
        """A new group with a few founders as volunteers and members. ``rng``: the stream of the
        process that founds it (a regime passes its own, so it does not shift the draws of
        spontaneous foundings). ``refresh=False`` leaves the per-group arrays to the caller, which
        founds several groups and then calls ``_refresh_group_arrays`` once (rebuilding them per
        founding costs time in proportion to the number of groups, so a city's many foundings a
        week would cost time growing with the square of its size)."""
        kp = self.params.groups.kinds[kind]
        rng = self.streams["foundings"] if rng is None else rng
        g = self._new_group(kind, nbhd, reserves=8 * kp.running_cost_per_year / WEEKS_PER_YEAR)
        # the neighbourhood's residents in increasing order, from the index (not a scan of everyone:
        # a city founds groups every week)
        order, counts, start = self._nbhd_index
        local = order[start[nbhd]:start[nbhd] + counts[nbhd]]
        pool = local[self.res.vol_group[local] == NO_GROUP]
        founders = rng.choice(pool, size=min(3, pool.size), replace=False) if pool.size else pool
        self.res.vol_group[founders] = g.gid
        pool = local
        if kp.activities and pool.size:
            joiners = rng.choice(pool, size=min(5, pool.size), replace=False)
            self.members.add(np.concatenate([founders, joiners]), np.full(founders.size + joiners.size, g.gid),
                             len(self.all_groups))
        self._period_foundings += 1
        self.log_event(f"a new {kind.replace('_', ' ')} group started in neighbourhood {nbhd + 1}"
                       + (f": {reason}" if reason else ""))
        if refresh:
            self._refresh_group_arrays()
        return g

    def close_groups(self, closing: list[tuple[CommunityGroup, str]]) -> None:
        """Groups close (each with its cause): members lose their place to meet and part of the ties
        and trust the group held. One pass over residents, memberships and ties for all of a week's
        closures (closing one group changes nothing another closure reads)."""
        if not closing:
            return
        p = self.params.groups
        gids = np.array([g.gid for g, _ in closing])
        # ties between two former members of a closing group weaken (once per such group)
        in_closing = np.isin(self.members.grp, gids)
        for lo in range(0, gids.size, 64):  # one bit per closing group, 64 groups at a time
            chunk = gids[lo:lo + 64]
            bit = np.full(len(self.all_groups), -1)
            bit[chunk] = np.arange(chunk.size)
            b = bit[self.members.grp]
            sel = b >= 0
            bits = np.zeros(self.res.n, dtype=np.uint64)  # each resident's closing groups
            np.bitwise_or.at(bits, self.members.res[sel], np.left_shift(np.uint64(1), b[sel].astype(np.uint64)))
            kernels.weaken_shared(self.ties.i, self.ties.j, self.ties.w, bits, 1.0 - 0.5 * p.trust_loss_on_closure)
        self.members.keep(~in_closing)
        self.res.vol_group[np.isin(self.res.vol_group, gids)] = NO_GROUP
        self.res.client_of[np.isin(self.res.client_of, gids)] = NO_GROUP
        self._groups_changed = True
        for g, _ in closing:
            g.active = False
        for g, cause in closing:
            g.closed_week, g.cause = self.week, cause
            for other in self.collab.pop(g.gid, set()):
                self.collab[other].discard(g.gid)
            self.sector_trust[g.nbhd] = max(0.2, self.sector_trust[g.nbhd] - 0.1 * p.trust_loss_on_closure)
            g.contract_places = 0
            g.contract_payment_per_week = 0.0
            self._period_closures += 1
            self.log_event(f"a {g.kind.replace('_', ' ')} group in neighbourhood {g.nbhd + 1} closed: "
                           f"{CLOSURE_WORDS[cause]}")
            g.remove()
        if any(g.kind == "volunteer_centre" for g, _ in closing) and not any(
                x.active and x.kind == "volunteer_centre" for x in self.all_groups):
            self.brokerage = 0.0

    # ------------------------------------------------------------------------------------------
    # Phases
    # ------------------------------------------------------------------------------------------
    def _phase_calendar(self) -> None:
        if self.week == 0 and self.active_regime is not self.regime:
            self.active_regime.teardown(self)
            self.active_regime = self.regime
            self.regime.setup(self)
        if self.week % WEEKS_PER_YEAR != 0:
            return
        self.council.set_budget(self.year)  # negative years (burn-in) are funded stably
        luck = self.streams["finances"]
        for g in self.active_groups():
            g.new_budget_year(float(luck.standard_normal()))
            if g.n_members + g.clients > 0:
                g.trust += self.rates.trust_gain * (1.0 - g.trust) * (0.5 + self.council.relationship)
        self.sector_trust += 0.1 * (1.0 - self.sector_trust)
        self._groups_changed = True  # trust and staff changed
        self.council.end_budget_year()
        self.active_regime.yearly(self)

    def _phase_life_events(self) -> None:
        r, p = self.res, self.params.residents
        rng = self.streams["life_events"]
        self._contact = np.zeros(r.n)
        u_b, u_i = rng.random(r.n), rng.random(r.n)
        # bereavement by age band; illness onset makes a resident disabled; both raise loneliness
        bereaved = kernels.life_events(u_b, u_i, self.rates.bereavement, r.age, self.rates.illness, r.disabled,
                                       r.loneliness, p.life_event_loneliness)
        if bereaved.any() and len(self.ties):
            # each bereaved resident loses their strongest tie
            t = self.ties
            best = np.sort(kernels.strongest_tie(t.i, t.j, t.w, bereaved))  # one per bereaved resident
            # distinct (one tie can be both ends' strongest) and existing (-1: no tie), sorted
            best = best[(best >= 0) & (best != np.append(-1, best[:-1]))]
            t.remove_edges(best)

    def _phase_turnover(self) -> None:
        r = self.res
        rng = self.streams["turnover"]
        leave = rng.random(r.n) < self.rates.move_or_die[r.age]
        idx = np.flatnonzero(leave)
        if idx.size == 0:
            return
        self.ties.remove_residents(leave)
        self.members.keep(~leave[self.members.res])
        r.replace(idx, self.week, self.params.residents, rng)
        k = self.params.ties.newcomer_ties
        if k > 0:  # added with the week's other new ties (one insertion a week), already close
            a = np.repeat(idx, k)
            self._new_a.append(a)
            self._new_b.append(self._partners_near(a, rng, 0.0))
            self._new_w.append(np.full(a.size, self.params.ties.close_threshold + 0.1))

    def _phase_membership(self) -> None:
        r, g, rates = self.res, self.params.groups, self.rates
        rng = self.streams["membership"]
        thr = self.params.residents.lonely_threshold
        lonely = r.loneliness >= thr
        m = self.members
        u_leave = rng.random(len(m))
        leave_p = rates.leave * (1.0 + lonely[m.res])
        m.keep(u_leave >= leave_p)
        self._g_members = m.counts_by_group(len(self.all_groups))
        n_mem = m.counts_by_resident(r.n)
        u_join = rng.random(r.n)
        # p_join = join x (lonely_join_factor if lonely) x need / mean need x sector trust of the
        # neighbourhood x (disability_contact_factor if disabled); below max_memberships
        joiners = kernels.joiners(u_join, rates.join, r.loneliness, thr, g.lonely_join_factor, r.need,
                                  r.need.mean(), self.sector_trust, r.nbhd, r.disabled,
                                  self.params.residents.disability_contact_factor, n_mem, g.max_memberships)
        room = self._g_acts & (self._g_capacity > self._g_members)
        grp = self._pick_groups(joiners, rng, room, self._g_trust + 0.05)
        ok = grp >= 0
        m.add(joiners[ok], grp[ok], len(self.all_groups))
        self._refresh_group_arrays()

    def _phase_activities(self) -> None:
        r, m, p = self.res, self.members, self.params
        rng = self.streams["attendance"]
        if len(m) == 0:
            return
        fill = np.minimum(1.0, self._g_capacity / np.maximum(1, self._g_members))
        lonely = r.loneliness >= p.residents.lonely_threshold
        pr = (p.groups.attend_prob * fill[m.grp] * np.where(r.disabled[m.res], p.residents.disability_contact_factor, 1.0)
              * np.where(lonely[m.res], p.residents.lonely_reciprocity, 1.0) * self._g_acts[m.grp])
        att = rng.random(len(m)) < pr
        a_res, a_grp = m.res[att], m.grp[att]
        self._contact += p.residents.group_contact * np.bincount(a_res, minlength=r.n)
        # co-attendance: some attendees get to know another attendee of the same activity
        rng2 = self.streams["co_attendance"]
        if a_res.size:
            order = stable_order(a_grp, len(self.all_groups))
            a_res, a_grp = a_res[order], a_grp[order]
            counts = np.bincount(a_grp, minlength=len(self.all_groups))
            start = np.concatenate([[0], np.cumsum(counts)[:-1]])
            u, v = rng2.random(a_res.size), rng2.random(a_res.size)
            meet = u < self.rates.co_attendance
            partner = a_res[start[a_grp] + (v * counts[a_grp]).astype(np.int64)]
            self._queue_ties(a_res[meet], partner[meet])

    def _phase_services(self) -> None:
        r, p = self.res, self.params
        rng = self.streams["services"]
        thr = p.residents.lonely_threshold
        gcl, pcl = self._client_counts()
        # discharge after the support period; outcome verification for outcome contracts
        c = r.client_of
        done = np.flatnonzero((c >= 0) & (self.week - r.client_since >= p.groups.service_weeks))
        if done.size:
            obc = self._outcomes_instrument()
            if obc is not None and obc.contract is not None:
                holders = {m.gid for m in obc.contract.holders}
                prov = obc.contract.provider
                for i in done:
                    code = int(c[i])
                    if code in holders:
                        obc.verify(self, code, None, bool(r.loneliness[i] >= thr))
                    elif prov is not None and code == PROVIDER_BASE + prov.pid:
                        obc.verify(self, None, prov.pid, bool(r.loneliness[i] >= thr))
            c[done] = NO_GROUP
            gcl, pcl = self._client_counts()
        # intake: services with free places find lonely residents in their catchment
        free_g = np.where(self._g_visits, np.floor(self._visit_places() - gcl), 0).astype(np.int64)
        free_p = np.array([pv.contract_places - k for pv, k in zip(self.providers, pcl, strict=True)], dtype=np.int64)
        pool_mask = (r.loneliness >= thr) & (c == NO_GROUP)
        takes_g = rng.binomial(np.maximum(free_g, 0), self.rates.intake) if free_g.size else free_g
        takes_p = rng.binomial(np.maximum(free_p, 0), self.rates.intake) if free_p.size else free_p
        if takes_g.sum() + takes_p.sum() > 0:
            pool = np.flatnonzero(pool_mask)
            rng.shuffle(pool)
            taken = np.zeros(r.n, dtype=bool)
            # the pool by neighbourhood (shuffled order kept within each): a group takes the next
            # residents of its own neighbourhood's slice
            by_nb = pool[stable_order(r.nbhd[pool], self.params.place.n_neighbourhoods)]
            nbs = r.nbhd[by_nb]
            nb_ids = np.arange(self.params.place.n_neighbourhoods)
            next_free, nb_end = np.searchsorted(nbs, nb_ids), np.searchsorted(nbs, nb_ids, side="right")
            for gid in np.flatnonzero(takes_g):
                k = self._g_nbhd[gid]
                lo = next_free[k]
                hi = min(nb_end[k], lo + takes_g[gid])
                cand = by_nb[lo:hi]
                next_free[k] = hi
                c[cand] = gid
                r.client_since[cand] = self.week
                taken[cand] = True
            obc = self._outcomes_instrument()
            for pid in np.flatnonzero(takes_p):
                free = pool[~taken[pool]]
                if obc is not None and obc.contract is not None and obc.contract.provider is self.providers[pid]:
                    # paid only for outcomes, an outside provider takes on the residents nearest to
                    # recovery first ("creaming"), not the most lonely
                    free = free[np.argsort(r.loneliness[free], kind="stable")]
                cand = free[: takes_p[pid]]
                c[cand] = PROVIDER_BASE + pid
                r.client_since[cand] = self.week
                taken[cand] = True
        # delivery: visits by local volunteers (which can become ties), calls by providers
        u, v = rng.random(r.n), rng.random(r.n)
        by_group = (c >= 0) & (c < PROVIDER_BASE)
        by_prov = c >= PROVIDER_BASE
        visited = by_group & (u < 0.9)
        called = by_prov & (u < 0.85 * (1.0 - 0.5 * p.providers.staff_turnover_per_year))
        self._contact[visited] += p.residents.visit_contact
        self._contact[called] += p.residents.phone_contact
        # a visit can turn into a friendship with the visiting volunteer (GoodGym's mechanism)
        befriend = np.flatnonzero(visited & (v < 0.03))
        if befriend.size:
            vols = np.flatnonzero(r.vol_group >= 0)
            vg = r.vol_group[vols]
            order = stable_order(vg, len(self.all_groups))
            vols, vg = vols[order], vg[order]
            counts = np.bincount(vg, minlength=len(self.all_groups))
            start = np.concatenate([[0], np.cumsum(counts)[:-1]])
            gid = c[befriend]
            has = counts[gid] > 0
            pick = start[gid[has]] + (v[befriend][has] / 0.03 * counts[gid[has]]).astype(np.int64)
            self._queue_ties(befriend[has], vols[np.minimum(pick, vols.size - 1)])
        # a provider's call occasionally signposts the client to a local group
        signpost = np.flatnonzero(called & (v < 0.1 * p.providers.tie_formation_factor))
        if signpost.size:
            room = self._g_acts & (self._g_capacity > self._g_members)
            grp = self._pick_groups(signpost, rng, room, self._g_trust + 0.05, local_share=1.0)
            ok = grp >= 0
            self.members.add(signpost[ok], grp[ok], len(self.all_groups))
        gcl, pcl = self._client_counts()
        self.gt.clients[:len(self.all_groups)] = gcl
        for pv, k in zip(self.providers, pcl, strict=True):
            pv.clients = int(k)

    def _outcomes_instrument(self) -> OutcomesBased | None:
        for ins in self.active_regime.instruments:
            if isinstance(ins, OutcomesBased):
                return ins
        return None

    def _phase_volunteering(self) -> None:
        r, p, rates = self.res, self.params, self.rates
        rng = self.streams["volunteering"]
        G = len(self.all_groups)
        vol = r.vol_group
        # quitting: a steady rate, plus burnout where a group is stretched beyond its volunteers
        gcl, _ = self._client_counts()
        demand = self._g_members * p.groups.attend_prob + gcl
        load = demand / np.maximum(1.0, self._g_capacity)
        is_vol = vol >= 0
        stretched = np.append(load > 1.5, False)[vol]  # vol = -1 (none) reads the appended False
        u_quit = rng.random(r.n)
        quit_ = is_vol & (u_quit < rates.vol_quit + rates.vol_burnout * stretched)
        vol[quit_] = NO_GROUP
        # starting: members of groups that need volunteers, against competing groups nearby
        sought = self.volunteers_sought(slice(0, G), self.group_scale(self._g_members, gcl))
        gap = np.maximum(0.0, sought - self._volunteer_counts())
        seeking = (gap > 0) & self._g_active
        competitors = np.bincount(self._g_nbhd[seeking], minlength=p.place.n_neighbourhoods)
        partners = np.array([len(self.collab.get(k, ())) for k in range(G)])
        rivals = np.maximum(0, competitors[self._g_nbhd] - 1 - partners)
        skill = self.connector_skill()
        turf = p.groups.turf_penalty * (1.0 - 0.7 * skill[self._g_nbhd])
        pull = (0.5 + self._g_trust) / (1.0 + turf * rivals / np.maximum(1, competitors[self._g_nbhd])) * (1 + self.brokerage)
        m = self.members
        u_join = rng.random(len(m))
        ask = np.where(seeking, 1.0, p.groups.surplus_volunteering * self._g_active)
        cand = (u_join < rates.vol_join * pull[m.grp] * ask[m.grp]) & (vol[m.res] == NO_GROUP)
        who, where = m.res[cand], m.grp[cand]
        who, first = np.unique(who, return_index=True)
        vol[who] = where[first]
        # brokerage by a funded volunteer centre: residents matched to groups that need help
        if self.brokerage > 0:
            k = int(rng.poisson(self.brokerage * r.n * 0.01 / WEEKS_PER_YEAR))
            who = rng.integers(0, r.n, size=k)
            who = who[vol[who] == NO_GROUP]
            grp = self._pick_groups(who, rng, seeking, gap.astype(float), local_share=0.9)
            ok = grp >= 0
            vol[who[ok]] = grp[ok]
        is_vol = vol >= 0
        self._contact += p.residents.volunteer_contact * is_vol
        self._g_vols = self._volunteer_counts()
        self.gt.volunteers[:G] = self._g_vols

    def _phase_regime_delivery(self) -> None:
        self.active_regime.weekly(self)
        # connectors introduce lonely residents to groups in their neighbourhoods
        if self.connector_fte.any():
            rng = self.streams["community_development"]
            skill = self.connector_skill()
            k = int(rng.poisson(skill.sum() * 50 / WEEKS_PER_YEAR))
            self.refer(k, 0.6, rng)

    def _phase_tie_contact(self) -> None:
        r, t, p = self.res, self.ties, self.params
        rng = self.streams["contact"]
        # reciprocity: lower for lonely residents and for disabled residents (in the kernel)
        # time budget: a resident whose ties weigh more than they can keep up shares their time;
        # a tie meets with probability contact_prob * weight * the lower effort of its two ends.
        # Then ties that met strengthen, the others decay, and those below drop_below are gone.
        # The kernel also takes out the ties removed earlier in the week (bereavement, turnover).
        meetings, kept = kernels.tie_contact(*t.marked(), r.loneliness, p.residents.lonely_threshold,
                                             p.residents.lonely_reciprocity, r.disabled,
                                             p.residents.disability_contact_factor, p.ties.time_budget,
                                             p.ties.contact_prob, rng.uniform_state, p.ties.strengthen,
                                             p.ties.decay, p.ties.drop_below)
        t.compact(kept)
        self._contact += p.ties.tie_contact * meetings

    def _phase_loneliness(self) -> None:
        r, p = self.res, self.params.residents
        rng = self.streams["loneliness"]
        # L += rise * prone * shortfall * (1 - L) - fall / prone * met * L + noise, clipped to [0, 1],
        # with s = contact / need, shortfall = clip(1 - s), met = clip(s), noise = sd x a standard
        # normal drawn in the kernel (ziggurat on the stream's xoshiro256+; model/kernels.py)
        by_nb = kernels.loneliness_update(r.loneliness, self._contact, r.need, r.prone, rng.uniform_state, p.loneliness_rise,
                                          p.loneliness_fall, p.loneliness_noise_sd, p.lonely_threshold,
                                          r.weeks_lonely, r.nbhd, self.params.place.n_neighbourhoods)
        self._lonely_hist.append(by_nb)
        if len(self._lonely_hist) > self.params.council.observation_delay_weeks + 1:
            self._lonely_hist.pop(0)

    def _phase_ties(self) -> None:
        t, p = self.ties, self.params.ties
        rng = self.streams["neighbours"]
        n = self.res.n
        u = rng.random(n)
        who = np.flatnonzero(u < self.rates.neighbour)
        self._queue_ties(who, self._partners_near(who, rng, p.bridging_share))
        # triadic closure: some residents meet a friend's friend (processed every 4 weeks, with
        # the 4-week probability, to build the adjacency matrix once a month rather than weekly)
        rng = self.streams["triadic"]
        u2 = rng.random(n)
        who = np.flatnonzero(u2 < self.rates.triadic) if self.week % 4 == 0 else np.empty(0, dtype=np.int64)
        if who.size and len(t):
            ptr, idx = kernels.adjacency(t.i, t.j, n)
            deg = ptr[who + 1] - ptr[who]
            who, deg = who[deg > 0], deg[deg > 0]
            friend = idx[ptr[who] + (rng.random(who.size) * deg).astype(np.int64)]
            fdeg = ptr[friend + 1] - ptr[friend]
            fof = idx[ptr[friend] + (rng.random(who.size) * fdeg).astype(np.int64)]
            self._queue_ties(who, fof)
        a, b, w = np.concatenate(self._new_a), np.concatenate(self._new_b), np.concatenate(self._new_w)
        self._new_a, self._new_b, self._new_w = [], [], []
        t.add(a, b, w, reinforce=True)

    def _phase_finances(self) -> None:
        self._static_group_arrays()
        self.group_finances(np.flatnonzero(self._g_active))
        for pv in self.providers:
            pv.weekly_finances()

    def group_finances(self, gids: np.ndarray) -> None:
        """A week of the groups ``gids``'s finances, as array code over the group table: donations
        and fundraising in, running and staff costs out, and under a contract the full local cost of
        each contract client served out and the contract's payment in. Fundraising is volunteer-led
        (events, trading, small trusts): a group with the volunteers it seeks covers
        ``fundraising_cover`` of its running costs, less with fewer (assumption, see ODD)."""
        p, gt = self.params, self.gt
        gp = p.groups
        members, clients = gt.n_members[gids], gt.clients[gids]
        scale = self.group_scale(members, clients)
        vol_ratio = np.minimum(1.0, gt.volunteers[gids] / self.volunteers_sought(gids, scale))
        donations = (members * gt.donations_per_member_per_year[gids] * (0.5 + gt.trust[gids])
                     / WEEKS_PER_YEAR)
        fundraising = (gt.running_cost_per_year[gids] * scale * gp.fundraising_cover * vol_ratio * gt.luck[gids]
                       / WEEKS_PER_YEAR)
        costs = self.running_costs(gids, scale) + self.staff_costs(gids)
        reserves = gt.reserves[gids] + donations + fundraising - costs
        places = gt.contract_places[gids]
        under = places > 0
        served = np.minimum(clients, places)
        reserves = np.where(under, reserves - served * p.providers.local_unit_cost_per_client_per_year
                            / WEEKS_PER_YEAR, reserves)
        paid = np.where(under, gt.contract_payment_per_week[gids], 0.0)
        gt.reserves[gids] = np.where(under, reserves + paid, reserves)
        for source, amount in (("donations", donations), ("fundraising", fundraising), ("contracts", paid)):
            gt.income_year[gids, _SOURCE[source]] += amount
            gt.income_total[gids, _SOURCE[source]] += amount

    def closure_clocks(self, gids: np.ndarray) -> list[tuple[CommunityGroup, str]]:
        """Advance the groups' weeks-without counters (money: reserves below ``min_reserves``;
        volunteers: none and under half a paid post; members: fewer people served than
        ``min_members``); the groups that reach ``closure_weeks`` on one, with its cause (money
        first, then volunteers, then members)."""
        gp, gt = self.params.groups, self.gt
        money = np.where(gt.reserves[gids] < gp.min_reserves, gt.weeks_without_money[gids] + 1, 0)
        staffed = (gt.volunteers[gids] > 0) | (gt.staff[gids] >= 0.5)
        vols = np.where(staffed, 0, gt.weeks_without_volunteers[gids] + 1)
        served = gt.n_members[gids] + gt.clients[gids]
        members = np.where(served < gp.min_members, gt.weeks_without_members[gids] + 1, 0)
        gt.weeks_without_money[gids], gt.weeks_without_volunteers[gids] = money, vols
        gt.weeks_without_members[gids] = members
        w = gp.closure_weeks
        cause = np.where(money >= w, 0, np.where(vols >= w, 1, np.where(members >= w, 2, -1)))
        return [(self.all_groups[k], CLOSURE_CAUSES[c]) for k, c in zip(gids.tolist(), cause.tolist(), strict=True)
                if c >= 0]

    def _phase_closures_and_foundings(self) -> None:
        p = self.params
        self.close_groups(self.closure_clocks(np.flatnonzero(self._g_active)))
        rng = self.streams["foundings"]
        nb = p.place.n_neighbourhoods
        u = rng.random(nb)
        counts = np.bincount(self.res.nbhd, minlength=nb)
        has = np.zeros(self.res.n, dtype=bool)
        has[self.members.res] = True  # residents in at least one group
        mem = np.bincount(self.res.nbhd[has], minlength=nb) / np.maximum(1, counts)
        skill = self.connector_skill()
        rate = (self.rates.foundings_per_resident * counts * (mem / 0.35) ** p.groups.founding_capital_elasticity
                * (1.0 + p.regime.community_development.seeding_boost * skill) * self.sector_trust)
        kinds = [k for k in GROUP_KINDS if k in p.groups.kinds and k != "volunteer_centre"]
        shares = np.array([p.groups.kinds[k].share for k in kinds])
        for k in np.flatnonzero(u < rate):
            kind = kinds[int(rng.choice(len(kinds), p=shares / shares.sum()))]
            self.found_group(kind, int(k), refresh=False)
        self._refresh_group_arrays()

    def _phase_collaboration(self) -> None:
        p = self.params
        rng = self.streams["collaboration"]
        skill = self.connector_skill()
        # lapses: collaborations fade unless a connector keeps brokering
        pairs = sorted((a, b) for a, partners in self.collab.items() for b in partners if b > a)
        if pairs:
            first = np.array([a for a, _ in pairs])
            keep_p = 1.0 - self.rates.collab_decay * (1.0 - 0.7 * skill[self._g_nbhd[first]])
            for k in np.flatnonzero(rng.random(len(pairs)) > keep_p):
                a, b = pairs[k]
                self.collab[a].discard(b)
                self.collab[b].discard(a)
        # formation within neighbourhoods, faster with a skilled connector
        active = np.flatnonzero(self._g_active)
        nb = p.place.n_neighbourhoods
        active = active[stable_order(self._g_nbhd[active], nb)]  # by neighbourhood, gid order within
        bounds = np.searchsorted(self._g_nbhd[active], np.arange(nb + 1))
        for nbhd in range(nb):
            here = active[bounds[nbhd]:bounds[nbhd + 1]]
            if here.size < 2:
                continue
            pairs = here.size * (here.size - 1) / 2
            lam = pairs * self.rates.collab_form + skill[nbhd] * p.regime.community_development.brokering_per_year / WEEKS_PER_YEAR
            for _ in range(int(rng.poisson(lam))):
                a, b = rng.choice(here, size=2, replace=False)
                self.collab[int(a)].add(int(b))
                self.collab[int(b)].add(int(a))

    def _phase_record(self) -> None:
        if self.week < 0 or (self.week + 1) % self.params.record_every_weeks != 0:
            if self.week < 0:
                self._period_closures = self._period_foundings = 0
            return
        self._rows.append(self.measure())
        self._period_closures = self._period_foundings = 0

    # ------------------------------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------------------------------
    def measure(self) -> dict[str, float]:
        """The outcomes now (see model.outcomes.OUTCOMES)."""
        r, p = self.res, self.params
        n = r.n
        thr = p.residents.lonely_threshold
        lonely = r.loneliness >= thr
        t = self.ties
        # close-tie degrees, triangles among close ties (each counted once), the largest connected
        # component of all ties and the ties crossing neighbourhoods, in one pass over the edges
        deg_close, triangles, largest, bridging = kernels.close_tie_stats(
            t.i, t.j, t.w, n, p.ties.close_threshold, r.nbhd)
        # clustering: transitivity of the close-tie graph, 3 x triangles / connected triples
        triples = float((deg_close * (deg_close - 1) / 2).sum())
        clustering = 3.0 * float(triangles) / triples if triples > 0 else 0.0
        largest = largest / n
        nb = p.place.n_neighbourhoods
        by_nb = np.bincount(r.nbhd, weights=lonely, minlength=nb) / np.maximum(1, np.bincount(r.nbhd, minlength=nb))
        gt = self.gt
        active = np.flatnonzero(gt.active[:len(self.all_groups)])  # gids, increasing
        kinds = np.bincount(np.asarray(self._kind_codes, dtype=np.int64)[active],
                            minlength=len(GROUP_KINDS)).astype(float)
        n_act = active.size
        shares = kinds[kinds > 0] / max(1, n_act)
        collab_pairs = sum(len(v) for v in self.collab.values()) / 2
        w1 = self.week + self.burn_in_weeks + 1
        # spend over the past 52 weeks, never reaching back into the burn-in
        spend = self._ledger[max(self.burn_in_weeks, w1 - WEEKS_PER_YEAR):w1].sum(axis=0)
        total_spend = spend.sum()
        row: dict[str, float] = {
            "week": self.week,
            "year": self.year,
            "lonely_share": float(lonely.mean()),
            "mean_loneliness": float(r.loneliness.mean()),
            "chronic_lonely_share": float((r.weeks_lonely >= p.residents.chronic_weeks).mean()),
            "lonely_gap_neighbourhoods": float(by_nb.max() - by_nb.min()),
            "mean_close_ties": float(deg_close.mean()),
            "isolated_share": float((deg_close == 0).mean()),
            "clustering": clustering,
            "bridging_share": bridging / len(t) if len(t) else 0.0,
            "largest_component_share": float(largest),
            "volunteer_share": float((r.vol_group >= 0).mean()),
            "volunteer_hours": float((r.vol_group >= 0).sum() * p.residents.volunteer_hours_per_week),
            "membership_share": float((self.members.counts_by_resident(n) > 0).mean()),
            "active_groups": float(n_act),
            "group_closures": float(self._period_closures),
            "group_foundings": float(self._period_foundings),
            "kind_diversity": float(-(shares * np.log(shares)).sum()),
            "mean_group_trust": float(np.mean(gt.trust[active])) if n_act else 0.0,
            "collaboration_density": float(collab_pairs / (n_act * (n_act - 1) / 2)) if n_act > 1 else 0.0,
            "total_reserves": float(sum(gt.reserves[active].tolist())),  # Python's compensated sum
            "local_funding_share": float(spend[0] / total_spend) if total_spend > 0 else float("nan"),
            "council_spend": float(total_spend),
            "clients": float((r.client_of >= 0).sum()),
        }
        # lonely share by age band and by disability: lonely counts over group sizes (one pass each)
        nbands = len(AGE_BANDS)
        size = np.bincount(r.age, minlength=nbands)
        count = np.bincount(r.age, weights=lonely, minlength=nbands)
        for k, band in enumerate(AGE_BANDS):
            row[f"lonely_share_{band}"] = float(count[k] / size[k]) if size[k] else float("nan")
        size = np.bincount(r.disabled, minlength=2)
        count = np.bincount(r.disabled, weights=lonely, minlength=2)
        for k, name in ((1, "disabled"), (0, "not_disabled")):
            row[f"lonely_share_{name}"] = float(count[k] / size[k]) if size[k] else float("nan")
        return row

    def timeseries(self) -> pd.DataFrame:
        cols = ["week", "year", *[c for c in OUTCOME_NAMES if c not in SUMMARY_ONLY]]
        return pd.DataFrame(self._rows, columns=cols)

    def summary(self) -> dict[str, float]:
        """Each outcome averaged over the final year (closures and foundings: final-year totals,
        and as rates per active group)."""
        ts = self.timeseries()
        last = ts[ts["week"] >= ts["week"].max() - WEEKS_PER_YEAR + 1] if len(ts) else ts
        out: dict[str, float] = {}
        for name in OUTCOME_NAMES:
            if name in SUMMARY_ONLY:
                continue
            col = last[name]
            out[name] = float(col.sum()) if name in EVENT_COUNTS else float(col.mean()) if len(col) else float("nan")
        scale = WEEKS_PER_YEAR / max(1, len(last) * self.params.record_every_weeks)
        mean_groups = max(1.0, out["active_groups"])
        out["group_closures"] *= scale
        out["group_foundings"] *= scale
        out["group_closure_rate"] = out["group_closures"] / mean_groups
        out["group_founding_rate"] = out["group_foundings"] / mean_groups
        return out

    def group_table(self) -> pd.DataFrame:
        rows = []
        for g in self.all_groups:
            end = g.closed_week if g.closed_week is not None else self.week
            rows.append({
                "group_id": g.gid, "kind": g.kind, "neighbourhood": g.nbhd,
                "founded_week": g.founded_week,
                "closed_week": float(g.closed_week) if g.closed_week is not None else float("nan"),
                "closed": g.closed_week is not None, "cause": g.cause,
                "members": g.n_members, "max_members": g.max_members_seen,
                "duration_weeks": end - g.founded_week, "reserves": g.reserves,
                **{f"income_{s}": g.income_total[s] for s in INCOME_SOURCES},
            })
        return pd.DataFrame(rows)
