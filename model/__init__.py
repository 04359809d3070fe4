"""Agent-based model of community resilience under council commissioning regimes."""

from model.api import MODEL_VERSION, Result, simulate
from model.outcomes import DIRECTION, LABEL, OUTCOME_NAMES, OUTCOMES
from model.params import ConfigError, Params, make_params, params_from_dict

__all__ = [
    "DIRECTION",
    "LABEL",
    "MODEL_VERSION",
    "OUTCOMES",
    "OUTCOME_NAMES",
    "ConfigError",
    "Params",
    "Result",
    "make_params",
    "params_from_dict",
    "simulate",
]
