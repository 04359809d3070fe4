"""Scenario cards: presets a facilitator picks to start a discussion.

Each card has a short title, a two-line story, a question for the room, and the control values it
sets. A card sets every control: those it names, the rest from the starting point, never from the
previous card; the seed stays as it is, so the room can compare cards on the same seed. The cards state policies, not results: what happens is up
to the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workshop.controls import Controls


@dataclass(frozen=True, slots=True)
class Card:
    key: str
    title: str
    story: tuple[str, str]  # two lines
    question: str
    sets: dict[str, Any] = field(default_factory=dict)  # Controls field -> value

    def apply(self, controls: Controls, base: Controls | None = None) -> Controls:
        """The card's controls: every control from ``base`` (the starting point; default the app's
        defaults) with the card's settings on top, keeping only the seed of ``controls``. Nothing is
        inherited from a previous card."""
        return (base or Controls()).replace(seed=controls.seed, **self.sets)


CARDS: tuple[Card, ...] = (
    Card(
        key="big_contract",
        title="The big contract",
        story=("The council puts all its loneliness money into one three-year befriending contract,",
               "scored mostly on price and paying about two thirds of the real cost."),
        question="Who is still there in the neighbourhoods when the contract ends?",
        sets={"regime": "competitive_tender", "funding": "stable", "contract_years": 3,
              "payment_ratio": 0.65, "investor": False},
    ),
    Card(
        key="tea_and_biscuits",
        title="Seven years of tea and biscuits",
        story=("The council pays for community connectors, rooms, admin time and a small activities fund,",
               "and promises to stay for the long haul. Little shows in the first year or two."),
        question="How long would your council keep paying before it saw results?",
        sets={"regime": "community_development", "funding": "stable", "max_connectors": 4,
              "investor": False},
    ),
    Card(
        key="austerity",
        title="Austerity",
        story=("The usual mix of small grants and one tendered contract,",
               "while the budget is cut by a twentieth every year."),
        question="Which groups close first, and does loneliness follow them?",
        sets={"regime": "status_quo", "funding": "austerity", "investor": False},
    ),
    Card(
        key="investor",
        title="Investor in outcomes",
        story=("The council funds a portfolio of local groups up front, and a year later pays each group",
               "for the lonely people it was helping who are no longer lonely."),
        question="Who carries the risk when money follows results, and can small groups wait to be paid?",
        sets={"regime": "outcomes_based", "funding": "stable", "investor": True},
    ),
    Card(
        key="gp_partnership",
        title="A partnership with the GP surgeries",
        story=("Link workers in the GP surgeries find lonely patients and refer them to local groups;",
               "a volunteer centre brokers new volunteers to the groups that take them."),
        question="What happens to the referrals if the local groups are full or gone?",
        sets={"regime": "partnership", "funding": "stable", "link_worker_share": 0.7, "investor": False},
    ),
    Card(
        key="on_its_own",
        title="The community on its own",
        story=("No council money at all: the groups live on donations, subs and volunteers.",
               "This is the yardstick every other card is measured against."),
        question="What would disappear first if the council stopped funding tomorrow?",
        sets={"regime": "none", "funding": "stable", "investor": False},
    ),
)

CARD_BY_KEY: dict[str, Card] = {c.key: c for c in CARDS}
