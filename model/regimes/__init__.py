"""Commissioning regimes: pluggable policy objects with one lifecycle and named hooks.

An *instrument* is one way the council spends money (grants, a tender, ...). A *regime* is a
weighted set of instruments sharing the council's yearly budget; a single-instrument regime has
weight 1. Each instrument is one module in this package (found and imported here), a class
decorated with ``@instrument(...)`` that declares, once, its name, its plain label and sentence,
its display order and the random streams it draws from. It keeps its own state (contracts,
connectors, link workers, brokerage, payments) and acts on the model only through the model's
public surface (``model.pay``, ``model.ledger``, ``model.refer``, ``model.found_group``,
``model.observed_lonely_shares()``, ``model.active_groups()``, ...).

The model calls these methods (each optional; the defaults do nothing):

Lifecycle
    ``setup(model)``                  once, when the regime starts (after burn-in)
    ``yearly(model, budget)``         at the start of each budget year, with this instrument's share
    ``weekly(model)``                 every week, after residents and groups have acted
    ``connect(model)``                every week, after every instrument's ``weekly``: connectors'
                                      introductions of residents to groups
    ``teardown(model)``               when the regime is replaced (end of burn-in)
Hooks read by the model's phases
    ``connector_skill(model)``        connectors' effectiveness by neighbourhood (0-1), or None
    ``founding_multiplier(model)``    a factor on spontaneous foundings by neighbourhood, or None
    ``brokered_collaborations(model)`` collaborations brokered a week by neighbourhood, or None
    ``volunteer_brokerage(model)``    volunteers placed a year by brokerage (0 = none)
    ``on_discharge(model, who, codes)`` clients ``who`` (with their service codes) are discharged
    ``intake_order(model, pid, free)`` the order in which outside provider ``pid`` takes clients
    ``contracts()``                   the service contracts it holds (a provider may hold several)

Adding a regime is one module here plus one YAML file in ``configs/regime/``; the lists of regime
names (``model.params.REGIME_NAMES``) and of random streams (``model.streams.STREAM_NAMES``) are
derived from this registry. An instrument defined elsewhere registers itself when its module is
imported (``@instrument`` is all it takes).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from model.params import RegimeParams

if TYPE_CHECKING:
    from model.model import CommunityModel

INSTRUMENTS: dict[str, type[Instrument]] = {}


def instrument(name: str, *, label: str, description: str, order: int, streams: tuple[str, ...] = ()):
    """Register an instrument under ``name`` with the words every table, figure and the workshop
    use for it (``label``: a short plain name; ``description``: one plain sentence), its place in
    the fixed display and colour order (``order``) and the named random streams it draws from
    (``streams``; see model/streams.py)."""

    def register(cls: type[Instrument]) -> type[Instrument]:
        cls.name, cls.label, cls.description, cls.order = name, label, description, order
        cls.streams = tuple(streams)
        INSTRUMENTS[name] = cls
        return cls

    return register


class SharedDraws:
    """One uniform per resident discharged in a call of ``Regime.on_discharge``, the same for every
    instrument told of it (a holder's clients are not labelled by contract, so the draw picks the
    one contract whose slice it falls in). Drawn from the ``outcomes`` stream by the first
    instrument that asks; none is drawn if none asks."""

    __slots__ = ("_model", "_n", "_u")

    def __init__(self, model: CommunityModel, n: int) -> None:
        self._model, self._n, self._u = model, n, None

    def __call__(self) -> np.ndarray:
        if self._u is None:
            self._u = self._model.streams["outcomes"].random(self._n)
        return self._u


class Instrument:
    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    order: ClassVar[int] = 0
    streams: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: RegimeParams, weight: float) -> None:
        self.params = params
        self.weight = weight
        self.key = self.name  # the ledger's name for it (a tender's lots: name:1, name:2, ...)
        self.lot = 0  # which lot of its instrument this is (0: the only one)

    @classmethod
    def lots(cls, params: RegimeParams, value: float) -> int:
        """Into how many separately let parts the instrument's yearly ``value`` (GBP) is split."""
        return 1

    # -- lifecycle -------------------------------------------------------------------------------
    def setup(self, model: CommunityModel) -> None:  # noqa: B027 (optional hook)
        pass

    def yearly(self, model: CommunityModel, budget: float) -> None:  # noqa: B027
        pass

    def weekly(self, model: CommunityModel) -> None:  # noqa: B027
        pass

    def connect(self, model: CommunityModel) -> None:  # noqa: B027
        pass

    def teardown(self, model: CommunityModel) -> None:  # noqa: B027
        pass

    # -- hooks the model's phases read -----------------------------------------------------------
    def connector_skill(self, model: CommunityModel) -> np.ndarray | None:
        return None

    def founding_multiplier(self, model: CommunityModel) -> np.ndarray | None:
        return None

    def brokered_collaborations(self, model: CommunityModel) -> np.ndarray | None:
        return None

    def volunteer_brokerage(self, model: CommunityModel) -> float:
        return 0.0

    def on_discharge(self, model: CommunityModel, who: np.ndarray, codes: np.ndarray,  # noqa: B027
                     shared: SharedDraws | None = None) -> None:
        pass

    def intake_order(self, model: CommunityModel, pid: int, free: np.ndarray) -> np.ndarray:
        return free

    def contracts(self) -> list:
        """The service contracts this instrument holds now (model/regimes/tender.py: Contract)."""
        return []


