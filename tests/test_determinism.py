"""Reproducibility and common random numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from model import simulate
from model.model import CommunityModel
from model.streams import STREAM_NAMES, Streams

from .conftest import small_params


def test_same_config_and_seed_give_identical_tables():
    a = simulate(small_params(), seed=11)
    b = simulate(small_params(), seed=11)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.groups, b.groups)
    assert a.summary == b.summary or all(
        (x == y) or (np.isnan(x) and np.isnan(y)) for x, y in zip(a.summary.values(), b.summary.values(), strict=True)
    )


def test_different_seeds_differ():
    a = simulate(small_params(), seed=1).timeseries
    b = simulate(small_params(), seed=2).timeseries
    assert not a["lonely_share"].equals(b["lonely_share"])


def test_streams_are_independent_and_named():
    s = Streams(5)
    draws = {name: s[name].random() for name in STREAM_NAMES}
    assert len(set(draws.values())) == len(STREAM_NAMES)
    assert Streams(5)["contact"].random() == draws["contact"]


def _run_to(regime: str, weeks: int, seed: int = 4) -> CommunityModel:
    m = CommunityModel(small_params(regime), seed=seed)
    m.burn_in()
    for _ in range(weeks):
        m.step()
    return m


def test_burn_in_is_identical_across_regimes():
    """Paired design: every regime starts from the same place at week 0."""
    a = CommunityModel(small_params("none"), seed=9)
    b = CommunityModel(small_params("community_development"), seed=9)
    a.burn_in()
    b.burn_in()
    assert np.array_equal(a.res.loneliness, b.res.loneliness)
    assert np.array_equal(a.ties.keys(), b.ties.keys()) and np.array_equal(a.ties.w, b.ties.w)
    assert [g.reserves for g in a.all_groups] == [g.reserves for g in b.all_groups]


def test_processes_the_regime_does_not_touch_see_identical_draws():
    """Moves, deaths and life events draw the same numbers whatever the regime does."""
    a = _run_to("none", 30)
    b = _run_to("partnership", 30)  # acts on residents at once (referrals)
    for name in ("life_events", "turnover"):
        assert a.streams.state(name) == b.streams.state(name)
    assert np.array_equal(a.res.arrived_week, b.res.arrived_week)  # the same people moved
    assert np.array_equal(a.res.disabled, b.res.disabled)  # the same illness onsets
    # ...while the regime did change what happened
    assert not np.array_equal(a.res.loneliness, b.res.loneliness)


def test_burn_in_cache_gives_identical_results(tmp_path):
    p1 = small_params("grants")
    p2 = small_params("partnership")
    plain = simulate(p2, seed=8)
    simulate(p1, seed=8, burn_in_cache=tmp_path)  # computes and stores the burn-in
    assert len(list(tmp_path.glob("burn_in_*.pkl"))) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stored model must load (a failed load only warns)
        cached = simulate(p2, seed=8, burn_in_cache=tmp_path)  # another regime reuses it
    assert len(list(tmp_path.glob("burn_in_*.pkl"))) == 1
    pd.testing.assert_frame_equal(plain.timeseries, cached.timeseries)
    pd.testing.assert_frame_equal(plain.groups, cached.groups)
    # a parameter that shapes the burn-in gets its own entry
    simulate(small_params("grants", **{"ties.decay": 0.03}), seed=8, burn_in_cache=tmp_path)
    assert len(list(tmp_path.glob("burn_in_*.pkl"))) == 2


def test_burn_in_does_not_depend_on_regime_settings():
    a = CommunityModel(small_params("grants", **{"regime.grants.rule": "core"}), seed=3)
    b = CommunityModel(small_params("grants"), seed=3)
    a.burn_in()
    b.burn_in()
    assert np.array_equal(a.res.loneliness, b.res.loneliness)


def test_a_regime_founding_a_group_leaves_spontaneous_foundings_draws_alone():
    a = _run_to("none", 2)
    b = _run_to("partnership", 2)  # funds (founds) a volunteer centre at week 0
    assert any(g.kind == "volunteer_centre" and g.founded_week == 0 for g in b.all_groups)
    assert a.streams.state("foundings") == b.streams.state("foundings")


def _xoshiro256plus_reference(state, k):
    """xoshiro256+ as published (Blackman & Vigna, prng.di.unimi.it/xoshiro256plus.c), in plain
    Python integers, with the recommended conversion of the top 53 bits to a double."""
    s = [int(x) for x in state]
    mask = (1 << 64) - 1
    out = []
    for _ in range(k):
        result = (s[0] + s[3]) & mask
        t = (s[1] << 17) & mask
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = ((s[3] << 45) & mask) | (s[3] >> 19)
        out.append((result >> 11) * 2.0**-53)
    return out, s


def test_uniform_draws_are_xoshiro256plus():
    from model import kernels

    state = np.array([0x0123456789ABCDEF, 0xFEDCBA9876543210, 2**64 - 1, 12345], dtype=np.uint64)
    expected, s = _xoshiro256plus_reference(state, 2_000)
    got = kernels.uniforms(state, np.empty(2_000))
    assert got.tolist() == expected
    assert [int(x) for x in state] == s  # the state advanced in place


def test_stream_uniforms_are_uniform_and_streams_independent():
    from scipy import stats

    s = Streams(11)
    a, b = s["contact"], s["triadic"]
    x = a.random(200_000)
    assert stats.kstest(x, "uniform").pvalue > 1e-4  # fails for a biased or truncated generator
    assert 0.0 <= x.min() and x.max() < 1.0
    # two named streams are uncorrelated (|r| < 4 standard errors)
    assert abs(np.corrcoef(x, b.random(200_000))[0, 1]) < 4 / np.sqrt(200_000)
    # the three forms draw from one sequence: a float, an array, into a buffer
    c, d = Streams(11)["loneliness"], Streams(11)["loneliness"]
    first = [c.random()] + c.random(3).tolist() + c.random(out=np.empty(2)).tolist()
    assert first == d.random(6).tolist()
    # every other distribution is numpy's PCG64 stream, untouched by uniform draws
    assert c.standard_normal() == d.standard_normal()


def test_kernel_normals_are_standard_normal_and_loneliness_draws_them_in_order():
    """The ziggurat on xoshiro256+ (kernels.normals): a KS test against N(0, 1), the tail beyond the
    ziggurat's base (|z| > 3.44, drawn by a separate routine) at its expected frequency, and the
    loneliness kernel's noise equal to ``normals`` from the same state."""
    from scipy import stats

    from model import kernels

    state = Streams(3)["loneliness"].uniform_state.copy()
    z = kernels.normals(state.copy(), np.empty(400_000))
    assert stats.kstest(z, "norm").pvalue > 1e-4  # fails for a wrong table, layer or sign
    # 4 standard errors: the mean's is 1/sqrt(n), the sd's 1/sqrt(2n) = 0.0011 (0.005 is 4.5 of them)
    assert abs(z.mean()) < 4 / np.sqrt(z.size) and abs(z.std() - 1.0) < 0.005
    # near zero, where the top layer (drawn only through the wedge test) holds most of its mass
    centre, p_centre = np.mean(np.abs(z) < 0.1), 2 * stats.norm.cdf(0.1) - 1
    assert abs(centre - p_centre) < 4 * np.sqrt(p_centre * (1 - p_centre) / z.size)
    tail = np.mean(np.abs(z) > 3.442619855899)
    expected = 2 * stats.norm.sf(3.442619855899)  # 5.8e-4: ~230 draws, sd ~15
    assert abs(tail - expected) < 4 * np.sqrt(expected / z.size)
    assert stats.kstest(np.abs(z[np.abs(z) > 3.5]) - 3.5,
                        lambda x: 1 - stats.norm.sf(3.5 + x) / stats.norm.sf(3.5)).pvalue > 1e-4
    # with rise = fall = 0 the loneliness balance is only the noise: L moves by exactly sd x z
    n = 1_000
    L = np.full(n, 0.5)
    s = state.copy()
    kernels.loneliness_update(L, np.ones(n), np.ones(n), np.ones(n), s, 0.0, 0.0, 0.01, 0.5,
                              np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int32), 1)
    expected_z = kernels.normals(state, np.empty(n))  # advances ``state`` as the kernel did ``s``
    assert np.allclose(L, 0.5 + 0.01 * expected_z, rtol=0, atol=1e-15)
    assert s.tolist() == state.tolist()


