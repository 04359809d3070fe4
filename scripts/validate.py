"""Validation: does the baseline reproduce what we know about England?

Checks every target and pattern of configs/targets.yaml on the calibration place (town, the
``status_quo`` regime, stable funding, burn-in then the default horizon), prints a PASS/FAIL table
and rewrites the measured section of docs/validation.md (between ``<!-- measured:start -->`` and
``<!-- measured:end -->``). Run explicitly (minutes):

    python scripts/validate.py [--seeds 10] [--jobs 2] [--place town] [--strict]

Exit status: 0, unless ``--strict`` and a check fails (1); bad input gives one line and 2.

Targets are final-year means of ``Result.summary``. Patterns are measured from the residents, ties
and groups themselves, by stepping a ``CommunityModel`` week by week and reading its state through
one adapter (``observe`` and the functions beside it: the only code here that knows the model's
internal names): spells of loneliness, clustering of loneliness in the close-tie network measured
as Cacioppo, Fowler and Christakis did, closure rates by size and age, the matched effect of
services on the residents who receive them, and (paired runs) the population effect of social
prescribing. The measures themselves (``spells``, ``cf_clustering``, ``smd``, ...) are plain
functions of arrays, tested on toy data in tests/test_validation.py.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGETS_FILE = ROOT / "configs" / "targets.yaml"
DOC = ROOT / "docs" / "validation.md"
CACHE = ROOT / "results" / "burn_in_cache"
WEEKS = 52
FOLLOW_UP_WEEKS = 26  # a service lasts six months (groups.service_weeks); outcome read at its end
WAVE_WEEKS = 104  # ELSA interviews every two years
OLDER_BANDS = (3, 4, 5)  # indices of 50-64, 65-74, 75+ in model.params.AGE_BANDS


class InputError(ValueError):
    """Bad input, reported as one line."""


def check_run_args(a: argparse.Namespace) -> None:
    """The settings validate.py and claims.py share: at least two seeds, one job, a known place."""
    if a.seeds < 2:
        raise InputError(f"--seeds must be at least 2 (got {a.seeds})")
    if a.jobs < 1:
        raise InputError(f"--jobs must be at least 1 (got {a.jobs})")
    from model.params import PLACES
    if a.place not in PLACES:
        raise InputError(f"unknown place '{a.place}'; allowed: {', '.join(PLACES)}")


# ==============================================================================================
# Adapter: the only code in this file that reads the model's internal state. If the model's
# internals are renamed, this is what changes.
# ==============================================================================================


@dataclass(slots=True)
class People:
    loneliness: np.ndarray  # float, 0-1
    lonely: np.ndarray  # bool: at or above the lonely threshold
    age: np.ndarray  # age band index (model.params.AGE_BANDS)
    disabled: np.ndarray  # bool
    nbhd: np.ndarray  # neighbourhood
    client: np.ndarray  # int8: 0 not receiving a service, 1 from a local group, 2 from an outside provider
    arrived: np.ndarray  # week the slot's current resident arrived (a change = a different person)


def observe(m) -> People:
    """The residents' state now."""
    r = m.res
    thr = m.params.residents.lonely_threshold
    c = r.client_of
    provider_base = 1 << 30  # model.residents.PROVIDER_BASE
    client = np.where(c >= provider_base, 2, np.where(c >= 0, 1, 0)).astype(np.int8)
    return People(r.loneliness.copy(), r.loneliness >= thr, r.age.copy(), r.disabled.copy(), r.nbhd.copy(),
                  client, r.arrived_week.copy())


def close_ties(m) -> tuple[np.ndarray, np.ndarray, int]:
    """The close ties now, as end arrays ``(i, j)`` and the number of residents."""
    t = m.ties
    keep = t.w >= m.params.ties.close_threshold
    return t.i[keep].astype(np.int64), t.j[keep].astype(np.int64), int(m.res.n)


def groups_now(m) -> list[dict]:
    """The active groups: id, kind, income over the budget year so far, people served, age."""
    return [{"gid": g.gid, "kind": g.kind, "income": float(sum(g.income_year.values())),
             "served": int(g.n_members + g.clients), "age_weeks": int(m.week - g.founded_week)}
            for g in m.active_groups()]


def awards_ended(m, week: int) -> set[int]:
    """The groups whose outside award ended unrenewed in ``week`` (the model's event records)."""
    return {e.fields["gid"] for w, e in m.events if w == week and e.kind == "award_ended"}


def disabled_share(m) -> float:
    return float(np.mean(m.res.disabled))


def spend_ledger(m) -> np.ndarray:
    """Council spend per week since the burn-in began (rows), by recipient category (columns)."""
    return np.asarray(m._ledger)


