"""The regime registry: a regime is one module plus one YAML file, and every list of regimes and
of random streams is derived from the registry."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

import model.regimes as regimes
from model import params_from_dict, simulate
from model.params import REGIME_NAMES, ConfigError
from model.regimes import INSTRUMENTS, all_regimes, regime_label, regime_order
from model.streams import MODEL_STREAMS, STREAM_NAMES, stream_names

TOY_MODULE = '''
"""A toy regime: the whole budget goes, as one grant, to the group with the most members."""

from model.regimes import Instrument, instrument


@instrument("toy_biggest", label="Biggest group", order=20, streams=("toy_biggest",),
            description="The council gives its whole budget to the group with the most members.")
class BiggestGroup(Instrument):
    def yearly(self, model, budget):
        groups = model.active_groups()
        self.draw = model.streams["toy_biggest"].random()  # its own stream
        if groups and budget > 0:
            g = max(groups, key=lambda g: (g.n_members, -g.gid))
            model.pay(g, "grants", budget)
            self.funded = g.gid
'''

TOY_YAML = "# A toy regime for the registry test.\nname: toy_biggest\n"


@pytest.fixture
def toy_regime(tmp_path, monkeypatch):
    """The toy regime written as a module in a package of its own and a YAML file, imported; taken
    out of the registry afterwards (the registry is shared by every test in the process)."""
    pkg = tmp_path / "toyregimes"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "biggest.py").write_text(textwrap.dedent(TOY_MODULE))
    (tmp_path / "toy_biggest.yaml").write_text(TOY_YAML)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("toyregimes.biggest")
    yield yaml.safe_load((tmp_path / "toy_biggest.yaml").read_text())
    INSTRUMENTS.pop("toy_biggest", None)
    for name in ("toyregimes.biggest", "toyregimes"):
        sys.modules.pop(name, None)


def test_a_new_regime_is_one_module_and_one_yaml_file(toy_regime):
    assert "toy_biggest" in REGIME_NAMES and "toy_biggest" in all_regimes()
    assert regime_label("toy_biggest") == "Biggest group"
    assert regime_order(["toy_biggest", "grants"]) == ["grants", "toy_biggest"]
    assert "toy_biggest" in stream_names()  # (the run below draws from it: an unknown stream is an error)
    p = params_from_dict({"place": {"name": "small", "n_residents": 2000, "n_neighbourhoods": 4, "n_groups": 14},
                          "regime": toy_regime, "burn_in_years": 1, "horizon_years": 2})
    res = simulate(p, seed=1)
    # every pound of the budget reaches one local group: the largest
    assert res.summary["council_spend"] > 0
    assert res.summary["local_funding_share"] == pytest.approx(1.0)
    grants = res.groups.set_index("group_id")["income_grants"]
    assert (grants > 0).sum() >= 1
    assert grants.max() >= 0.4 * res.summary["council_spend"]  # at least one year's budget, in one group


def test_an_unregistered_regime_is_refused_in_one_line():
    with pytest.raises(ConfigError, match="regime.name 'toy_biggest' is not one of"):
        params_from_dict({"regime": {"name": "toy_biggest"}})


def test_every_module_of_the_package_registers_an_instrument():
    modules = [m.name for m in pkgutil.iter_modules(regimes.__path__) if not m.name.startswith("_")]
    owners = {cls.__module__.rsplit(".", 1)[1] for cls in INSTRUMENTS.values() if cls.__module__.startswith("model.regimes.")}
    assert set(modules) == owners


def test_lists_of_regimes_and_streams_come_from_the_registry():
    assert list(REGIME_NAMES) == sorted(INSTRUMENTS, key=lambda n: INSTRUMENTS[n].order)
    declared = {s for cls in INSTRUMENTS.values() for s in cls.streams}
    assert set(STREAM_NAMES) == set(MODEL_STREAMS) | declared
    assert {"grants", "tender", "outcomes", "community_development", "partnership"} <= declared


def test_a_provider_holds_several_contracts_each_paid_on_its_own_terms():
    """One outside provider wins both the tender and the outcomes contract of a mixture (no local
    group is eligible and it is the only bidder): the tender still pays it every week, and its
    places are those of both contracts. (Before contracts were each instrument's own state, the
    outcomes award set the provider's one payment to zero and its places to the second contract's.)"""
    from model.model import CommunityModel

    from .conftest import small_params

    m = CommunityModel(small_params("mixture", **{
        "burn_in_years": 0, "providers.n_bidders": 1, "regime.tender.min_turnover_ratio": 1e6,
        "regime.weights": {"competitive_tender": 0.5, "outcomes_based": 0.5}}), seed=1)
    m.step()  # week 0: both contracts awarded
    tender, outcomes = (next(i for i in m.active_regime.instruments if i.name == n)
                        for n in ("competitive_tender", "outcomes_based"))
    prov = m.providers[0]
    assert tender.contract.provider is prov and outcomes.contract.provider is prov
    assert prov.contracts == [tender.contract, outcomes.contract]
    assert prov.contract_places == tender.contract.places + outcomes.contract.places
    weekly = 0.5 * m.council.budget / 52  # the tender's share of the budget, paid weekly
    assert prov.contract_payment_per_week == pytest.approx(weekly, rel=1e-9)
    assert outcomes.contract.payment_per_week == 0.0  # paid only for verified outcomes
    before = m.spend_by_recipient["outside_providers"]
    m.step()
    assert m.spend_by_recipient["outside_providers"] - before == pytest.approx(weekly, rel=1e-9)


def _repo_copy(tmp_path: Path) -> Path:
    """The project's source as a user's checkout would have it (the compiled kernels' cache kept)."""
    root = Path(__file__).resolve().parents[1]
    repo = tmp_path / "repo"
    for part in ("model", "experiments", "workshop", "configs"):
        shutil.copytree(root / part, repo / part)
    return repo


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "RESILIENCE_DEBUG")}
    env["PYTHONPATH"] = str(repo)  # the copy, not the installed checkout
    return subprocess.run([sys.executable, "-m", "experiments.cli", *args], cwd=repo, capture_output=True,
                          text=True, timeout=300, env=env)


def test_a_new_regime_runs_through_the_command_line(tmp_path):
    """Issue 19: adding a regime is one module in model/regimes/ and one YAML file in configs/regime/;
    `resilience run regime=<name>` then runs it and the results name it. Without the module the
    same command is refused in one line (the registry, not the YAML file, is what makes a regime)."""
    repo = _repo_copy(tmp_path)
    (repo / "configs" / "regime" / "toy_biggest.yaml").write_text(TOY_YAML)
    run = ["run", "regime=toy_biggest", "place=small", "horizon_years=1", "burn_in_years=0", "replicates=2"]
    res = _cli(repo, *run)
    assert res.returncode != 0 and "toy_biggest" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    (repo / "model" / "regimes" / "toy_biggest.py").write_text(textwrap.dedent(TOY_MODULE))
    res = _cli(repo, *run)
    assert res.returncode == 0, res.stderr[-2000:]
    tables = [f for f in (repo / "results").rglob("summary.parquet") if f.parent.name != "rep_0"
              and f.parent.parent.name != "replicates"]
    assert len(tables) == 1, tables  # the run's gathered summary (one row a replicate)
    df = pd.read_parquet(tables[0])
    assert set(df["regime"].astype(str)) == {"toy_biggest"} and len(df) == 2
    assert (df["local_funding_share"] > 0.99).all()  # every pound to one local group, as the module says
