"""The project's colours, without matplotlib: the regimes' fixed colour-blind-safe palette and line
styles (``experiments.style`` draws the report's and compare's figures with them) and the colours
the workshop's SVG charts use, so a room, a report and a paper show the same palette.

Okabe & Ito (2008) without its pale yellow (which vanishes on white and on a projector), then Paul
Tol's wine, olive and a mid grey for the ninth and tenth regime.
"""

from __future__ import annotations

COLOURS = (
    "#000000",  # black (the first regime, usually "No funding": the counterfactual)
    "#E69F00",  # orange
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#882255",  # wine (Tol)
    "#009E73",  # bluish green
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#999933",  # olive (Tol)
    "#888888",  # grey
)
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h", "<", ">")

# The workshop: its two runs side by side (A solid, B dashed: a second cue besides colour), and the
# council's money by where it went.
RUN_COLOURS = (COLOURS[2], COLOURS[3])  # blue, vermillion
SPEND_COLOURS = {"local_groups": COLOURS[5], "outside_providers": COLOURS[9], "in_house": COLOURS[7]}