def model_after_burn_in(params, seed: int, cache: Path | None):
    """A CommunityModel at week 0, its burn-in shared through ``cache`` with ``simulate``."""
    try:
        from model.api import _model_after_burn_in
    except ImportError:  # the cache helper moved: build afresh (same numbers, slower)
        from model.model import CommunityModel
        m = CommunityModel(params, seed=seed)
        m.burn_in()
        return m
    return _model_after_burn_in(params, seed, cache)


# ==============================================================================================
# Measures: plain functions of arrays
# ==============================================================================================


def wave_persistence(at_waves: np.ndarray) -> dict[str, float]:
    """Persistence read at survey waves, from ``at_waves`` (waves x residents, lonely or not; the
    same residents at every wave): the shares lonely at every wave (``stable_high_share``) and at
    none (``stable_low_share``); like for like with a survey whatever its scale's prevalence, of
    those lonely at the first wave the share lonely at every wave (``stable_high_of_lonely``), and
    of those lonely at a wave the share lonely at the next (``next_wave_lonely``); and the share
    lonely at a wave (``wave_lonely_share``). A ratio with nobody to divide by is NaN."""
    first = at_waves[0]
    then, now = at_waves[:-1], at_waves[1:]
    return {"stable_high_share": float(at_waves.all(axis=0).mean()),
            "stable_low_share": float((~at_waves).all(axis=0).mean()),
            "stable_high_of_lonely": float(at_waves[:, first].all(axis=0).mean()) if first.any() else math.nan,
            "next_wave_lonely": float(now[then].mean()) if then.any() else math.nan,
            "wave_lonely_share": float(at_waves.mean())}


