"""The event feed: the model's events in plain words for a room of non-modellers.

The model records events as ``(week, text)``. This module dates them the way the room counts time
("Year 2, week 14"), replaces any internal names that slip into the text (``competitive_tender``,
``volunteer_centre``) by everyday words, and marks each as good news, bad news or neither so the feed
can colour it. Pure functions; unit-tested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WEEKS_PER_YEAR = 52

# Internal names -> the words a facilitator would use.
PLAIN: dict[str, str] = {
    "competitive_tender": "tendered contract",
    "outcomes_based": "payment-by-outcomes scheme",
    "community_development": "community development",
    "social_value": "social-value contract",
    "status_quo": "usual mix of grants and a contract",
    "volunteer_centre": "volunteer centre",
    "goodgym": "GoodGym-style",
    "need_based": "need-based",
    "link_worker": "link worker",
    "outside_provider": "outside provider",
    "outside_providers": "outside providers",
    "local_groups": "local groups",
    "nbhd": "neighbourhood",
}

_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, PLAIN), key=len, reverse=True)) + r")\b")
_YEAR_PREFIX = re.compile(r"^\s*year\s+-?\d+\s*(?:,\s*week\s+\d+\s*)?[:,-]\s*", re.IGNORECASE)
_SNAKE = re.compile(r"\b([a-z]+)_([a-z_]+)\b")

_BAD = re.compile(r"\b(closed|closes|closure|lost|loses|left|cuts?|ended|ends|withdrew|withdraws|collapsed|"
                  r"burn(?:ed|t)? out|ran out|out of money)\b", re.IGNORECASE)
_GOOD = re.compile(r"\b(opened|opens|founded|started|starts|new|joined|grew|began|formed|"
                   r"recovered)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FeedItem:
    week: int
    when: str  # "Year 2, week 14"
    text: str  # plain words, starting with a capital letter, ending with a full stop
    tone: str  # "bad", "good" or "neutral"


def when(week: int) -> str:
    """Date a week counted from the start of the regime (week 0 is the first week).

    Weeks before the start (the settling-in years) read as "Before the start".
    """
    if week < 0:
        return "Before the start"
    year, wk = divmod(int(week), WEEKS_PER_YEAR)
    return f"Year {year + 1}, week {wk + 1}"


def plain_words(text: str) -> str:
    """Replace internal names with everyday words; drop a leading "Year N:" (the feed dates events)."""
    out = _YEAR_PREFIX.sub("", str(text).strip())
    out = _WORD.sub(lambda m: PLAIN[m.group(1)], out)
    out = _SNAKE.sub(lambda m: f"{m.group(1)} {m.group(2).replace('_', ' ')}", out)
    out = re.sub(r"\s+", " ", out).strip()
    if not out:
        return out
    out = out[0].upper() + out[1:]
    if out[-1] not in ".!?":
        out += "."
    return out


def tone(text: str) -> str:
    """Bad news (a closure, a loss, a cut) wins over good news in the same sentence."""
    if _BAD.search(text):
        return "bad"
    if _GOOD.search(text):
        return "good"
    return "neutral"


def feed(events: Iterable[tuple[int, str]], limit: int = 12) -> list[FeedItem]:
    """The most recent ``limit`` events, newest first, in plain words."""
    items: Sequence[tuple[int, str]] = list(events)
    recent = items[-limit:] if limit > 0 else []
    out = []
    for week, text in reversed(recent):
        words = plain_words(text)
        out.append(FeedItem(week=int(week), when=when(int(week)), text=words, tone=tone(words)))
    return out


def week_label(week: int) -> str:
    """The counter the app shows: "Week 10 (year 1)"."""
    if week <= 0:
        return "Week 0 (start)"
    return f"Week {int(week)} (year {(int(week) - 1) // WEEKS_PER_YEAR + 1})"
