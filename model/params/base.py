"""Units and shared names of the parameters: weeks, age bands, group kinds, the one-line error,
and the conversion of yearly rates to weekly ones (done in exactly one place)."""

from __future__ import annotations

import math

WEEKS_PER_YEAR = 52
LONELY_HISTORY_WEEKS = 10 * 52  # weeks of each neighbourhood's lonely share the model keeps for
# the council's delayed reading (``council.observation_delay_weeks`` is at most this): a decade late
# is later than any council reads its data; kept whatever the delay, so a cached burn-in serves any
# study's delay

AGE_BANDS = ("16-24", "25-34", "35-49", "50-64", "65-74", "75+")
# Width of each band in years (the last is open): a resident leaves band k for the next at
# 1 / AGE_BAND_YEARS[k] a year, as if ages were spread evenly within the band (definitional).
AGE_BAND_YEARS = tuple(int(b.split("-")[1]) - int(b.split("-")[0]) + 1 for b in AGE_BANDS[:-1])
GROUP_KINDS = ("club", "befriending", "faith", "goodgym", "volunteer_centre", "community_hub")


# Characters that end a line for str.splitlines (and terminals): escaped in messages, so a value
# quoted in a message can never break it over several lines.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


class ConfigError(ValueError):
    """A configuration problem, reported to users as one line."""

    def __init__(self, msg: object = "") -> None:
        super().__init__(str(msg).translate(_LINE_BREAKS))


def weekly_prob(p_per_year: float) -> float:
    """Convert a yearly event probability into the weekly probability with the same yearly total."""
    if p_per_year <= 0.0:
        return 0.0
    if p_per_year >= 1.0:
        return 1.0
    return 1.0 - (1.0 - p_per_year) ** (1.0 / WEEKS_PER_YEAR)


def weekly_hazard(events_per_year: float) -> float:
    """Weekly probability of at least one event for a Poisson process with the given yearly rate."""
    return 1.0 - math.exp(-max(0.0, events_per_year) / WEEKS_PER_YEAR)


def weekly_rate(rate_per_year: float) -> float:
    """Convert a yearly amount (money, counts) into a weekly amount."""
    return rate_per_year / WEEKS_PER_YEAR