def spells(lonely: np.ndarray, reset: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Runs of consecutive lonely observations per column of ``lonely`` (time x residents).

    ``reset[t, k]``: slot ``k`` has a new resident from time ``t`` (a run cannot continue across
    it). Returns ``complete``: lengths of runs that began and ended inside the window;
    ``censored``: runs cut by the window's start or end or by the resident leaving."""
    T, N = lonely.shape
    reset = np.zeros_like(lonely, dtype=bool) if reset is None else reset
    cur = np.zeros(N, dtype=np.int64)
    left = lonely[0].copy()  # the run in progress at t = 0 began before the window
    complete: list[np.ndarray] = []
    censored: list[np.ndarray] = []
    for t in range(T):
        if t > 0:
            gone = reset[t] & (cur > 0)  # the resident left mid-run
            censored.append(cur[gone])
            cur[gone] = 0
            left[reset[t]] = False
            ended = ~lonely[t] & (cur > 0)
            complete.append(cur[ended & ~left])
            censored.append(cur[ended & left])
            left[ended] = False
        cur = np.where(lonely[t], cur + 1, 0)
    censored.append(cur[cur > 0])
    return {"complete": np.concatenate(complete) if complete else np.zeros(0, np.int64),
            "censored": np.concatenate(censored) if censored else np.zeros(0, np.int64)}


def distance_matrices(i: np.ndarray, j: np.ndarray, n: int, max_degree: int = 3) -> list[sp.csr_matrix]:
    """Boolean matrices of pairs at exactly 1, 2, ... ``max_degree`` steps in the undirected graph
    with edges ``(i, j)``."""
    a = sp.csr_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    a = ((a + a.T) > 0).astype(np.int8)
    a.setdiag(0)
    a.eliminate_zeros()
    seen = (a + sp.identity(n, dtype=np.int8, format="csr")) > 0
    out = [a.astype(bool)]
    frontier = a
    for _ in range(1, max_degree):
        reach = (frontier @ a) > 0
        new = reach.astype(np.int8) - reach.multiply(seen).astype(np.int8)
        new.eliminate_zeros()
        new = new > 0
        out.append(new)
        seen = seen + new
        frontier = new.astype(np.int8)
    return out


def permute_within(x: np.ndarray, strata: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """``x`` shuffled among positions with the same stratum (all positions when ``strata`` is None)."""
    if strata is None:
        return rng.permutation(x)
    base = np.argsort(strata, kind="stable")
    shuffled = np.lexsort((rng.random(x.size), strata))
    out = np.empty_like(x)
    out[base] = x[shuffled]
    return out


def cf_clustering(i: np.ndarray, j: np.ndarray, n: int, lonely: np.ndarray, max_degree: int = 3,
                  n_perm: int = 50, rng: np.random.Generator | None = None,
                  strata: np.ndarray | None = None) -> dict[int, dict[str, float]]:
    """Clustering of loneliness in a network, as Cacioppo, Fowler and Christakis (2009) measured
    it: for pairs (ego, alter) at exactly ``d`` steps, the probability that the alter is lonely
    given that the ego is, against the same in ``n_perm`` networks of the same shape with the
    lonely labels shuffled. ``excess`` = observed / permuted - 1 (their +52% is 0.52 at d = 1).
    ``strata``: shuffle only among residents in the same stratum (e.g. the same number of ties,
    a null that keeps who has few ties). Also the pair odds ratio (ego lonely x alter lonely, over
    ordered pairs at distance d), which compares lonely and non-lonely egos directly."""
    rng = np.random.default_rng(0) if rng is None else rng
    x = lonely.astype(float)
    out: dict[int, dict[str, float]] = {}
    for d, mat in enumerate(distance_matrices(i, j, n, max_degree), start=1):
        mat = mat.astype(float)

        def stat(v: np.ndarray, mat=mat) -> float:
            mv = mat @ v
            den = float(v @ mat.sum(axis=1).A1)
            return float(v @ mv) / den if den > 0 else float("nan")

        obs = stat(x)
        perm = float(np.mean([stat(permute_within(x, strata, rng)) for _ in range(n_perm)]))
        mx = mat @ x
        deg = mat.sum(axis=1).A1
        both = float(x @ mx)  # ordered pairs, both lonely
        ego_only = float(x @ (deg - mx))
        alter_only = float((1 - x) @ mx)
        neither = float((1 - x) @ (deg - mx))
        odds = (both * neither) / (ego_only * alter_only) if ego_only * alter_only > 0 else float("nan")
        out[d] = {"observed": obs, "permuted": perm, "excess": obs / perm - 1 if perm > 0 else float("nan"),
                  "odds_ratio": odds, "pairs": float(deg.sum())}
    return out


def smd(treated: np.ndarray, control: np.ndarray) -> float:
    """Standardised mean difference (treated - control) / pooled sd (Cohen's d with the average
    of the two variances)."""
    t, c = np.asarray(treated, float), np.asarray(control, float)
    sd = math.sqrt((t.var(ddof=1) + c.var(ddof=1)) / 2)
    return float((t.mean() - c.mean()) / sd) if sd > 0 else float("nan")


def matched_service_effect(loneliness: np.ndarray, client: np.ndarray, reset: np.ndarray, strata: np.ndarray,
                           threshold: float, follow: int = FOLLOW_UP_WEEKS, caliper: float = 0.02,
                           rng: np.random.Generator | None = None) -> dict[str, object]:
    """Residents taken on by a service (client 0 -> >0 at week t) against residents who were not,
    in the same stratum and lonely that week with the nearest loneliness (within ``caliper``,
    with replacement); outcome: loneliness ``follow - 1`` weeks after intake (the service's last
    week). Arrays are time x residents; ``strata[t, k]`` labels resident k's stratum at time t (age,
    disability, neighbourhood), matched on the week before intake."""
    rng = np.random.default_rng(0) if rng is None else rng
    T = loneliness.shape[0]
    treated_y, control_y, kinds, base_t, base_c, later = [], [], [], [], [], []
    stay = np.zeros_like(reset, dtype=np.int32)  # cumulative resets, to test "same person over a window"
    np.cumsum(reset, axis=0, out=stay)
    for t in range(1, T - follow + 1):
        same = stay[t + follow - 1] == stay[t - 1]
        pre = loneliness[t - 1]
        new = (client[t] > 0) & (client[t - 1] == 0) & same & (pre >= threshold)
        if not new.any():
            continue
        pool = np.flatnonzero((client[t] == 0) & (client[t - 1] == 0) & same & (pre >= threshold))
        if pool.size == 0:
            continue
        for k in np.flatnonzero(new):
            cand = pool[strata[t - 1, pool] == strata[t - 1, k]]
            if cand.size == 0:
                continue
            gap = np.abs(pre[cand] - pre[k])
            best = cand[gap <= min(caliper, gap.min()) + 1e-12]
            if gap.min() > caliper:
                continue
            c = best[rng.integers(best.size)]
            treated_y.append(loneliness[t + follow - 1, k])
            control_y.append(loneliness[t + follow - 1, c])
            base_t.append(pre[k])
            base_c.append(pre[c])
            kinds.append(int(client[t, k]))
            later.append(bool((client[t:t + follow, c] > 0).any()))
    return {"treated": np.array(treated_y), "control": np.array(control_y), "kind": np.array(kinds, dtype=int),
            "baseline_treated": np.array(base_t), "baseline_control": np.array(base_c),
            "control_treated_later": np.array(later, dtype=bool)}


def closure_rates(rows: list[dict], key: str, edges: list[float]) -> list[tuple[str, int, int, float]]:
    """Yearly closure rate of group-years binned by ``key`` at ``edges``: (label, group-years,
    closures, rate)."""
    out = []
    vals = np.array([r[key] for r in rows], float)
    closed = np.array([r["closed"] for r in rows], bool)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (vals >= lo) & (vals < hi)
        n, k = int(sel.sum()), int(closed[sel].sum())
        out.append((f"{lo:g}-{hi:g}", n, k, k / n if n else float("nan")))
    return out


def tie_distribution(i: np.ndarray, j: np.ndarray, n: int) -> dict[str, float]:
    deg = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    return {"close_ties_none": float((deg == 0).mean()), "close_ties_one": float((deg == 1).mean()),
            "close_ties_two_three": float(((deg >= 2) & (deg <= 3)).mean()),
            "close_ties_four_five": float(((deg >= 4) & (deg <= 5)).mean()),
            "close_ties_six_plus": float((deg >= 6).mean())}


# ==============================================================================================
# Targets file
# ==============================================================================================

SECTIONS = ("targets", "patterns")
FIELDS = ("metric", "value", "low", "high", "sd", "source")
# measures this script computes for the patterns section
PATTERN_MEASURES = (
    "horizon_closure_rate", "horizon_founding_rate", "close_ties_one", "close_ties_two_three",
    "close_ties_four_five", "close_ties_six_plus", "stable_high_of_lonely_50plus",
    "cf_excess_degree1", "cf_excess_degree2", "cf_excess_degree3", "closure_ratio_small_vs_large",
    "closure_ratio_young_vs_old", "share_groups_income_under_100k", "service_smd",
    "partnership_population_effect",
)


def load_targets(path: Path = TARGETS_FILE) -> dict[str, dict[str, dict]]:
    """The targets file, checked: every entry has the fields, a band with low <= high and a
    source; ``targets`` name outcomes of Result.summary, ``patterns`` measures of this script."""
    from model import OUTCOME_NAMES

    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise InputError(f"cannot read targets file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"targets file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or "targets" not in data:
        raise InputError(f"targets file {path} must have a 'targets' mapping")
    out: dict[str, dict[str, dict]] = {}
    for section in SECTIONS:
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise InputError(f"{path}: '{section}' must be a mapping of name to target")
        known = OUTCOME_NAMES if section == "targets" else PATTERN_MEASURES
        for name, t in entries.items():
            where = f"{path.name}: {section}.{name}"
            if not isinstance(t, dict) or any(f not in t for f in FIELDS):
                raise InputError(f"{where} needs the fields {', '.join(FIELDS)}")
            if t["metric"] not in known:
                raise InputError(f"{where}: metric '{t['metric']}' is not one of the {section} measures")
            lo, hi = t["low"], t["high"]
            if not all(isinstance(x, (int, float)) for x in (lo, hi)) or lo > hi:
                raise InputError(f"{where}: low and high must be numbers with low <= high")
            if not isinstance(t["source"], str) or not t["source"].strip():
                raise InputError(f"{where}: a source is required")
        out[section] = entries
    return out


# ==============================================================================================
# Runs
# ==============================================================================================


def observed_run(seed: int, place: str, cache: Path | None, n_perm: int = 30,
                 over: dict | None = None) -> dict[str, object]:
    """One status-quo run stepped week by week, with every pattern measured; returns the summary
    outcomes plus the patterns' measures and their detail (small: no per-resident arrays)."""
    from model import make_params

    p = make_params(place, "status_quo", "stable", over or {})
    m = model_after_burn_in(p, seed, cache)
    W = int(round(p.horizon_years * WEEKS))
    n = p.place.n_residents
    thr = p.residents.lonely_threshold
    L = np.empty((W + 1, n), np.float32)
    client = np.empty((W + 1, n), np.int8)
    reset = np.zeros((W + 1, n), bool)
    strata = np.empty((W + 1, n), np.int32)  # age band x disability x neighbourhood, week by week
    ppl = observe(m)
    n_nb = int(ppl.nbhd.max()) + 1
    strata[0] = (ppl.age.astype(np.int32) * 2 + ppl.disabled) * n_nb + ppl.nbhd
    L[0], client[0], arrived = ppl.loneliness, ppl.client, ppl.arrived
    age = ppl.age
    group_years: list[dict] = []
    network: list[dict[str, float]] = []
    tie_rows: list[dict[str, float]] = []
    quarter = W - np.array([39, 26, 13, 0])
    rng = np.random.default_rng(seed)
    drawn_at_start = m.volunteers_drawn
    for k in range(1, W + 1):
        starting = (k - 1) % WEEKS == 0 and k - 1 < W
        if starting:
            year_rows = [{**g, "year_start": k - 1} for g in groups_now(m)]
        m.step()
        if starting:  # the budget year's first week has run: outside funders have decided
            lost = awards_ended(m, m.week - 1)
            for g in year_rows:
                g["lost_award"] = float(g["gid"] in lost)
            group_years += year_rows
        ppl = observe(m)
        L[k], client[k] = ppl.loneliness, ppl.client
        reset[k] = ppl.arrived != arrived
        arrived = ppl.arrived
        age = ppl.age
        strata[k] = (ppl.age.astype(np.int32) * 2 + ppl.disabled) * n_nb + ppl.nbhd
        if k in quarter:
            i, j, nn = close_ties(m)
            cf = cf_clustering(i, j, nn, ppl.lonely, 3, n_perm, rng)
            deg = np.bincount(i, minlength=nn) + np.bincount(j, minlength=nn)
            cfd = cf_clustering(i, j, nn, ppl.lonely, 3, n_perm, rng, strata=np.minimum(8, deg))
            row = {f"{key}_{d}": v[key] for d, v in cf.items() for key in ("excess", "odds_ratio")}
            row.update({f"excess_same_degree_{d}": v["excess"] for d, v in cfd.items()})
            network.append(row)
            capped = np.minimum(deg, 6)
            by_ties = {f"lonely_with_ties_{c}": float(ppl.lonely[capped == c].mean()) if (capped == c).any()
                       else float("nan") for c in range(7)}
            tie_rows.append({**tie_distribution(i, j, nn), **by_ties, "deg_lonely": float(deg[ppl.lonely].mean()),
                             "deg_other": float(deg[~ppl.lonely].mean())})
    summary = m.summary()
    ts = m.timeseries()
    gt = m.group_table()
    years = p.horizon_years
    out: dict[str, object] = dict(summary)
    out["horizon_closure_rate"] = ts["group_closures"].sum() / years / ts["active_groups"].mean()
    out["horizon_founding_rate"] = ts["group_foundings"].sum() / years / ts["active_groups"].mean()
    for key in tie_rows[0]:  # nanmean: a number of close ties nobody has in a snapshot is left out
        out[key] = float(np.nanmean([r[key] for r in tie_rows]))
    for key in network[0]:
        out["cf_" + key] = float(np.mean([r[key] for r in network]))
    for d in (1, 2, 3):
        out[f"cf_excess_degree{d}"] = out[f"cf_excess_{d}"]
    # persistence: spells, chronic share among 50+, stable high over biennial waves
    lonely = L >= thr
    sp_ = spells(lonely, reset)
    out["spells_complete"] = sp_["complete"]
    out["spells_censored"] = sp_["censored"]
    older = np.isin(age, OLDER_BANDS)
    stayed = ~reset[1:].any(axis=0)
    waves = np.arange(0, W + 1, WAVE_WEEKS)
    cohort = older & stayed
    for key, v in wave_persistence(lonely[waves][:, cohort]).items():
        out[f"{key}_50plus"] = v
    out["cohort_50plus"] = int(cohort.sum())
    run = np.zeros(n, np.int64)
    chronic = []
    for k in range(W + 1):
        run = np.where(reset[k], 0, run)
        run = np.where(lonely[k], run + 1, 0)
        if k > W - WEEKS and (k % p.record_every_weeks == 0):
            chronic.append(float((run[older] >= WEEKS).mean()))
    out["chronic_lonely_share_50plus"] = float(np.mean(chronic))
    # closures by size and age: a group-year closes if the group closed within the year
    closed_week = dict(zip(gt["group_id"], gt["closed_week"], strict=True))
    for r in group_years:
        cw = closed_week[r["gid"]]
        r["closed"] = bool(not math.isnan(cw) and r["year_start"] <= cw < r["year_start"] + WEEKS)
        r["age_years"] = r["age_weeks"] / WEEKS
    out["group_years"] = group_years
    final = groups_now(m)
    out["volunteers_drawn_per_year"] = (m.volunteers_drawn - drawn_at_start) / (W / WEEKS)
    out["volunteers_end"] = int(np.sum(m.res.vol_group >= 0))
    out["share_groups_income_under_100k"] = float(np.mean([g["income"] < 100_000 for g in final])) if final else math.nan
    out["largest_group_income"] = max((g["income"] for g in final), default=math.nan)
    # like for like with NCVO, which counts registered charities: a charity must register once its
    # income passes GBP 5k (Charities Act 2011, s.30); most of this model's clubs never do
    inc = np.array([g["income"] for g in final])
    out["median_group_income"] = float(np.median(inc)) if inc.size else math.nan
    out["share_groups_income_over_5k"] = float(np.mean(inc >= 5_000)) if inc.size else math.nan
    reg = inc[inc >= 5_000]
    out["share_under_100k_of_over_5k"] = float(np.mean(reg < 100_000)) if reg.size else math.nan
    out["hub_incomes"] = [g["income"] for g in final if g["kind"] == "community_hub"]
    out["hubs_placed"] = sum(g.kind == "community_hub" for g in m.all_groups)
    # services: matched effect on the residents who receive them
    eff = matched_service_effect(L, client, reset, strata, thr, rng=rng)
    out["service"] = eff
    out["disabled_share_end"] = disabled_share(m)
    return out


def plain_run(seed: int, place: str, regime: str, cache: Path | None, over: dict | None = None) -> dict[str, float]:
    from model import make_params, simulate

    return simulate(make_params(place, regime, "stable", over or {}), seed=seed, burn_in_cache=cache).summary


def _task(kind: str, seed: int, place: str, cache: Path | None, regime: str = "", over: dict | None = None):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if kind == "observed":
        return observed_run(seed, place, cache, over=over)
    return plain_run(seed, place, regime, cache, over)


def parse_sets(sets: list[str]) -> dict[str, object]:
    """``--set NAME=VALUE`` options as overrides (a number, or numbers separated by commas),
    checked against the parameters; a bad one is an InputError (one line)."""
    from model import make_params
    from model.params import ConfigError

    over: dict[str, object] = {}
    for s in sets:
        name, eq, value = s.partition("=")
        if not eq or not name:
            raise InputError(f"--set needs NAME=VALUE (got '{s}')")
        try:
            over[name] = float(value) if "," not in value else [float(x) for x in value.split(",")]
        except ValueError:
            raise InputError(f"--set {name}: '{value}' is not a number") from None
    try:
        make_params("town", "status_quo", "stable", over).validate()
    except ConfigError as exc:
        raise InputError(f"--set: {exc}") from None
    return over


# ==============================================================================================
# Pooling over seeds and checking
# ==============================================================================================


def pool(runs: list[dict], paired: dict[str, list[dict]]) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per-seed values of every measure, and the lines of detail the report shows."""
    vals: dict[str, np.ndarray] = {}
    for key, v in runs[0].items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals[key] = np.array([r[key] for r in runs], float)
    # closures by size (thirds of income, pooled) and age
    gy = [g for r in runs for g in r["group_years"]]
    inc = np.array([g["income"] for g in gy])
    q1, q2 = np.quantile(inc, [1 / 3, 2 / 3])
    by_income = closure_rates(gy, "income", [0, q1, q2, math.inf])
    by_served = closure_rates(gy, "served", [0, 10, 30, math.inf])
    by_age = closure_rates(gy, "age_years", [-math.inf, 2, 5, math.inf])
    rate = {lab: r for lab, _, _, r in by_income}
    labs = [lab for lab, *_ in by_income]
    vals["closure_ratio_small_vs_large"] = np.array([rate[labs[0]] / rate[labs[2]] if rate[labs[2]] > 0 else math.inf])
    arate = [r for *_, r in by_age]
    vals["closure_ratio_young_vs_old"] = np.array([arate[0] / arate[2] if arate[2] > 0 else math.inf])
    # services
    t = np.concatenate([r["service"]["treated"] for r in runs])
    c = np.concatenate([r["service"]["control"] for r in runs])
    kind = np.concatenate([r["service"]["kind"] for r in runs])
    later = np.concatenate([r["service"]["control_treated_later"] for r in runs])
    bt = np.concatenate([r["service"]["baseline_treated"] for r in runs])
    bc = np.concatenate([r["service"]["baseline_control"] for r in runs])
    vals["service_smd"] = np.array([smd(r["service"]["treated"], r["service"]["control"]) for r in runs
                                    if r["service"]["treated"].size > 2])
    # spells
    comp = np.concatenate([r["spells_complete"] for r in runs])
    cens = np.concatenate([r["spells_censored"] for r in runs])
    if paired:
        d = [a["lonely_share"] - b["lonely_share"] for a, b in zip(paired["partnership"], paired["none"], strict=True)]
        vals["partnership_population_effect"] = np.array(d)
        vals["_none_lonely_share"] = np.array([b["lonely_share"] for b in paired["none"]])
    lines = ["", "Detail behind the patterns (pooled over seeds):", ""]
    lines.append(f"- Spells of loneliness that began and ended in the recorded years: {comp.size}; median "
                 f"{np.median(comp):.0f} weeks, mean {comp.mean():.1f}, share lasting a year or more "
                 f"{(comp >= WEEKS).mean():.3f}, 90th percentile {np.quantile(comp, 0.9):.0f} weeks; "
                 f"spells cut by the window or by moving: {cens.size} (median {np.median(cens):.0f} weeks)."
                 if comp.size else "- No complete spells of loneliness.")
    lines.append(f"- Residents 50+ present through all the recorded years ({int(vals['cohort_50plus'].mean())} a seed): "
                 f"share lonely at every biennial wave {vals['stable_high_share_50plus'].mean():.4f} (ELSA stable "
                 f"high 9%); never lonely at a wave {vals['stable_low_share_50plus'].mean():.3f} (ELSA stable low 37%); "
                 f"lonely at a wave {vals['wave_lonely_share_50plus'].mean():.4f}; of those lonely at the first wave, "
                 f"lonely at every wave {np.nanmean(vals['stable_high_of_lonely_50plus']):.3f}; of those lonely at a "
                 f"wave, lonely at the next {np.nanmean(vals['next_wave_lonely_50plus']):.3f}; "
                 f"lonely continuously for a year or more, final year: {vals['chronic_lonely_share_50plus'].mean():.4f} "
                 f"(all adults: {vals['chronic_lonely_share'].mean():.4f}).")
    lines.append("- Christakis-Fowler clustering on close ties (mean over seeds; four snapshots in the final "
                 "year, 30 permutations each): " + "; ".join(
                     f"degree {d}: excess {vals[f'cf_excess_{d}'].mean():+.3f} (against shuffles among "
                     f"residents with the same number of close ties: {vals[f'cf_excess_same_degree_{d}'].mean():+.3f}), "
                     f"pair odds ratio {vals[f'cf_odds_ratio_{d}'].mean():.3f}" for d in (1, 2, 3)) + ".")
    lines.append(f"  Lonely residents have fewer close ties (final year: lonely {vals['deg_lonely'].mean():.2f}, "
                 f"others {vals['deg_other'].mean():.2f}); an alter reached along a tie is more likely a well-"
                 f"connected (so rarely lonely) resident, which pulls the first measure down. Share lonely by "
                 f"number of close ties: " + ", ".join(f"{k}{'+' if k == 6 else ''}: "
                                                      f"{np.nanmean(vals[f'lonely_with_ties_{k}']):.3f}"
                                                      for k in range(7)) + ".")
    lines.append("- Yearly closure rate by last year's income (thirds, pooled group-years): " + "; ".join(
        f"GBP {lab}: {k}/{n} = {r:.3f}" for lab, n, k, r in by_income) + ".")
    lines.append("- By people served (members + clients): " + "; ".join(
        f"{lab}: {k}/{n} = {r:.3f}" for lab, n, k, r in by_served) + ".")
    lines.append("- By age in years: " + "; ".join(f"{lab}: {k}/{n} = {r:.3f}" for lab, n, k, r in by_age) + ".")
    old = [g for g in gy if g["age_years"] >= 5]
    cliff = closure_rates(old, "lost_award", [0, 0.5, math.inf])
    lines.append("- Groups over five years old, by whether an outside award ended unrenewed at the year's "
                 "start (the funding cliff; docs/ODD.md 7.4): " + "; ".join(
                     f"{lab}: {k}/{n} = {r:.3f}" for lab, (_, n, k, r) in zip(("no", "yes"), cliff, strict=True)) + ".")
    lines.append(f"- Largest local group's income in the final year: GBP {vals['largest_group_income'].max():,.0f} "
                 f"(mean over seeds of each seed's largest: GBP {vals['largest_group_income'].mean():,.0f}); "
                 f"median group GBP {vals['median_group_income'].mean():,.0f}. Groups over GBP 5k (where a "
                 f"charity must register; NCVO counts registered charities): "
                 f"{vals['share_groups_income_over_5k'].mean():.1%}, and of those "
                 f"{vals['share_under_100k_of_over_5k'].mean():.1%} are under GBP 100k (NCVO: 80%).")
    hub = np.concatenate([np.asarray(r["hub_incomes"], dtype=float) for r in runs])
    if hub.size:
        lines.append(f"- Community hubs in the final year: {hub.size} open of {sum(r['hubs_placed'] for r in runs)} "
                     f"placed at the start; income median GBP {np.median(hub):,.0f} (range GBP {hub.min():,.0f}"
                     f"-{hub.max():,.0f}), {np.mean(hub >= 100_000):.0%} over GBP 100k (community businesses' "
                     f"median: GBP 108k, Power to Change 2022).")
    if t.size:
        lines.append(f"- Services: {t.size} matched intakes (local group visits {int((kind == 1).sum())}, outside "
                     f"provider calls {int((kind == 2).sum())}); loneliness at intake {bt.mean():.3f} vs "
                     f"{bc.mean():.3f} in controls; 26 weeks later {t.mean():.3f} vs {c.mean():.3f}; pooled SMD "
                     f"{smd(t, c):+.3f} (visits {smd(t[kind == 1], c[kind == 1]):+.3f}, calls "
                     f"{smd(t[kind == 2], c[kind == 2]):+.3f}); {later.mean():.2f} of controls were taken on "
                     f"by a service during the follow-up (diluting the contrast).")
    if paired:
        lines.append(f"- Partnership vs none (paired seeds, final year): lonely share "
                     f"{np.mean([a['lonely_share'] for a in paired['partnership']]):.4f} vs "
                     f"{vals['_none_lonely_share'].mean():.4f}; difference "
                     f"{vals['partnership_population_effect'].mean() * 100:+.2f} points "
                     f"({(vals['partnership_population_effect'] < 0).sum()}/{len(d)} seeds lower).")
    lines.append(f"- Serving volunteers who moved to another group of their neighbourhood that asked them "
                 f"(docs/ODD.md 7.3): {vals['volunteers_drawn_per_year'].mean():.0f} a year, of "
                 f"{vals['volunteers_end'].mean():.0f} volunteers at the end.")
    lines.append(f"- Disability prevalence at the end of the horizon: {vals['disabled_share_end'].mean():.3f}.")
    return vals, lines


def check(targets: dict[str, dict[str, dict]], vals: dict[str, np.ndarray]) -> list[dict]:
    rows = []
    for section in SECTIONS:
        for name, t in targets[section].items():
            v = vals.get(t["metric"])
            if v is None or v.size == 0:
                rows.append({"name": name, "section": section, "t": t, "mean": math.nan, "sd": math.nan,
                             "lo": math.nan, "hi": math.nan, "ok": False, "n": 0})
                continue
            mean = float(np.mean(v))
            rows.append({"name": name, "section": section, "t": t, "mean": mean,
                         "sd": float(np.std(v, ddof=1)) if v.size > 1 else math.nan,
                         "lo": float(v.min()), "hi": float(v.max()),
                         "ok": bool(t["low"] <= mean <= t["high"]), "n": int(v.size)})
    return rows


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.3f}" if abs(x) < 100 else f"{x:,.0f}"


def table(rows: list[dict]) -> list[str]:
    out = ["| check | metric | observed | band | mean | sd | min-max over seeds | result |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t = r["t"]
        out.append(f"| {r['name']} | `{t['metric']}` | {_fmt(t['value'])} | {_fmt(t['low'])} to {_fmt(t['high'])} | "
                   f"{_fmt(r['mean'])} | {_fmt(r['sd'])} | {_fmt(r['lo'])} to {_fmt(r['hi'])} | "
                   f"{'PASS' if r['ok'] else '**FAIL**'} |")
    return out


def replace_section(doc: Path, start: str, end: str, text: str) -> None:
    """Rewrite the part of ``doc`` between the markers (atomically); append the section if absent."""
    body = doc.read_text() if doc.exists() else ""
    if start in body and end in body:
        body = body[: body.index(start) + len(start)] + "\n" + text + "\n" + body[body.index(end):]
    else:
        body = body.rstrip("\n") + f"\n\n{start}\n{text}\n{end}\n"
    tmp = doc.with_name(doc.name + ".tmp")
    tmp.write_text(body)
    tmp.replace(doc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    ap.add_argument("--place", default="town")
    ap.add_argument("--targets", default=str(TARGETS_FILE))
    ap.add_argument("--doc", default=str(DOC), help="markdown file whose measured section is rewritten")
    ap.add_argument("--no-doc", action="store_true", help="print only; leave the doc alone")
    ap.add_argument("--cache", default=str(CACHE), help="burn-in cache folder ('' for none)")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any check fails")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a parameter override, e.g. residents.loneliness_fall=0.1 (repeatable); with any, "
                         "the doc is left alone (its measured section is the defaults')")
    a = ap.parse_args(argv)
    try:
        check_run_args(a)
        over = parse_sets(a.set)
        targets = load_targets(Path(a.targets))
    except InputError as exc:
        print(f"validate: {exc}", file=sys.stderr)
        return 2
    from joblib import Parallel, delayed

    cache = Path(a.cache) if a.cache else None
    t0 = time.time()
    tasks = [("observed", s, "") for s in range(a.seeds)]
    tasks += [("plain", s, reg) for s in range(a.seeds) for reg in ("none", "partnership")]
    res = Parallel(n_jobs=a.jobs)(delayed(_task)(k, s, a.place, cache, reg, over) for k, s, reg in tasks)
    runs = res[: a.seeds]
    plain = res[a.seeds:]
    paired = {"none": plain[0::2], "partnership": plain[1::2]}
    vals, detail = pool(runs, paired)
    rows = check(targets, vals)
    wall = time.time() - t0
    n_fail = sum(not r["ok"] for r in rows)
    head = [f"Measured {time.strftime('%Y-%m-%d')}: `python scripts/validate.py --seeds {a.seeds}` ({a.place}, "
            f"status_quo, stable funding; burn-in then the default horizon; targets are final-year means over "
            f"seeds 0-{a.seeds - 1}, patterns as described in configs/targets.yaml; {wall:.0f} s wall"
            + "".join(f"; --set {s}" for s in a.set) + "). "
            f"{len(rows) - n_fail} of {len(rows)} checks pass.", ""]
    text = "\n".join(head + table(rows) + detail)
    print(text)
    if not a.no_doc and not over:
        replace_section(Path(a.doc), "<!-- measured:start -->", "<!-- measured:end -->", text)
    return 1 if (a.strict and n_fail) else 0


if __name__ == "__main__":
    sys.exit(main())
