"""What the workshop's controls mean as model configuration.

The app shows a handful of dropdowns and sliders; this module is the only place that says which model
parameters they set. Everything here is pure (no Solara, no model runs), so it is unit-tested.

A workshop run starts from a :class:`Start`: the parameters ``resilience workshop`` composed from its
command line (the same overrides as ``resilience run``: place, regime, funding, experiment, seed and any
dotted model parameter) and the seed. The controls then set their parameters on top of that start;
every other setting from the command line is kept.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from model import Params, make_params, params_from_dict
from model.params import FUNDING_PATHS, MIXTURES, REGIME_NAMES
from model.regimes import regime_description as _regime_description
from model.regimes import regime_label as _regime_label
from model.regimes import regime_order

START_ENV = "RESILIENCE_WORKSHOP_START"  # the app server reads its starting point from this (JSON)

# Workshop defaults applied under the command-line overrides: record every week (the charts move
# each step) and allow twenty years of play (the model stops at its horizon). The burn-in keeps the
# model's default: on the small place it takes well under a second.
WORKSHOP_DEFAULTS: dict[str, Any] = {"record_every_weeks": 1, "horizon_years": 20.0}

REGIME_CHOICES: tuple[str, ...] = tuple(regime_order([*REGIME_NAMES, *MIXTURES]))



def regime_label(name: str) -> str:
    """The plain name of a regime, from the model's registry (:func:`model.regimes.regime_label`)."""
    return _regime_label(name)


def acting_regime(regime: str, investor: bool = False) -> str:
    """The regime that runs: payment by outcomes with the investor switch on is
    ``investor_outcomes`` (the council funds a portfolio of local groups up front)."""
    return "investor_outcomes" if regime == "outcomes_based" and investor else regime


def regime_description(name: str, investor: bool = False) -> str:
    """One plain sentence on the regime that runs, from the model's registry."""
    return _regime_description(acting_regime(name, investor))


# Derived from the model's registry (never hand-kept): the dropdown's words for each choice.
REGIME_LABELS: dict[str, str] = {r: regime_label(r) for r in regime_order([*REGIME_CHOICES, "mixture"])}

FUNDING_LABELS: dict[str, str] = {
    "stable": "Stable budget",
    "austerity": "Austerity (cut every year)",
    "shock": "A sudden cut",
}


@dataclass(frozen=True, slots=True)
class Slider:
    """One slider: the control field it sets, its label and range."""

    field: str
    label: str
    min: float
    max: float
    step: float
    unit: str = ""


# The sliders the app shows, in order. Each field of Controls below that is not a dropdown.
SLIDERS: tuple[Slider, ...] = (
    Slider("budget_per_resident", "Budget per resident a year", 0, 20, 0.5, "£"),
    Slider("max_grant", "Largest grant", 500, 20_000, 500, "£"),
    Slider("contract_years", "Contract length", 1, 5, 1, "years"),
    Slider("payment_ratio", "Contract pays share of cost", 0.3, 1.2, 0.05),
    Slider("max_connectors", "Connectors", 0, 8, 1),
    Slider("link_worker_share", "Partnership: share to link workers", 0, 1, 0.1),
)


# Which sliders act under each regime (the others are hidden: they would change nothing). A regime not
# listed (a mixture from the command line) shows them all. "none" spends nothing, so no budget slider.
_TENDER = ("budget_per_resident", "contract_years", "payment_ratio")
SLIDERS_BY_REGIME: dict[str, tuple[str, ...]] = {
    "none": (),
    "grants": ("budget_per_resident", "max_grant"),
    "competitive_tender": _TENDER,
    "social_value": _TENDER,
    "outcomes_based": _TENDER,
    "investor_outcomes": ("budget_per_resident",),
    "community_development": ("budget_per_resident", "max_connectors"),
    "partnership": ("budget_per_resident", "link_worker_share"),
    "status_quo": ("budget_per_resident", "max_grant", "contract_years", "payment_ratio"),
}


def sliders_for(regime: str, investor: bool = False) -> tuple[Slider, ...]:
    """The sliders that act under ``regime`` (payment by outcomes as an investor funds a portfolio of
    local groups from the budget and pays no contract, so only the budget acts)."""
    names = SLIDERS_BY_REGIME.get(acting_regime(regime, investor))
    return SLIDERS if names is None else tuple(s for s in SLIDERS if s.field in names)


SEED_MAX = 2**32 - 1  # numpy's seed range


def parse_seed(text: str | int | None) -> int:
    """A seed typed by a participant, or ValueError with a plain sentence (never silently changed)."""
    raw = str(text if text is not None else "").strip()
    if not raw.isdigit() or int(raw) > SEED_MAX:
        raise ValueError(f"the seed must be a whole number from 0 to {SEED_MAX:,}; '{raw}' was not used")
    return int(raw)