def test_the_burn_in_key_changes_with_the_model_source(tmp_path, monkeypatch):
    """A copy of the model's source hashes as the model does; changing one line of it changes the
    hash, and a different source hash gives a different burn-in key (so a stale burn-in is never
    reused, whatever MODEL_VERSION says)."""
    import shutil
    from pathlib import Path

    import model.api as api
    from model.params import Params

    src = Path(api.__file__).resolve().parent
    copy = tmp_path / "model"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert api.source_hash(copy) == api.model_source_hash()
    target = copy / "phases" / "ties.py"
    target.write_text(target.read_text().replace("rng.random(n)", "rng.random(n) ", 1))
    assert api.source_hash(copy) != api.model_source_hash()
    p = Params()
    key = api.burn_in_key(p, 1)
    monkeypatch.setattr(api, "_SOURCE_HASH", api.source_hash(copy))
    assert api.burn_in_key(p, 1) != key


def test_visits_and_quitting_see_the_same_draws_under_a_tender_as_under_none():
    """The weekly per-resident draws of visits ("services") and of quitting ("volunteering") stay
    paired across regimes: the variable number of draws a regime causes (the groups its providers'
    calls signpost to; members offering to volunteer) come from streams of their own. Up to model
    version 13 both came from these streams and shifted every later week's draws. Joining
    ("membership") likewise: leaving draws one value per membership from a stream of its own (up to
    model version 15 from "membership", before the joining draws)."""
    over = {"providers.tie_formation_factor": 1.0, "horizon_years": 2}  # calls signpost often
    a, b = (CommunityModel(small_params(r, **over), seed=4) for r in ("none", "competitive_tender"))
    for m in (a, b):
        m.burn_in()
        for _ in range(52):
            m.step()
    assert sum(pv.clients for pv in b.providers) > 0  # the tender's provider is calling clients
    for name in ("services", "volunteering", "membership"):
        assert a.streams.state(name)[1] == b.streams.state(name)[1], name  # the uniform draws
    assert len(a.members) != len(b.members)  # (so leaving drew a different number of values)