# Named configurations of the instruments (a config file in configs/regime/ that is not a single
# instrument with its defaults): the words and display order for each.
NAMED_REGIMES: dict[str, tuple[str, str, int]] = {
    "investor_outcomes": ("Investor in outcomes",
                          "The council funds a portfolio of local groups, then pays them for the lonely people they help recover.", 4),
    "status_quo": ("Status quo", "Some grants plus one tendered contract (the usual mix).", 8),
    "mixture": ("Mixture", "A weighted mix of instruments given on the command line.", 9),
}


def _info(name: str) -> tuple[str, str, int] | None:
    if name in INSTRUMENTS:
        c = INSTRUMENTS[name]
        return c.label, c.description, c.order
    return NAMED_REGIMES.get(name)


def regime_label(name: str) -> str:
    """The short plain name of a regime (an instrument or a named configuration) for figures and
    tables; an unknown name is returned as it is."""
    info = _info(str(name))
    return info[0] if info else str(name)


def regime_description(name: str) -> str:
    """One plain sentence on what the council does under the regime ('' when unknown)."""
    info = _info(str(name))
    return info[1] if info else ""


def regime_order(names) -> list[str]:
    """The names in the fixed display and colour order (known regimes first, the rest alphabetically),
    each once."""
    present = list(dict.fromkeys(str(r) for r in names))
    known = sorted((r for r in present if _info(r)), key=lambda r: _info(r)[2])
    return known + sorted(r for r in present if not _info(r))


def all_regimes() -> list[str]:
    """Every regime a user can choose, in display order."""
    return regime_order([*INSTRUMENTS, *NAMED_REGIMES])


def instrument_names() -> tuple[str, ...]:
    """Every registered instrument, in display order (``model.params.REGIME_NAMES``)."""
    return tuple(sorted(INSTRUMENTS, key=lambda n: (INSTRUMENTS[n].order, n)))


def instrument_streams() -> tuple[str, ...]:
    """The random streams the registered instruments draw from, each once."""
    return tuple(dict.fromkeys(s for n in instrument_names() for s in INSTRUMENTS[n].streams))


class Regime:
    """The council's regime: instruments with budget shares. The model calls the regime, which
    calls each instrument in turn (the hooks' results are combined: skills and brokered
    collaborations add up, founding factors multiply)."""

    def __init__(self, params: RegimeParams, budget: float = 0.0) -> None:
        """``budget``: the council's yearly budget at the start (GBP), which sets how many lots a
        tendered instrument is let in (``regime.tender.lot_value``)."""
        self.params = params
        self.instruments: list[Instrument] = []
        for n, w in params.instrument_weights().items():
            cls = INSTRUMENTS[n]
            k = max(1, int(cls.lots(params, budget * w)))
            for j in range(k):
                ins = cls(params, w / k)
                if k > 1:
                    ins.lot, ins.key = j + 1, f"{n}:{j + 1}"
                self.instruments.append(ins)

    @property
    def name(self) -> str:
        return self.params.name

    def setup(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            ins.setup(model)

    def yearly(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            share = model.council.budget * ins.weight
            model.budget_share(ins.key, share)
            model.payer = ins.key  # its payments are tagged with its name (and lot) in the ledger
            ins.yearly(model, share)
        model.payer = None

    def weekly(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            model.payer = ins.key
            ins.weekly(model)
        for ins in self.instruments:
            model.payer = ins.key
            ins.connect(model)
        model.payer = None

    def teardown(self, model: CommunityModel) -> None:
        for ins in self.instruments:
            ins.teardown(model)

    def _added(self, values, nb: int) -> np.ndarray:
        total = None
        for v in values:
            if v is not None:
                total = v if total is None else total + v
        return np.zeros(nb) if total is None else total

    def connector_skill(self, model: CommunityModel) -> np.ndarray:
        """Connectors' effectiveness by neighbourhood (0 where there are none)."""
        return self._added((ins.connector_skill(model) for ins in self.instruments),
                           model.params.place.n_neighbourhoods)

    def brokered_collaborations(self, model: CommunityModel) -> np.ndarray:
        """Collaborations between groups brokered a week, by neighbourhood (0 where none)."""
        return self._added((ins.brokered_collaborations(model) for ins in self.instruments),
                           model.params.place.n_neighbourhoods)

    def founding_multiplier(self, model: CommunityModel) -> np.ndarray:
        """A factor on the rate of spontaneous foundings, by neighbourhood (1 where none)."""
        total = np.ones(model.params.place.n_neighbourhoods)
        for ins in self.instruments:
            f = ins.founding_multiplier(model)
            if f is not None:
                total = total * f
        return total

    def volunteer_brokerage(self, model: CommunityModel) -> float:
        return sum(ins.volunteer_brokerage(model) for ins in self.instruments)

    def on_discharge(self, model: CommunityModel, who: np.ndarray, codes: np.ndarray) -> None:
        shared = SharedDraws(model, who.size)  # one draw per discharge, whichever instrument asks
        for ins in self.instruments:
            model.payer = ins.key
            ins.on_discharge(model, who, codes, shared)
        model.payer = None

    def contracts(self) -> list:
        return [c for ins in self.instruments for c in ins.contracts()]

    def intake_order(self, model: CommunityModel, pid: int, free: np.ndarray) -> np.ndarray:
        for ins in self.instruments:
            free = ins.intake_order(model, pid, free)
        return free


# Every module of this package (but those starting with "_") is an instrument: import them all so
# that they register, in a fixed (alphabetical) order.
for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
    importlib.import_module(f"{__name__}.{_mod}")
