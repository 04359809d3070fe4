"""The Hydra configuration: where it lives, its typed schema, and how a composed config becomes a run.

The composed config has two kinds of keys at its top level:

* run settings (:class:`RunSettings`): ``name``, ``seed``, ``replicates``, ``results_dir``, ``progress``;
* every field of :class:`model.Params` under its own name, so a model parameter is overridden by its
  dotted path exactly as in ``Params`` (``council.budget_per_resident_per_year=8``,
  ``regime.grants.rule=core``, ``horizon_years=3``).

The schema is built from ``Params`` itself, so OmegaConf checks types as configs are composed, and
:func:`model.params_from_dict` (the source of truth for model parameters) validates values.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass, field, make_dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from model.params import ConfigError, Params, params_from_dict

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(os.environ.get("RESILIENCE_CONFIG_DIR", REPO_ROOT / "configs")).resolve()
CONFIG_NAME = "config"
SCHEMA_NAME = "run_schema"

# Config groups a user picks from by name; each option is a file configs/<group>/<option>.yaml.
GROUPS = ("regime", "place", "funding", "experiment")

MODEL_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Params))


@dataclass
class RunSettings:
    """Settings of a run that are not model parameters."""

    name: str = "adhoc"  # results go to <results_dir>/<name>/<time>/ (experiments set their name)
    seed: int = 0  # base seed; replicate k runs with seed spawned from it (see replicate_seeds)
    replicates: int = 1  # seeds run one after another inside one job (>= 1)
    results_dir: str = "results"  # root of the results store, relative to the working directory
    progress: bool = True  # print progress lines to stderr
    # [ensemble hook] a calibrated ensemble (experiments/ensemble.py): replicate k runs member k mod M
    ensemble: str = ""


RUN_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunSettings))


def _schema() -> type:
    """A dataclass with the run settings and every ``Params`` field, for the ConfigStore."""
    fields_: list[tuple[str, Any, Any]] = [
        (f.name, f.type, field(default=f.default)) for f in dataclasses.fields(RunSettings)
    ]
    defaults = Params()
    # An empty mapping rather than None, so `regime.weights={grants:0.5,...}` can be merged into it;
    # the model treats both alike (a named regime's own weights are used).
    defaults.regime.weights = {}
    for name in MODEL_KEYS:
        value = getattr(defaults, name)
        if dataclasses.is_dataclass(value):
            fields_.append((name, type(value), field(default_factory=partial(copy.deepcopy, value))))
        else:
            fields_.append((name, type(value), field(default=value)))
    return make_dataclass("RunConfig", fields_)


RunConfig = _schema()


def register_configs() -> None:
    """Store the typed schema under the name used in ``configs/config.yaml``'s defaults list."""
    node = OmegaConf.structured(RunConfig)
    # Hydra makes the whole config "struct" (no new keys). The instrument weights of a mixture are
    # a free mapping, so they stay open: `regime.weights.grants=0.5` adds the key.
    OmegaConf.set_struct(node.regime.weights, False)
    ConfigStore.instance().store(name=SCHEMA_NAME, node=node)


# Hydra reads the ConfigStore whenever it composes, also in launcher worker processes, which import
# this module to unpickle the task function: registering here is the Hydra convention.
register_configs()


def group_options(group: str) -> list[str]:
    """The options of a config group: the YAML files in ``configs/<group>/``."""
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


def _plain(cfg: DictConfig | dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The given top-level keys of a config as plain values (the ``hydra`` node is never resolved)."""
    if not isinstance(cfg, DictConfig):
        return {k: cfg[k] for k in keys if k in cfg}
    out = {}
    for k in keys:
        if k in cfg:
            v = cfg[k]
            out[k] = OmegaConf.to_container(v, resolve=True) if OmegaConf.is_config(v) else v
    return out


def model_dict(cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    """The model-parameter part of a composed config, as a plain nested dict."""
    return _plain(cfg, MODEL_KEYS)


def run_settings(cfg: DictConfig | dict[str, Any]) -> RunSettings:
    return RunSettings(**_plain(cfg, RUN_KEYS))


# Bounds of the run settings, with their reasons.
MAX_SEED = 2**63 - 1  # seeds are stored in signed 64-bit Parquet columns (base_seed); numpy's
# SeedSequence takes any non-negative integer, so this is the only limit
MAX_REPLICATES = 10_000  # replicates run one after another inside a job: 10k replicates of the
# town's 10 years (~3.4 s each with burn-in) are ~9.5 hours of one core
MAX_NAME = 255  # bytes in a folder name on Linux and macOS file systems


def _folder_name(value: str, what: str) -> None:
    if not value or value in (".", "..") or "/" in value or "\0" in value \
            or len(value.encode("utf-8", "surrogatepass")) > MAX_NAME:
        raise ConfigError(f"{what} must be a folder name of 1-{MAX_NAME} bytes without '/' "
                          f"(got {value!r})")


def validate(cfg: DictConfig | dict[str, Any]) -> Params:
    """Check the run settings and build the model's Params; raise ConfigError with one line."""
    rs = run_settings(cfg)
    if not 1 <= rs.replicates <= MAX_REPLICATES:
        raise ConfigError(f"replicates must be at least 1 and at most {MAX_REPLICATES} (got {rs.replicates})")
    if not 0 <= rs.seed <= MAX_SEED:
        raise ConfigError(f"seed must be non-negative and at most 2^63-1 = {MAX_SEED} (got {rs.seed})")
    _folder_name(rs.name, "name")
    if not rs.results_dir.strip() or "\0" in rs.results_dir:
        raise ConfigError(f"results_dir must be a folder path (got {rs.results_dir!r})")
    params = params_from_dict(model_dict(cfg))
    if rs.ensemble:  # [ensemble hook] every member must give valid parameters on top of this config
        from experiments.ensemble import load_ensemble
        load_ensemble(rs.ensemble, base=model_dict(cfg))
    return params


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """Seeds of replicates 0..R-1, spawned from ``seed``.

    Child k of ``SeedSequence(seed).spawn(R)`` depends only on ``seed`` and ``k`` (not on R), so
    replicate k of every regime in a sweep runs with the same seed: a paired design.
    """
    children = np.random.SeedSequence(seed).spawn(replicates)
    # 63 bits so the seed fits a signed 64-bit column in Parquet.
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
