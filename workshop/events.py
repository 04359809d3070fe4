"""The event feed: the model's events in plain words for a room of non-modellers.

The model records events as records (model/events.py: week, kind, neighbourhood, actor, cause and a
few fields). This module dates them the way the room counts time ("Year 2, week 14"), says each in
a plain sentence, and marks it as good news, bad news or neither so the feed can colour it. It
reads the records' fields; it never parses text. An event may arrive as the record itself, as its
dictionary, or as its JSON text (the workshop keeps events as text); any other text is shown as it
is, tidied. Pure functions; unit-tested.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
    "community_hub": "community hub",
    "need_based": "need-based",
    "link_worker": "link worker",
    "outside_provider": "outside provider",
    "outside_providers": "outside providers",
    "local_groups": "local groups",
    "nbhd": "neighbourhood",
}

# The contract each tendering instrument lets (words for "the council awarded the ...").
CONTRACTS: dict[str, str] = {
    "competitive_tender": "befriending contract",
    "social_value": "social-value contract",
    "outcomes_based": "payment-by-outcomes contract",
}

# Why a group closed (model: CLOSURE_CAUSES) and why it was founded.
CLOSED_BECAUSE: dict[str, str] = {
    "money": "its money ran out",
    "volunteers": "its last volunteers left",
    "members": "nobody came any more",
}
FOUNDED_BECAUSE: dict[str, str] = {
    "council_funded": "the council funded it",
}

# The tone of each kind of event.
TONE: dict[str, str] = {
    "group_founded": "good",
    "group_closed": "bad",
    "contract_awarded": "neutral",
    "contract_ended": "bad",
    "award_won": "good",
    "award_ended": "bad",
}

_BAD = {"closed", "closes", "closure", "lost", "loses", "left", "cut", "cuts", "ended", "ends", "withdrew",
        "withdraws", "collapsed"}
_BAD_PHRASES = ("burned out", "burnt out", "burn out", "ran out", "out of money")
_GOOD = {"opened", "opens", "founded", "started", "starts", "new", "joined", "grew", "began", "formed",
         "recovered"}


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


def _word(name: str) -> str:
    """An internal name in everyday words (snake_case becomes spaced words)."""
    return PLAIN.get(name, str(name).replace("_", " "))


def _sentence(text: str) -> str:
    out = " ".join(text.split())
    if not out:
        return out
    out = out[0].upper() + out[1:]
    if out[-1] not in ".!?":
        out += "."
    return out


def _tokens(text: str) -> list[str]:
    """The words of a text, lower case, without punctuation."""
    return ["".join(ch for ch in w if ch.isalnum() or ch in "_-").lower() for w in str(text).split()]


def _drop_date(words: list[str]) -> list[str]:
    """Without a leading "Year N:" or "Year N, week M:"."""
    if len(words) < 2 or words[0].lower() != "year" or not words[1].rstrip(":,-").lstrip("-").isdigit():
        return words
    rest = words[2:]
    if words[1].endswith(",") and len(rest) >= 2 and rest[0].lower() == "week" and rest[1].rstrip(":,-").isdigit():
        rest = rest[2:]
    if rest and rest[0] in (":", ",", "-"):
        rest = rest[1:]
    return rest


def plain_words(text: str) -> str:
    """Free text (not a record) in plain words: internal names replaced by everyday words, and a
    leading "Year N:" dropped (the feed dates events)."""
    out = []
    for w in _drop_date(str(text).split()):
        core = w.rstrip(".,;:!?")
        out.append((_word(core) if "_" in core or core in PLAIN else core) + w[len(core):])
    return _sentence(" ".join(out))


def tone(text: str) -> str:
    """The tone of free text: bad news (a closure, a loss, a cut) wins over good news."""
    tokens = _tokens(text)
    lowered = " ".join(tokens)
    if any(t in _BAD for t in tokens) or any(p in lowered for p in _BAD_PHRASES):
        return "bad"
    if any(t in _GOOD for t in tokens):
        return "good"
    return "neutral"


def _record(event: Any) -> Mapping[str, Any] | None:
    """The event as a record's dictionary, or None for free text."""
    if hasattr(event, "to_dict"):
        return event.to_dict()
    if isinstance(event, Mapping):
        return event
    text = str(event).strip()
    if text.startswith("{"):
        try:
            d = json.loads(text)
        except ValueError:
            return None
        return d if isinstance(d, Mapping) and "kind" in d else None
    return None


def _group(actor: str, nbhd: Any) -> str:
    where = f" in neighbourhood {int(nbhd) + 1}" if nbhd is not None else ""
    return f"{_word(actor)} group{where}"


def _contract(instrument: str) -> str:
    """The words for an instrument's contract: from CONTRACTS, else from the regime's own label
    (model/regimes/: a new tendering regime needs no entry here)."""
    if instrument in CONTRACTS:
        return CONTRACTS[instrument]
    if not instrument:
        return "contract"
    from model.regimes import regime_label  # (here, not at import: the feed module stays light)

    return f"{regime_label(instrument).lower()} contract"


