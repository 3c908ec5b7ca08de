"""Every reply the shipped content can give, one handler branch at a time (for tests and bench)."""

from __future__ import annotations

from bot.content import Content, GazetteerEntry
from bot.messages import Reply
from bot.turn import Outcome, Turn
from bot.understanding import Near, Understood
from handlers import emergency, find_mediator, find_place, housing_internet, menu, out_of_scope
from handlers.nearby import place_cards
from tests.harness import WEDNESDAY_MORNING

SERVICES = (None, "internet", "print", "scan", "wifi", "workshop")


def turn(
    content: Content,
    intent: str,
    near: GazetteerEntry | None = None,
    step: str | None = None,
    slots: dict | None = None,
    **values: object,
) -> Turn:
    """A turn as the engine would build it, without the understanding in the way."""
    understood = Understood(
        intent=intent,
        topic=values.pop("topic", None),
        near=Near(near.name, near) if near else None,
        service=values.pop("service", None),
        open_now=values.pop("open_now", False),
        confidence=1.0,
        **values,
    )
    return Turn("test", understood, content, "fr", WEDNESDAY_MORNING, step, slots or {})


async def every_answer(content: Content) -> list[Reply]:
    """The replies of every handler branch over every place, topic, sector and neighbourhood."""
    outcomes: list[Outcome] = []
    quartiers = [e for e in content.gazetteer if e.kind == "quartier"]
    for entry in quartiers:
        for service in SERVICES:
            for open_now in (False, True):
                t = turn(content, "find_place", entry, service=service, open_now=open_now)
                outcomes.append(await find_place.handle(t))
        for topic in content.topics:
            outcomes.append(
                await find_mediator.handle(turn(content, "find_mediator", entry, topic=topic))
            )
    for topic in content.topics:
        outcomes.append(await find_mediator.handle(turn(content, "find_mediator", topic=topic)))
    for sector in content.housing.sectors:
        for place_id in sector.places:
            entry = next(e for e in content.gazetteer if e.id == place_id)
            outcomes.append(
                await housing_internet.handle(
                    turn(content, "housing_internet", entry, answer="yes")
                )
            )
    for entry in content.gazetteer:
        if entry.kind in ("quartier", "commune"):
            outcomes.append(
                await housing_internet.handle(
                    turn(content, "housing_internet", entry, answer="yes")
                )
            )
    outcomes.append(await housing_internet.handle(turn(content, "housing_internet")))
    outcomes.append(
        await housing_internet.handle(turn(content, "housing_internet", step="tenant", answer="no"))
    )
    for module in (menu, out_of_scope, emergency):
        outcomes.append(await module.handle(turn(content, "greeting")))
    replies = [reply for outcome in outcomes for reply in outcome.replies]
    every_place = [(450.0, place) for place in content.places]
    replies += place_cards(turn(content, "find_place"), every_place, more=True)
    return replies
