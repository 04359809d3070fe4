"""Running over a calibrated parameter ensemble: ``resilience run ... ensemble=PATH``.

``PATH`` is an ``ensemble.parquet`` written by ``resilience calibrate`` (or the calibration folder
holding it): one row per member, one column per parameter by its dotted name, plus bookkeeping
columns (``member``, ``implausibility``, ``weight``). Replicate k of every job runs with member
``k mod M`` applied as overrides on top of the job's configuration, and with the job's k-th seed,
so a sweep's regimes stay paired (same member and seed for replicate k everywhere) while the
replicates together carry parameter uncertainty as well as seed noise. The member index is recorded
in the ``ensemble_member`` column of every table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from model.params import ConfigError, Params, params_from_dict

NOT_PARAMETERS = ("member", "implausibility", "weight")
PREFIX = "ensemble:"


def resolve(path: str | Path) -> Path:
    """The ensemble file named by ``path`` (a file, a calibration folder, or ``ensemble:PATH``)."""
    text = str(path)
    if text.startswith(PREFIX):
        text = text[len(PREFIX):]
    p = Path(text)
    return p / "ensemble.parquet" if p.is_dir() else p


def parameter_columns(ensemble: pd.DataFrame) -> list[str]:
    return [c for c in ensemble.columns if c not in NOT_PARAMETERS]


def load_ensemble(path: str | Path, base: dict[str, Any] | None = None) -> pd.DataFrame:
    """Read an ensemble; with ``base`` (a nested model-parameter dict), check every member builds
    valid parameters on top of it. Problems raise ConfigError in one line."""
    p = resolve(path)
    if not p.is_file():
        raise ConfigError(f"ensemble: no such file {p}")
    try:
        ens = pd.read_parquet(p)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one line for the user
        raise ConfigError(f"ensemble: {p} is not a readable Parquet table ({type(exc).__name__})") from None
    if ens.empty or not parameter_columns(ens):
        raise ConfigError(f"ensemble: {p} has no members or no parameter columns")
    if base is not None:
        for m in range(len(ens)):
            _, values = member_overrides(ens, m)
            try:
                apply_overrides(base, values)
            except ConfigError as exc:
                raise ConfigError(f"ensemble member {m} of {p}: {exc}") from None
    return ens.reset_index(drop=True)


def member_overrides(ensemble: pd.DataFrame, replicate: int) -> tuple[int, dict[str, float]]:
    """The member used by ``replicate`` (``replicate mod M``) and its parameter values by dotted name."""
    m = int(replicate) % len(ensemble)
    row = ensemble.iloc[m]
    return m, {c: row[c].item() if hasattr(row[c], "item") else row[c] for c in parameter_columns(ensemble)}


def apply_overrides(base: dict[str, Any], values: dict[str, Any]) -> Params:
    """Params from a nested model-parameter dict with dotted-name overrides on top (integer fields
    take the nearest integer, since an ensemble stores every value as a float)."""
    from model.params import _deep_merge

    data = dict(base)
    defaults = Params()
    for key, value in values.items():
        if isinstance(_default(defaults, key), int) and not isinstance(value, bool):
            value = round(float(value))
        nested: Any = value
        for part in reversed(key.split(".")):
            nested = {part: nested}
        data = _deep_merge(data, nested)
    return params_from_dict(data)


def _default(obj: Any, key: str) -> Any:
    for part in key.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
    return obj


def for_replicate(base: dict[str, Any], params: Params, ensemble: pd.DataFrame | None,
                  replicate: int) -> tuple[Params, int | None]:
    """The parameters replicate ``replicate`` runs with, and its member index (None: no ensemble)."""
    if ensemble is None:
        return params, None
    m, values = member_overrides(ensemble, replicate)
    return apply_overrides(base, values), m
