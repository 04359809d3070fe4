"""The single entry point used by the CLI, the workshop app, notebooks and tests."""

from __future__ import annotations

import hashlib
import json
import math
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from model.events import Event
from model.params import Params, params_from_dict

if TYPE_CHECKING:
    from model.model import CommunityModel

CACHE_FORMAT = 3  # bump when the model's state layout changes (2: referral trials, model version 11;
# 3: trading income and community hubs, model version 12)
# Bump whenever the same config and seed give different numbers (a model change, or a change in
# how random numbers are drawn). It is part of every sweep-job fingerprint and written into each
# job's metadata; the burn-in cache key also includes a hash of the model's source
# (model_source_hash), so a forgotten bump can never reuse a stale burn-in. 2: uniforms from xoshiro256+, resident slots numbered by neighbourhood.
# 3: groups take surplus volunteers; fundraising cover and founding rate recalibrated.
# 4: loneliness noise by a ziggurat on xoshiro256+ in the kernel; tie loads summed in one array.
# 5: model version 2 of issue 15 in part: residents age through the bands and illness can end (a
#    stationary baseline; loneliness_rise and the time budget recalibrated); visiting groups recruit
#    from their neighbourhood and former clients; the burn-in runs at the default council settings;
#    unspent money is recorded; payment by results needs working capital; a provider holds each
#    contract separately (the two-contract mixture bug).
# 6: issue 15 continued: partnership's frictions (referral uptake, routing through the council-sector
#    relationship, a bounded volunteer-centre flow instead of a recruitment multiplier), clients
#    withdraw from services, tenders let in lots with re-tenders keeping the same provider's
#    clients, joining follows the local supply of groups.
# 7: issue 19 finished: the phases read the group table live instead of snapshots rebuilt behind a
#    dirty flag (a regime that changes staff or trust at the year's start, such as grants, is now
#    seen by membership in that same week); ties remember where they were made (issue 15, item 1).
# 8: outside funders (issue 15, item 3): awards from trusts, foundations and the National Lottery
#    pay for posts for a term, and their committed costs run on past an unrenewed award's end, so
#    an established group can fall when its funding goes (groups.funders; off reproduces 7).
# 9: payment by outcomes treats local holders as it treats providers: each funds delivery from the
#    working capital it commits (its reserves, at most working_capital_weeks of its share), takes
#    only the places that carries, and hands its places back when it is spent, instead of closing.
#    Loneliness proneness spreads wider (residents.proneness_sd 0.6 -> 0.85, loneliness_rise 0.067
#    -> 0.052), calibrated to ELSA's ten-year persistence read as a ratio; ties.time_budget 4.0 ->
#    3.7 puts every band of the close-tie distribution inside the survey's.
# 10: groups compete for serving volunteers (issue 15, item 3): a group short of volunteers asks
#    those of its neighbours, and they move by relative trust (groups.volunteer_approach_per_year;
#    0 reproduces 9).
# 11: residents referred into a group (social prescribing, connectors) can give it up within the
#    six-month support period (groups.referral_adherence: 0.6 have not given it up by its end; 1
#    reproduces 10).
#    The status quo makes no referrals, so its burn-in and baseline are those of 10.
# 12: community hubs (issue 15, item 4): medium-sized local charities in their own building, with
#    paid staff and trading income, two per 10,000 adults from the start (groups.hubs_per_10k_adults);
#    with more places to meet, residents.loneliness_rise 0.052 -> 0.058 keeps 6.6% lonely. Hubs at 0
#    and the rise at 0.052 reproduce 11.
# 13: fixes found in an audit: a group that both runs activities and visits takes members and
#    attendance only against its activity places (70%), not its whole capacity (its visit places
#    were used twice); an ended award's notice costs notice_weeks, not one week more; clients
#    withdraw at the stated quarter over the weeks they are at risk (25, not 26); an outside
#    provider holding several outcome lots is paid once per outcome, not once per lot; a lot that
#    ends no longer strikes its holders off the groups the council funded that year; the investor
#    in outcomes pays its portfolio for verified recoveries (a rate card), not for the noisy fall
#    in the area's lonely share; the first residents' arrival week is before week 0.
# 14: fixes found in a second audit: connectors' skill counts the weeks they have worked (it ran a
#    year ahead) and they introduce residents of their own neighbourhoods (not the whole place); a
#    local holder of an outcome contract is charged for the share of its clients whose outcomes the
#    contract pays (it was charged for up to all its contract places); a client who recovers and
#    starts volunteering for the group is a discharge the regime hears of (outcomes were never
#    read); a holder still paid under a cut keeps a place; the groups a provider's call signposts
#    to and members offering to volunteer draw from streams of their own, so visits and quitting
#    stay paired across regimes.
# 15: one definition of a local holder's contract clients (``contract_clients``: its clients up to
#    its contract places, as its reserves always paid for): an outcome contract's working capital
#    is charged for them again, and the slice of its discharges that can be a contract's outcome
#    now covers them (it was the contracts' share of all its visiting places, so in version 14 the
#    reserves paid for more client-weeks than the capital tracked or the outcomes could pay for).
#    Found by a third audit: a local holder that loses its lot, or whose places are cut, keeps only
#    the clients its places carry (it kept them all, unpaid for); a round of referrals fills a
#    group only up to its whole free places; an outcome contract let for several years is varied
#    to the budget as a tender's is; need-based grants read each neighbourhood's need once a round
#    (each application had its own noisy reading).
# 16: common random numbers for groups: outside funders' and fundraising luck's yearly draws are
#    keyed by week and group (``Streams.by_id``; they were drawn in the order of the open groups),
#    and leaving a group and a joiner's pick draw from streams of their own. Found by a fourth
#    audit, acting only away from the defaults: a running multi-year contract is varied from its
#    award's terms (and capped afresh each year); a cached burn-in's ledger grows to the study's length; the loneliness history
#    covers any study delay; a social-value provider keeps the subcontract share nobody can take.
MODEL_VERSION = 16


