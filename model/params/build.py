"""Building Params from nested dictionaries (configs, overrides), with one-line errors."""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

from model.params.base import GROUP_KINDS, ConfigError
from model.params.checks import Params
from model.params.people import PLACES, GroupKindParams
from model.params.policy import MIXTURES  # noqa: F401

# --------------------------------------------------------------------------------------------
# Building Params from nested dictionaries (configs, overrides)
# --------------------------------------------------------------------------------------------


def _build(cls: type, data: dict[str, Any], path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'} must be a mapping (got {type(data).__name__})")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    obj = cls() if cls is not GroupKindParams else None
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in names:
            raise ConfigError(f"unknown parameter '{where}'; allowed: {', '.join(names)}")
        kwargs[key] = _coerce(hints[key], value, where, getattr(obj, key, None))
    if obj is None:
        return cls(**kwargs)
    for k, v in kwargs.items():
        setattr(obj, k, v)
    return obj


def _coerce(hint: Any, value: Any, where: str, current: Any) -> Any:
    if dataclasses.is_dataclass(current):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping of its parameters (got {_short(value)})")
        merged = dataclasses.asdict(current)
        return _build(type(current), _deep_merge(merged, value), where)
    if where.endswith("groups.kinds"):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a mapping of kind name to its parameters")
        out = dict(current or {})
        for kname, kval in value.items():
            if kname not in GROUP_KINDS:
                raise ConfigError(f"unknown group kind '{where}.{kname}'; allowed: {', '.join(GROUP_KINDS)}")
            if kval is not None and not isinstance(kval, dict):
                raise ConfigError(f"{where}.{kname} must be a mapping of its parameters (got {_short(kval)})")
            base = dataclasses.asdict(out[kname]) if kname in out else {}
            out[kname] = _build(GroupKindParams, _deep_merge(base, kval or {}), f"{where}.{kname}")
        return out
    text = getattr(hint, "__name__", None) if isinstance(hint, type) else str(hint)
    try:
        if value is None:
            if "None" in text:
                return None
            raise ConfigError(f"{where} must not be empty")
        if text.startswith("tuple"):
            if isinstance(value, (str, bytes, dict)):
                raise TypeError
            return tuple(float(x) for x in value)
        if text.startswith("dict"):
            return {str(k): float(v) for k, v in dict(value).items()}
        if hint is bool or text == "bool":
            if isinstance(value, bool):
                return value
            raise TypeError
        if hint is int or text == "int":
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise TypeError
            return int(float(value))
        if hint is float or text == "float":
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if hint is str or text == "str":
            if not isinstance(value, str):
                raise TypeError
            return value
    except ConfigError:
        raise
    except (TypeError, ValueError, OverflowError):  # inf for an int field overflows
        raise ConfigError(f"{where} must be of type {text} (got {_short(value)})") from None
    return value


def _short(value: Any) -> str:
    """A value for a one-line message: its repr on one line, cut to 60 characters."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def make_params(
    place: str | None = None,
    regime: str | None = None,
    funding: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Params:
    """Build validated Params from a place preset, a regime name, a funding path and overrides.

    ``overrides`` is a nested mapping (``{"council": {"budget_per_resident_per_year": 8}}``) or a flat
    mapping of dotted paths (``{"council.budget_per_resident_per_year": 8}``); both may be mixed.
    """
    data: dict[str, Any] = {}
    if place is not None:
        if place not in PLACES:
            raise ConfigError(f"unknown place '{place}'; allowed: {', '.join(PLACES)}")
        data["place"] = dict(PLACES[place])
    if regime is not None:
        data["regime"] = {"name": regime}
    if funding is not None:
        data["funding"] = {"path": funding}
    for key, value in (overrides or {}).items():
        nested: Any = value
        for part in reversed(str(key).split(".")):
            nested = {part: nested}
        data = _deep_merge(data, nested)
    return params_from_dict(data)


def params_from_dict(data: dict[str, Any]) -> Params:
    """Build validated Params from a (partial) nested mapping; unknown names are errors."""
    return _build(Params, data or {}, "").validate()
