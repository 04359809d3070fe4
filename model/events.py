"""Events as records: what happened, where, to whom and why, for the workshop's feed and for
anyone reading a run. The model never writes sentences; workshop/events.py renders the records in
plain words.

Kinds (``kind``), with their ``actor``, ``cause`` and ``fields``:

``group_founded``     actor: the group's kind; cause: "" (residents started it) or "council_funded";
                      fields: gid
``group_closed``      actor: the group's kind; cause: "money", "volunteers" or "members"; fields: gid
``contract_awarded``  actor: "outside_provider" or the lead group's kind; fields: instrument,
                      places, years, provider (its number) or gid and partners (a consortium's other
                      members), retender (a contract of this instrument ran before),
                      same_provider (a re-tender won by the previous holder; None on a first award)
``contract_ended``    actor: "outside_provider", or a local holder's kind; cause: "" at the
                      contract's end, "working_capital" when a holder paid by outcomes ran out of
                      working capital and handed it (a local holder: its places) back; fields:
                      instrument, provider or gid, left (the provider held no other contract
                      here, so it left with its clients; False for a local holder)
``award_won``         actor: the group's kind; an outside funder's award (docs/ODD.md 7.4); cause:
                      "continued" when it renews the group's award, else ""; fields: gid,
                      per_year (GBP), years
``award_ended``       actor: the group's kind; its award ended unrenewed: the committed costs run
                      on for the notice; fields: gid, per_year (GBP), notice_weeks

``nbhd`` is the neighbourhood (counted from 0) or None for the whole place. A record's ``str`` is
its JSON form (``Event.from_json`` reads it back), so it survives any code that keeps events as
text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

KINDS = ("group_founded", "group_closed", "contract_awarded", "contract_ended", "award_won", "award_ended")


@dataclass(frozen=True, slots=True)
class Event:
    week: int
    kind: str
    nbhd: int | None = None
    actor: str = ""
    cause: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind '{self.kind}'; known: {', '.join(KINDS)}")

    def to_dict(self) -> dict[str, Any]:
        return {"week": self.week, "kind": self.kind, "nbhd": self.nbhd, "actor": self.actor,
                "cause": self.cause, "fields": dict(self.fields)}

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        return cls(int(d["week"]), str(d["kind"]), d.get("nbhd"), str(d.get("actor", "")),
                   str(d.get("cause", "")), dict(d.get("fields") or {}))

    @classmethod
    def from_json(cls, text: str) -> Event:
        return cls.from_dict(json.loads(text))
