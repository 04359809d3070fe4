"""Recording outcomes: the weekly measurement, the time series, the summary, the life table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model import kernels
from model.agents import INCOME_SOURCES
from model.outcomes import RECORDED, summarise
from model.params import AGE_BANDS, GROUP_KINDS, WEEKS_PER_YEAR
from model.phases.council import SPEND_CATEGORIES


class RecordPhases:
    """The outcomes the model records (their declarations: model/outcomes.py). A part of :class:`CommunityModel`."""

    def _phase_record(self) -> None:
        """Outcomes recorded every record_every_weeks."""
        if self.week < 0 or (self.week + 1) % self.params.record_every_weeks != 0:
            if self.week < 0:
                self._period_closures = self._period_foundings = 0
            return
        self._rows.append(self.measure())
        self._period_closures = self._period_foundings = 0

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
        active = self.active_gids()
        kinds = np.bincount(np.asarray(self._kind_codes, dtype=np.int64)[active],
                            minlength=len(GROUP_KINDS)).astype(float)
        n_act = active.size
        shares = kinds[kinds > 0] / max(1, n_act)
        collab_pairs = sum(len(v) for v in self.collab.values()) / 2
        w1 = self.week + self.burn_in_weeks + 1
        # spend over the past 52 weeks, never reaching back into the burn-in
        spend = self._ledger[max(self.burn_in_weeks, w1 - WEEKS_PER_YEAR):w1, :len(SPEND_CATEGORIES)].sum(axis=0)
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
            # each close tie made at a group (where it was made: model/network.py) has two ends
            "close_ties_from_groups": 2.0 * float(np.count_nonzero((t.o >= 0) & (t.w >= p.ties.close_threshold))) / n,
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
        """One row per record: week, year and every recorded outcome (model/outcomes.py)."""
        return pd.DataFrame(self._rows, columns=["week", "year", *RECORDED])

    def summary(self) -> dict[str, float]:
        """Each outcome reduced over the final year as model/outcomes.py declares it."""
        return summarise(self.timeseries(), self.params.record_every_weeks)

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