@dataclass(frozen=True, slots=True)
class Controls:
    """The values of the app's controls. Frozen and hashable: a new value means a new model run."""

    regime: str = "status_quo"
    funding: str = "stable"
    budget_per_resident: float = 6.0
    max_grant: float = 5_000.0
    contract_years: int = 2
    payment_ratio: float = 0.65
    max_connectors: int = 4
    link_worker_share: float = 0.7
    investor: bool = False  # payment by outcomes as an investor in outcomes (a portfolio of local groups)
    seed: int = 42

    def replace(self, **changes: Any) -> Controls:
        return dataclasses.replace(self, **changes)


# Control field -> dotted model parameter. link_worker_share is the complement of the partnership's
# volunteer-centre share (what is not granted to the volunteer centre pays for link workers).
PARAM_OF: dict[str, str] = {
    "budget_per_resident": "council.budget_per_resident_per_year",
    "max_grant": "regime.grants.max_grant",
    "contract_years": "regime.tender.contract_years",
    "payment_ratio": "regime.tender.payment_ratio",
    "max_connectors": "regime.community_development.max_connectors",
    "link_worker_share": "regime.partnership.volunteer_centre_share",
    "investor": "regime.outcomes.investor",
}


@dataclass(frozen=True, slots=True)
class Start:
    """Where ``resilience workshop`` starts: the full model parameters its command line composed
    (``Params.to_dict()``, already validated) and the seed. Passed to the app server as JSON."""

    params: dict[str, Any] = field(default_factory=dict)  # nested, as Params.to_dict(); {} = defaults
    seed: int = 0

    def to_json(self) -> str:
        return json.dumps({"params": self.params, "seed": self.seed})

    @classmethod
    def from_json(cls, text: str | None) -> Start:
        """The start from JSON; without one (``solara run workshop.page`` directly), the small place."""
        if not text:
            return cls(params=start_defaults(), seed=0)
        data = json.loads(text)
        return cls(params=dict(data.get("params") or {}), seed=int(data.get("seed", 0)))


def start_defaults() -> dict[str, Any]:
    """The workshop's starting point when nothing is given: the small place, workshop defaults."""
    return make_params(place="small", overrides=dict(WORKSHOP_DEFAULTS)).to_dict()


def _round(value: float, step: float) -> float:
    return round(round(value / step) * step, 10)


def start_params(start: Start) -> Params:
    """The validated parameters of the starting point."""
    return params_from_dict(start.params)


def controls_from_params(params: Params, seed: int) -> Controls:
    """The control values that show a given parameter set (used to initialise the controls)."""
    r = params.regime
    return Controls(
        regime=r.name,  # one of REGIME_CHOICES, or "mixture" when the command line gave weights
        funding=params.funding.path,
        budget_per_resident=float(params.council.budget_per_resident_per_year),
        max_grant=float(r.grants.max_grant),
        contract_years=int(r.tender.contract_years),
        payment_ratio=float(r.tender.payment_ratio),
        max_connectors=int(r.community_development.max_connectors),
        link_worker_share=_round(1.0 - float(r.partnership.volunteer_centre_share), 1e-6),
        investor=bool(r.outcomes.investor),
        seed=int(seed),
    )


def controls_from_start(start: Start) -> Controls:
    """The controls as the app first shows them."""
    return controls_from_params(start_params(start), start.seed)


def control_overrides(controls: Controls) -> dict[str, Any]:
    """The dotted model parameters the controls set (not including regime and funding, which are
    passed to :func:`model.make_params` by name)."""
    out: dict[str, Any] = {}
    for name, dotted in PARAM_OF.items():
        value = getattr(controls, name)
        if name == "link_worker_share":
            value = _round(1.0 - float(value), 1e-6)
        elif name in ("contract_years", "max_connectors"):
            value = int(value)
        elif name == "investor":
            value = bool(value)
        else:
            value = float(value)
        out[dotted] = value
    return out


def params_for(start: Start, controls: Controls) -> Params:
    """The validated parameters of a run: the start's parameters with the controls on top.

    Raises :class:`model.ConfigError` if the combination is invalid.
    """
    if controls.regime not in (*REGIME_CHOICES, "mixture"):
        raise ValueError(f"unknown regime '{controls.regime}'")
    if controls.funding not in FUNDING_PATHS:
        raise ValueError(f"unknown funding path '{controls.funding}'")
    data = copy.deepcopy(start.params)
    regime = data.setdefault("regime", {})
    if controls.regime != regime.get("name"):
        # another regime chosen on the controls: the start's mixture weights no longer apply
        regime["weights"] = None
    regime["name"] = controls.regime
    data.setdefault("funding", {})["path"] = controls.funding
    for dotted, value in control_overrides(controls).items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return params_from_dict(data)
