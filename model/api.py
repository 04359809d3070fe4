"""The single entry point used by the CLI, the workshop app, notebooks and tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from model.params import Params, params_from_dict


@dataclass(slots=True)
class Result:
    """What one run produces.

    timeseries: one row per recorded week (columns: ``week``, ``year`` and every outcome).
    groups: the group life table (one row per group that ever existed).
    summary: one row: each outcome averaged over the final year, under its own name
        (closures and foundings are totals over the final year).
    """

    timeseries: pd.DataFrame
    groups: pd.DataFrame
    summary: dict[str, float]
    events: list[tuple[int, str]]
    seed: int
    params: Params

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.summary])


def simulate(
    params: Params | Mapping[str, Any] | None = None,
    seed: int = 0,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Run one simulation: burn-in, then ``params.horizon_years`` under the regime.

    ``params`` may be a :class:`Params` or a nested mapping (validated; unknown names are errors).
    ``progress(week_done, weeks_total)`` is called every simulated year if given.
    Same params and seed give identical tables, bit for bit.
    """
    from model.model import CommunityModel

    if params is None:
        params = Params()
    elif not isinstance(params, Params):
        params = params_from_dict(dict(params))
    params.validate()
    m = CommunityModel(params, seed=seed)
    m.run(progress=progress)
    return Result(
        timeseries=m.timeseries(),
        groups=m.group_table(),
        summary=m.summary(),
        events=list(m.events),
        seed=seed,
        params=params,
    )