def test_a_group_open_under_two_regimes_gets_the_same_funder_and_fundraising_draws():
    """Outside funders' and fundraising luck's draws are keyed by the year and the group, so a group
    open under both regimes draws the same whatever other groups are open (up to model version 15
    they were drawn in the order of the open groups: from the first year one regime kept a group
    more, no group shared them)."""
    from model.streams import Streams

    seen: dict[int, dict] = {}
    real = Streams.by_id

    def spy(self, name, key, ids, k=1):
        out = real(self, name, key, ids, k)
        seen.setdefault(id(self), {})[(name, key)] = dict(zip(np.asarray(ids).tolist(), out.tolist(), strict=True))
        return out

    Streams.by_id = spy
    try:
        a, b = (CommunityModel(small_params(r, horizon_years=3), seed=1) for r in ("none", "grants"))
        for m in (a, b):
            m.burn_in()
            m.run()
    finally:
        Streams.by_id = real
    da, db = seen[id(a.streams)], seen[id(b.streams)]
    assert set(da) == set(db) and {name for name, _ in da} == {"funders", "finances"}
    differ = 0
    for key in da:
        shared = da[key].keys() & db[key].keys()
        assert shared
        assert all(da[key][g] == db[key][g] for g in shared), key
        differ += da[key].keys() != db[key].keys()
    assert differ  # (some years the two regimes had different groups open)
