"""No funding: the community on its own (the counterfactual)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from model.regimes import Instrument, instrument

if TYPE_CHECKING:
    pass


@instrument("none", label="No funding", order=0,
            description="The council funds nothing: the community on its own.")
class NoFunding(Instrument):
    """No funding: the community on its own (the counterfactual)."""

