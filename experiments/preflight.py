"""Compose and check the overrides of ``resilience run`` (and of the workshop) before Hydra creates
any folder.

The public functions, shared by the command line and the workshop:

* :func:`compose`: the run configuration for a list of overrides (Hydra's compose API);
* :func:`check`: every configuration the command would run is composed and validated
  (:func:`experiments.config.validate`); the first problem becomes one line naming it and the
  valid choices. Sweeps (``-m``) are expanded the way Hydra's basic sweeper does it, including the
  sweep an experiment file sets in ``hydra.sweeper.params``.

Hydra's append forms (``+key=value``, ``++key=value``) are checked against the schema like plain
overrides, and a setting given on the command line that has no effect in any configuration the
command runs (:func:`model.params.ineffective`, e.g. ``regime.weights`` on a single-instrument
regime) is refused.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Sequence
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from experiments.config import CONFIG_DIR, CONFIG_NAME, GROUPS, MODEL_KEYS, RUN_KEYS, group_options, validate
from model.params import ConfigError, ineffective, make_params

# Above this many sweep combinations, each swept value is checked with the others at their first value.
MAX_COMBINATIONS = 64
_MISSING = object()


def one_line(exc: BaseException) -> str:
    """Hydra and OmegaConf errors span several lines; keep their substance on one."""
    for err in (exc, exc.__cause__):
        if isinstance(err, OmegaConfBaseException):
            msg = str(getattr(err, "msg", "") or err).strip().splitlines()[0]
            key = getattr(err, "full_key", None)
            return f"{key}: {msg}" if key else msg
    lines = [ln.strip() for ln in str(exc).strip().splitlines()]
    if any(ln.startswith("Available options in") for ln in lines):
        i = next(i for i, ln in enumerate(lines) if ln.startswith("Available options in"))
        options = []
        for ln in lines[i + 1:]:
            if not ln or ln.startswith("Config search path"):
                break
            options.append(ln.split()[0])
        head = next((ln for ln in lines if ln.startswith("Could not find")), lines[0])
        return f"{head}; choose from: {', '.join(options)}"
    return re.sub(r"\s+", " ", "; ".join(ln for ln in lines if ln))


def _parse(overrides: Sequence[str]) -> list[Any]:
    from hydra.core.override_parser.overrides_parser import OverridesParser

    try:
        return OverridesParser.create().parse_overrides(list(overrides))
    except HydraException as exc:
        raise ConfigError(one_line(exc)) from None


def _values(ov: Any) -> list[str]:
    key = ov.get_key_element()
    if ov.is_sweep_override():
        from hydra.core.override_parser.types import Glob

        if not ov.is_discrete_sweep() or isinstance(ov.value(), Glob):  # interval(...), glob(...)
            raise ConfigError(f"{key}: only lists (a,b,c), range(start,stop,step) and choice(a,b) can be "
                              f"swept, not interval(...) or glob(...)")
        return [f"{key}={v}" for v in ov.sweep_string_iterator()]
    return [f"{key}={ov.get_value_element_as_str()}"]


def _check_groups(parsed: list[Any]) -> None:
    for ov in parsed:
        group = ov.key_or_group
        if group not in GROUPS or ov.is_delete():
            continue
        options = group_options(group)
        for item in _values(ov):
            value = item.split("=", 1)[1]
            if group == "experiment" and value == "null":
                continue
            if value not in options:
                raise ConfigError(f"unknown {group} '{value}'; choose from: {', '.join(options)}")


def _exists(base: Any, key: str) -> bool:
    """True if ``key`` is in the composed config, or may be added under an open mapping."""
    try:
        if OmegaConf.select(base, key, default=_MISSING) is not _MISSING:
            return True
        parent = OmegaConf.select(base, key.rsplit(".", 1)[0], default=None) if "." in key else None
    except OmegaConfBaseException:
        return False
    return OmegaConf.is_dict(parent) and OmegaConf.is_struct(parent) is False


def _check_keys(parsed: list[Any], base: Any) -> None:
    """Every key set (plainly, or with Hydra's ``+``/``++``) or deleted (``~``) must be a run
    setting or a model parameter, or sit under an open mapping (``regime.weights``)."""
    for ov in parsed:
        key = ov.key_or_group
        if key in GROUPS or key.startswith("hydra") or "/" in key:
            continue
        if ov.is_delete():
            if "." in key and _exists(base, key) and OmegaConf.is_struct(
                    OmegaConf.select(base, key.rsplit(".", 1)[0])) is False:
                continue  # an entry of an open mapping (an instrument's weight) may be removed
            raise ConfigError(f"'{ov.input_line}': settings cannot be deleted; set a value instead")
        if _exists(base, key):
            continue
        if key.split(".", 1)[0] in MODEL_KEYS:
            value = _values(ov)[0].split("=", 1)[1]
            try:
                make_params(overrides={key: value})
            except ConfigError as exc:
                if str(exc).startswith("unknown"):
                    raise ConfigError(str(exc)) from None
            raise ConfigError(f"unknown parameter '{key}'")
        raise ConfigError(f"unknown setting '{key}'; settings are: {', '.join(RUN_KEYS)} "
                          f"and the model parameters {', '.join(MODEL_KEYS)}")


def compose(overrides: Sequence[str], hydra_config: bool = False) -> Any:
    """The run configuration for these overrides, as ``resilience run`` composes it (config
    groups, run settings, model parameters; Hydra's own node too if ``hydra_config``).

    Raises ConfigError with one line if Hydra or OmegaConf refuse the overrides. Values are not
    validated here: :func:`experiments.config.validate` does that, and :func:`check` does all.
    Works inside an initialised Hydra (as in :func:`check`) or on its own.
    """
    if not GlobalHydra.instance().is_initialized():
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="preflight"):
            return compose(overrides, hydra_config)
    try:
        return hydra_compose(config_name=CONFIG_NAME, overrides=list(overrides),
                             return_hydra_config=hydra_config)
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(one_line(exc)) from None


# The workshop's name for compose until it moves to the public one (issue 19).
_compose = compose


def _validate(cfg: Any) -> Any:
    try:
        return validate(cfg)
    except OmegaConfBaseException as exc:
        raise ConfigError(one_line(exc)) from None


def _model_keys(parsed: list[Any]) -> list[str]:
    """The model parameters the command line sets (dotted, as typed)."""
    return [ov.key_or_group for ov in parsed
            if not ov.is_delete() and ov.key_or_group.split(".", 1)[0] in MODEL_KEYS]


class _Effects:
    """Keys set on the command line, and why each has had no effect in every job seen so far."""

    def __init__(self, keys: list[str]) -> None:
        self.unused: dict[str, str] = dict.fromkeys(keys, "")

    def see(self, params: Any) -> None:
        for key in list(self.unused):
            why = ineffective(params, key)
            if why is None:
                del self.unused[key]
            else:
                self.unused[key] = why

    def check(self) -> None:
        for why in self.unused.values():
            raise ConfigError(why)


def check(overrides: Sequence[str], multirun: bool) -> int:
    """Validate every job the command would run; return the number of jobs.

    Raises ConfigError with one line on the first problem found.
    """
    parsed = _parse(overrides)
    sweeps = [ov for ov in parsed if ov.is_sweep_override()]
    if sweeps and not multirun:
        raise ConfigError(f"'{sweeps[0].input_line}' lists several values: add -m to sweep over them")
    _check_groups(parsed)
    with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="preflight"):
        first = [vals[0] for vals in (_values(ov) for ov in parsed)]
        # Config groups and Hydra's own settings first, to check that every other key exists.
        structural = [f for f, ov in zip(first, parsed, strict=True)
                      if ov.key_or_group in GROUPS or ov.key_or_group.startswith("hydra")]
        _check_keys(parsed, compose(structural, hydra_config=True))
        base = compose(first, hydra_config=True)
        effects = _Effects(_model_keys(parsed))
        if not multirun:
            effects.see(_validate(base))
            effects.check()
            _check_folder(base, overrides, None, multirun=False)
            params = OmegaConf.select(base, "hydra.sweeper.params", default=None) or {}
            if params:
                print(f"note: this configuration defines a sweep over {', '.join(params)}; "
                      f"add -m to run it (running one job now)", file=sys.stderr)
            return 1
        # The sweep: hydra.sweeper.params from the config first, command line wins per key.
        lists: dict[str, list[str]] = {}
        params = OmegaConf.select(base, "hydra.sweeper.params", default=None) or {}
        sweep_conf = [f"{k}={v}" for k, v in params.items()]
        config_parsed = _parse(sweep_conf)
        _check_groups(config_parsed)
        for ov in [*config_parsed, *parsed]:
            lists[ov.get_key_element()] = _values(ov)
        keys = list(lists)
        combos = 1
        for vals in lists.values():
            combos *= len(vals)
        if combos <= MAX_COMBINATIONS:
            todo = [list(c) for c in itertools.product(*lists.values())]
        else:
            firsts = [v[0] for v in lists.values()]
            todo = [firsts[:i] + [v] + firsts[i + 1:] for i, k in enumerate(keys) for v in lists[k]]
        for combo in todo:
            effects.see(_validate(compose(combo)))
        effects.check()
        _check_folder(base, overrides, params, multirun=True)
        return combos


def _check_folder(base: Any, overrides: Sequence[str], sweep_params: Any, multirun: bool) -> None:
    """A reused results folder must hold this same run or sweep (callbacks.check_folder)."""
    from pathlib import Path

    from experiments.callbacks import check_folder, expand_jobs

    folder = OmegaConf.select(base, "hydra.sweep.dir" if multirun else "hydra.run.dir", default=None)
    if folder is None or not Path(str(folder)).exists():
        return
    if multirun:
        jobs = expand_jobs(dict(sweep_params or {}), list(overrides))
    else:
        jobs = [list(overrides)]
    check_folder(Path(str(folder)), int(base.seed), jobs, multirun=multirun)