@dataclass(slots=True)
class Result:
    """What one run produces.

    timeseries: one row per recorded week (columns: ``week``, ``year`` and every outcome).
    groups: the group life table (one row per group that ever existed).
    summary: one row: each outcome averaged over the final year, under its own name
        (closures and foundings are totals over the final year).
    events: what happened in the study period, as (week, record) pairs (model/events.py).
    """

    timeseries: pd.DataFrame
    groups: pd.DataFrame
    summary: dict[str, float]
    events: list[tuple[int, Event]]  # (week, record): model/events.py
    seed: int
    params: Params
    spend_total: float = math.nan  # council spend from week 0 to the horizon, from the ledger

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.summary])


def simulate(
    params: Params | Mapping[str, Any] | None = None,
    seed: int = 0,
    *,
    progress: Callable[[int, int], None] | None = None,
    burn_in_cache: str | Path | None = None,
) -> Result:
    """Run one simulation: burn-in, then ``params.horizon_years`` under the regime.

    ``params`` may be a :class:`Params` or a nested mapping (validated; unknown names are errors).
    ``progress(week_done, weeks_total)`` is called every simulated year if given.
    ``burn_in_cache``: a folder where the model at the end of its burn-in is kept, keyed by the
    parameters that shape the burn-in and the seed; runs that differ only in regime, funding,
    horizon or the council's spending settings (``model.model.AFTER_BURN_IN``) then share one burn-in. Results are bit-identical with or without the cache.
    Same params and seed give identical tables, bit for bit.
    """
    if params is None:
        params = Params()
    elif not isinstance(params, Params):
        params = params_from_dict(dict(params))
    params.validate()
    m = _model_after_burn_in(params, seed, Path(burn_in_cache) if burn_in_cache else None)
    m.run(progress=progress)
    return Result(
        timeseries=m.timeseries(),
        groups=m.group_table(),
        summary=m.summary(),
        events=list(m.events),
        seed=seed,
        params=params,
        spend_total=m.horizon_spend(),
    )


_SOURCE_HASH: str | None = None


def source_hash(root: Path) -> str:
    """A hash of every ``.py`` file under ``root`` (path and bytes, in path order)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def model_source_hash() -> str:
    """The hash of the model's source (model/, computed once per process). Any change to the
    model's code gives a new hash, so a burn-in computed by other code is never reused, whether or
    not MODEL_VERSION was bumped (a change that alters no result, such as a comment, still
    recomputes the burn-in: a small price for never reusing a stale one)."""
    global _SOURCE_HASH
    if _SOURCE_HASH is None:
        _SOURCE_HASH = source_hash(Path(__file__).resolve().parent)
    return _SOURCE_HASH


def burn_in_key(params: Params, seed: int) -> str:
    """Identifies a burn-in: the parameters that shape it, the seed, the model's source (its hash)
    and the software versions."""
    import mesa
    import numpy as np

    from model.model import AFTER_BURN_IN, burn_in_params

    # the burn-in's own parameters (the council's spending settings at their defaults), without
    # the top-level names that act only after it
    shaping = {k: v for k, v in burn_in_params(params).to_dict().items() if k not in AFTER_BURN_IN}
    text = json.dumps({"p": shaping, "seed": int(seed), "format": CACHE_FORMAT, "model": MODEL_VERSION,
                       "source": model_source_hash(), "mesa": mesa.__version__, "numpy": np.__version__},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _model_after_burn_in(params: Params, seed: int, cache: Path | None) -> CommunityModel:
    from model.model import CommunityModel

    path = cache / f"burn_in_{burn_in_key(params, seed)}.pkl" if cache is not None else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as fh:
                m = pickle.load(fh)
            m.start_study(params)
            return m
        except Exception as exc:  # a stale or truncated cache file: say so, recompute, overwrite
            warnings.warn(f"burn-in cache {path.name} unusable ({exc}); recomputing", stacklevel=2)
    m = CommunityModel(params, seed=seed)
    m.burn_in()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(m, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: concurrent jobs never read a half-written file
    return m
