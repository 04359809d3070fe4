"""The community model's core: one step is one week.

A week runs the model's plan (``CommunityModel.plan``): a list of its phases, as bound methods, in
the order they run; ``describe_schedule()`` prints it. The phases live in ``model/phases/``, one
module per subject (life and turnover, groups and membership, services, volunteering, ties,
finances, the council, recording). The yearly budget cycle (budget, grant rounds, tenders, contract
ends, outcome rewards) runs at the start of the first week of each budget year (the ``calendar``
phase).

Time: ``week`` counts from the start of the regime; the burn-in runs at negative weeks under the
status-quo arrangements, identical for every regime on the same seed (paired design).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import mesa
import numpy as np

from model.agents import Council, GroupTable, OutsideProvider
from model.memory import keep_freed_memory
from model.network import Memberships, Ties
from model.params import AGE_BAND_YEARS, WEEKS_PER_YEAR, Params, RegimeParams, weekly_hazard, weekly_prob
from model.phases import Buckets
from model.phases.council import LEDGER_COLUMNS, CouncilPhases
from model.phases.finances import FinancePhases
from model.phases.groups import GroupPhases
from model.phases.life import LifePhases
from model.phases.record import RecordPhases
from model.phases.services import ServicePhases
from model.phases.ties import TiePhases
from model.phases.volunteering import VolunteeringPhases
from model.regimes import Regime
from model.residents import Residents
from model.streams import Streams

__all__ = ["AFTER_BURN_IN", "WEEKS_PER_YEAR", "CommunityModel", "WeeklyRates", "burn_in_params", "burn_in_regime"]


@dataclass(slots=True)
class WeeklyRates:
    """Every yearly rate of the parameters, converted to per week in one place."""

    bereavement: np.ndarray
    illness: np.ndarray  # onset among residents without a limiting illness, by age band
    recovery: np.ndarray  # a limiting illness ends, by age band
    move_or_die: np.ndarray
    ageing: np.ndarray  # moving up to the next age band, by band (0 for the last, or without ageing)
    newcomer_bands: np.ndarray  # cumulative shares of newcomers by age band
    vol_quit: float
    vol_burnout: float
    vol_join: float
    vol_approach: float  # a serving volunteer is asked by another group short of volunteers
    join: float
    leave: float
    co_attendance: float
    neighbour: float
    triadic: float
    intake: float
    service_dropout: float  # a client's weekly chance of withdrawing
    referral_dropout: float  # a referred member's weekly chance of giving the group up
    foundings_per_resident: float
    collab_form: float
    collab_decay: float
    trust_gain: float

    @classmethod
    def from_params(cls, p: Params) -> WeeklyRates:
        r, g = p.residents, p.groups
        move_or_die = np.array([weekly_prob(m + d) for m, d in zip(r.move_per_year_by_age,
                                                                  r.death_per_year_by_age, strict=True)])
        ageing = np.array([weekly_hazard(1.0 / w) if r.ageing else 0.0 for w in AGE_BAND_YEARS] + [0.0])
        return cls(
            bereavement=np.array([weekly_prob(x) for x in r.bereavement_per_year_by_age]),
            illness=np.array([weekly_prob(x) for x in r.illness_onset_per_year_by_age]),
            recovery=np.array([weekly_prob(x) for x in r.illness_recovery_per_year_by_age]),
            move_or_die=move_or_die,
            ageing=ageing,
            newcomer_bands=newcomer_bands(r.age_shares, ageing, move_or_die),
            vol_quit=weekly_prob(r.volunteer_quit_per_year),
            vol_burnout=weekly_prob(r.volunteer_burnout_per_year),
            vol_join=weekly_prob(r.volunteer_join_per_year),
            vol_approach=weekly_prob(g.volunteer_approach_per_year),
            join=weekly_prob(g.join_per_year),
            leave=weekly_prob(g.leave_per_year),
            co_attendance=weekly_hazard(p.ties.co_attendance_per_year),
            neighbour=weekly_hazard(p.ties.neighbour_per_year),
            triadic=1.0 - np.exp(-4.0 * p.ties.triadic_per_year / WEEKS_PER_YEAR),  # per 4 weeks
            intake=weekly_hazard(g.intake_per_year),
            # a client draws on service_weeks - 1 weeks: taken in after the week's withdrawal draws,
            # discharged before them in the last week (up to version 12 the rate assumed service_weeks)
            service_dropout=1.0 - (1.0 - g.service_dropout) ** (1.0 / max(1, g.service_weeks - 1)),
            referral_dropout=1.0 - g.referral_adherence ** (1.0 / max(1, g.service_weeks)),
            foundings_per_resident=g.foundings_per_year_per_10k / 10_000 / WEEKS_PER_YEAR,
            collab_form=weekly_hazard(g.collaboration_per_year),
            collab_decay=weekly_prob(g.collaboration_decay_per_year),
            trust_gain=g.trust_gain_per_year,
        )


def newcomer_bands(age_shares, ageing: np.ndarray, leave: np.ndarray) -> np.ndarray:
    """Cumulative shares of newcomers by age band that keep the age structure at ``age_shares``:
    band k's inflow (residents ageing in from band k-1, newcomers) equals its outflow (ageing on,
    moving away, dying), so newcomers to band k are ``s_k (a_k + x_k) - s_(k-1) a_(k-1)``, clipped
    at 0 (weekly rates; ``ageing`` all zero gives newcomers in the leavers' proportions)."""
    s = np.asarray(age_shares, dtype=float) / sum(age_shares)
    inflow = s * (ageing + leave) - np.concatenate([[0.0], s[:-1] * ageing[:-1]])
    q = np.maximum(inflow, 0.0)
    return np.cumsum(q / q.sum()) if q.sum() > 0 else np.cumsum(s)


def yearly_budget(p: Params) -> float:
    """The council's yearly budget for community and prevention spending at the start (GBP)."""
    return p.council.budget_per_resident_per_year * p.place.n_residents


def burn_in_regime(p: Params) -> RegimeParams:
    """The arrangements in place before the study starts: the status quo with its default
    settings. The burn-in therefore depends only on the place and the seed, never on the regime or
    its settings, so every configuration in a sweep starts from the same place (paired design)."""
    return RegimeParams(name="status_quo")


# Parameters that act only after the burn-in; runs differing only in these share their burn-in. A
# dotted name is one field of a group of parameters: the council's settings that only change how
# much it spends and how it allocates that spending (its budget, the grants and portfolios its
# officers can manage, and its noisy, delayed reading of loneliness that need-based grants and
# outcome rewards use). The burn-in runs them at their defaults (the status quo before the study,
# whatever the study's settings): ``burn_in_params``.
AFTER_BURN_IN = ("regime", "funding", "horizon_years", "record_every_weeks",
                 "council.budget_per_resident_per_year", "council.officer_capacity",
                 "council.observation_noise_sd", "council.observation_delay_weeks")


def burn_in_params(p: Params) -> Params:
    """The parameters the burn-in runs under: ``p`` with the status-quo regime (``burn_in_regime``)
    and every dotted ``AFTER_BURN_IN`` field at its default. Two parameter sets that differ only in
    ``AFTER_BURN_IN`` have equal burn-in parameters (but for the top-level names, which the burn-in
    does not read: funding before year 0 is stable; horizon and recording start at week 0)."""
    changed: dict[str, dict[str, object]] = {}
    for name in AFTER_BURN_IN:
        if "." in name:
            part, field = name.split(".", 1)
            changed.setdefault(part, {})[field] = getattr(type(getattr(p, part))(), field)
    parts = {part: dataclasses.replace(getattr(p, part), **fields) for part, fields in changed.items()}
    return dataclasses.replace(p, regime=burn_in_regime(p), **parts)


class CommunityModel(CouncilPhases, LifePhases, GroupPhases, ServicePhases, VolunteeringPhases, TiePhases,
                     FinancePhases, RecordPhases, mesa.Model):
    """Residents (arrays), community groups, providers and a council (Mesa agents)."""

    def __init__(self, params: Params | None = None, seed: int = 0) -> None:
        super().__init__(rng=int(seed))
        p = (params or Params()).validate()
        self.study_params = p  # the study's parameters, adopted at week 0 (``_phase_calendar``)
        keep_freed_memory()  # large arrays are reused week to week, not mapped afresh (model/memory.py)
        self.seed = int(seed)
        self.streams = Streams(seed)
        self.rates = WeeklyRates.from_params(p)
        self.burn_in_weeks = int(round(p.burn_in_years * WEEKS_PER_YEAR))
        self.horizon_weeks = int(round(p.horizon_years * WEEKS_PER_YEAR))
        self.week = -self.burn_in_weeks
        # the burn-in runs the status quo at its default council settings (``burn_in_params``)
        self.params = burn_in_params(p) if self.burn_in_weeks > 0 else p
        n, nb = p.place.n_residents, p.place.n_neighbourhoods
        rng = self.streams["init"]
        self.res = Residents(n, nb, p.residents, rng)
        # residents sorted by neighbourhood (a slot's neighbourhood never changes: a newcomer moves
        # into the home the leaver left), for drawing partners nearby
        self._nbhd_index = Buckets.of(self.res.nbhd, nb)
        self.ties = Ties(n)
        self.members = Memberships()
        # referrals into a group still on trial (groups.referral_adherence): resident, gid, week begun
        self.trials = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64))
        self.gt = GroupTable(p.groups)  # the groups' numeric state, one array per attribute (row = gid)
        self.all_groups = []
        self._kind_codes: list[int] = []  # index in GROUP_KINDS of each group, by gid
        self.council = Council(self)
        self.providers = [OutsideProvider(self, k) for k in range(p.providers.n_bidders)]
        self.collab: dict[int, set[int]] = {}
        self.sector_trust = np.ones(nb)  # residents' trust in local groups, by neighbourhood
        self.events: list[tuple[int, str]] = []
        self._rows: list[dict[str, float]] = []
        self._period_closures = 0
        self._period_foundings = 0
        self._ledger = np.zeros((self.burn_in_weeks + self.horizon_weeks + 1, len(LEDGER_COLUMNS)))
        # each instrument's budget share and spend by (budget year, instrument); what it left
        # unspent, at each year's close (model/phases/council.py)
        self.instrument_budget: dict[tuple[int, str], float] = {}
        self.instrument_spend: dict[tuple[int, str], float] = {}
        self.instrument_unspent: dict[tuple[int, str], float] = {}
        self.payer: str | None = None  # the instrument acting now (its payments are tagged with it)
        self.placements_made = 0  # volunteers placed by brokerage since the start (a volunteer centre's)
        self.volunteers_drawn = 0  # serving volunteers who moved to another group that asked them
        self._lonely_hist: list[np.ndarray] = []
        self._reset_week_scratch()
        self._init_ties(rng)
        self._init_groups(rng)
        self.recount_groups()
        self.regime = Regime(p.regime, yearly_budget(p))
        self.active_regime = (Regime(burn_in_regime(p), yearly_budget(self.params)) if self.burn_in_weeks > 0
                              else self.regime)
        self.active_regime.setup(self)
        self.plan: list[Callable[[], None]] = self.make_plan()
        self.timer: dict[str, float] | None = None  # seconds spent in each phase, when timed

    # ------------------------------------------------------------------------------------------
    # The plan of a week
    # ------------------------------------------------------------------------------------------
    def make_plan(self) -> list[Callable[[], None]]:
        """The week's phases in the order they run (each one's docstring says what it does)."""
        return [
            self._phase_calendar,
            self._phase_life_events,
            self._phase_turnover,
            self._phase_membership,
            self._phase_activities,
            self._phase_services,
            self._phase_volunteering,
            self._phase_regime_delivery,
            self._phase_tie_contact,
            self._phase_loneliness,
            self._phase_ties,
            self._phase_finances,
            self._phase_closures_and_foundings,
            self._phase_collaboration,
            self._phase_record,
        ]

    def _reset_week_scratch(self) -> None:
        """The week's scratch state, created and emptied here at the start of every week: contact
        received this week, and the new-tie candidates that the ties phase adds."""
        self._contact = np.zeros(self.res.n)  # contact units received this week
        self._new_a: list[np.ndarray] = []  # new-tie candidates this week: one end,
        self._new_b: list[np.ndarray] = []  # the other end,
        self._new_w: list[np.ndarray] = []  # the weight a new tie starts at,
        self._new_o: list[np.ndarray] = []  # and where it was made (a gid, or network.ORIGIN_*)
        self._at_groups: list[tuple[np.ndarray, np.ndarray]] = []  # (residents, gids) taking part this week

    def step(self) -> None:
        """One week: the phases of ``plan`` in order (timed per phase when ``timer`` is a dict)."""
        self._reset_week_scratch()
        if self.timer is None:
            for phase in self.plan:
                phase()
        else:
            clock = time.perf_counter
            for phase in self.plan:
                t0 = clock()
                phase()
                name = phase.__name__.removeprefix("_phase_")
                self.timer[name] = self.timer.get(name, 0.0) + clock() - t0
        self.week += 1
        if self.week % WEEKS_PER_YEAR == 0:
            self.close_budget_year(self.year - 1)
        if self.week >= self.horizon_weeks:
            self.running = False

    def start_timer(self) -> dict[str, float]:
        """Time each phase from now on (Starsim's loop timer); returns the dict the times (seconds,
        summed over weeks) accumulate in, by phase name."""
        self.timer = {}
        return self.timer

    def describe_schedule(self) -> str:
        """The week's phases in order, one line each: the phase's name and what it does."""
        lines = []
        for k, phase in enumerate(self.plan):
            doc = (phase.__doc__ or "").strip().split("\n\n")[0]
            lines.append(f"{k + 1:2d}. {phase.__name__.removeprefix('_phase_')}: {' '.join(doc.split())}")
        return "\n".join(lines)

    @property
    def year(self) -> int:
        return self.week // WEEKS_PER_YEAR

    # ------------------------------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------------------------------
    def start_study(self, params: Params) -> None:
        """At week 0 (after burn-in), adopt ``params`` for the study: its regime, funding path,
        horizon and recording interval. Everything else must equal the model's own parameters."""
        if self.week != 0:
            raise ValueError("start_study needs a model at week 0 (after its burn-in)")
        params.validate()
        mine = burn_in_params(self.study_params)
        ours = burn_in_params(params)
        for f in dataclasses.fields(Params):
            if f.name not in AFTER_BURN_IN and getattr(ours, f.name) != getattr(mine, f.name):
                raise ValueError(f"start_study: '{f.name}' differs from the burn-in's parameters")
        self.study_params = params
        self.regime = Regime(params.regime, yearly_budget(params))
        self.horizon_weeks = int(round(params.horizon_years * WEEKS_PER_YEAR))
        self.ledger_rows(self.burn_in_weeks + self.horizon_weeks + 1)  # (a cached burn-in's was sized for its own run)
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