def describe(event: Mapping[str, Any]) -> tuple[str, str]:
    """A record in a plain sentence, and its tone."""
    kind, actor, cause = event.get("kind", ""), str(event.get("actor", "")), str(event.get("cause", ""))
    nbhd, f = event.get("nbhd"), dict(event.get("fields") or {})
    if kind == "group_founded":
        text = f"a new {_group(actor, nbhd)} started"
        if cause:
            text += f": {FOUNDED_BECAUSE.get(cause, _word(cause))}"
    elif kind == "group_closed":
        text = f"a {_group(actor, nbhd)} closed: {CLOSED_BECAUSE.get(cause, _word(cause))}"
    elif kind == "contract_awarded":
        contract = _contract(f.get("instrument", ""))
        if actor == "outside_provider":
            winner = "an outside provider"
        else:
            partners = int(f.get("partners", 0))
            winner = f"a {_group(actor, nbhd)}" + (f" with {partners} partner{'s' if partners != 1 else ''}"
                                                    if partners else "")
        years = int(f.get("years", 1))
        terms = f"({int(f.get('places', 0))} places, {years} year{'s' if years != 1 else ''})"
        if f.get("same_provider") is True:
            text = f"the council re-tendered the {contract}: {winner} won it again, the same as before {terms}"
        elif f.get("same_provider") is False:
            text = f"the council re-tendered the {contract}: a different winner, {winner} {terms}"
        else:
            text = f"the council awarded the {contract} to {winner} {terms}"
    elif kind == "contract_ended":
        contract = _contract(f.get("instrument", ""))
        if actor != "outside_provider":
            text = (f"a {_group(actor, nbhd)} handed back its places on the {contract}: it could not carry "
                    f"the costs until it was paid")
        else:
            text = f"an outside provider's {contract} ended"
            if cause == "working_capital":
                text = (f"an outside provider handed back the {contract}, out of money before its outcomes were "
                        f"paid")
            if f.get("left", True):
                text += ": it left, taking its staff with it"
    elif kind == "award_won":
        years = int(f.get("years", 1))
        what = "had its outside award renewed" if cause == "continued" else "won an award from an outside funder"
        text = (f"a {_group(actor, nbhd)} {what} (£{float(f.get('per_year', 0)) / 1000:.0f}k a year for {years} "
                f"year{'s' if years != 1 else ''}): it takes on paid staff")
    elif kind == "award_ended":
        text = (f"a {_group(actor, nbhd)} lost its outside award (£{float(f.get('per_year', 0)) / 1000:.0f}k a "
                f"year): it must pay its staff's {int(f.get('notice_weeks', 0))} weeks' notice from its reserves")
    else:
        text = f"{_word(kind)}: {_word(actor)}".strip(": ")
    return _sentence(text), TONE.get(kind, "neutral")


def _won_again(items: Sequence[tuple[int, Any]]) -> set[tuple[int, str]]:
    """(week, instrument) of every re-tender won by the contract's previous holder."""
    out = set()
    for week, event in items:
        r = _record(event)
        if r is not None and r.get("kind") == "contract_awarded":
            f = dict(r.get("fields") or {})
            if f.get("same_provider") is True:
                out.add((int(week), str(f.get("instrument", ""))))
    return out


def _folded(items: Sequence[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """The events without the end of a contract that the same provider won again that week: the
    room sees one line ("won it again"), not "it left" followed by "it won"."""
    again = _won_again(items)
    if not again:
        return list(items)
    keep = []
    for week, event in items:
        r = _record(event)
        if (r is not None and r.get("kind") == "contract_ended"
                and (int(week), str(dict(r.get("fields") or {}).get("instrument", ""))) in again):
            continue
        keep.append((week, event))
    return keep


def feed(events: Iterable[tuple[int, Any]], limit: int = 12) -> list[FeedItem]:
    """The most recent ``limit`` events, newest first, in plain words (a contract ended and won
    again by the same provider in the same week is told once, as the re-tender)."""
    items: Sequence[tuple[int, Any]] = _folded(list(events))
    recent = items[-limit:] if limit > 0 else []
    out = []
    for week, event in reversed(recent):
        record = _record(event)
        if record is not None:
            text, mood = describe(record)
        else:
            text = plain_words(str(event))
            mood = tone(text)
        out.append(FeedItem(week=int(week), when=when(int(week)), text=text, tone=mood))
    return out


def week_label(week: int) -> str:
    """The counter the app shows: "Week 10 (year 1)"."""
    if week <= 0:
        return "Week 0 (start)"
    return f"Week {int(week)} (year {(int(week) - 1) // WEEKS_PER_YEAR + 1})"
