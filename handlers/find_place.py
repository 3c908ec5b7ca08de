"""The nearest places offering a service (computer, printing, scanning, wifi, workshops).

Steps: (start) -> "where" while the location is missing -> "more" after an answer,
where "plus" / "suivant" pages on and a new place or service searches again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.content.places import Place
from bot.messages import Reply
from bot.nearest import Grid
from bot.turn import Outcome, Turn
from handlers.nearby import (
    PAGE,
    ask_again,
    asks_more,
    facet_of,
    facet_slots,
    has_places_near,
    page_outcome,
    place_grid,
    where_from,
)
from handlers.nearby import follows_up as follows_up  # the engine's follow-up hook

NAME = "find_place"


async def handle(turn: Turn) -> Outcome:
    """Answer with the nearest places, or ask where the resident is."""
    slots = dict(turn.slots)
    if turn.step == "more" and asks_more(turn):
        return answer(turn, {**slots, "offset": slots.get("offset", 0) + PAGE})
    facet = facet_of(turn)
    if facet is not None and "lat" in slots and turn.understood.near is None:
        return answer(turn, facet_slots(slots, facet), facet)
    if turn.step is None or turn.understood.intent == "find_place":
        slots = {**slots, **request_of(turn, slots)}
    point = where_from(turn, remembered=turn.step != "more")
    if point is not None:
        return answer(turn, {**slots, **point.slots()})
    if turn.step == "more" and "lat" in slots:
        return answer(turn, {**slots, "offset": 0})
    return ask_again(turn, slots)


def request_of(turn: Turn, slots: Mapping[str, Any]) -> dict[str, Any]:
    """What this message asks for; an answer to "where?" keeps what the question was."""
    understood = turn.understood
    return {
        "service": understood.service or slots.get("service"),
        "open_now": understood.open_now or (turn.step == "where" and bool(slots.get("open_now"))),
    }


def service_grid(turn: Turn, service: str | None) -> Grid[Place]:
    """The places offering `service`; with none named, where the public can use a computer."""
    places = turn.content.places
    if service is None:
        return place_grid(places, "computer", lambda p: p.papi or "internet" in p.services_bot)
    return place_grid(places, f"service:{service}", lambda p: service in p.services_bot)


def access_grid(turn: Turn) -> Grid[Place]:
    """Any place of digital access: the answer when nothing offers what was asked nearby."""
    return place_grid(turn.content.places, "access", lambda p: p.papi or bool(p.services_bot))


def answer(turn: Turn, slots: Mapping[str, Any], facet: str | None = None) -> Outcome:
    """The page of places `slots` points at (telling what `facet` asks of them); when none
    offers the service within reach, say so and give the nearest places of digital access."""
    service = slots.get("service")
    grid = service_grid(turn, service)
    if has_places_near(grid, slots):
        return page_outcome(turn, grid, slots, facet)
    outcome = page_outcome(turn, access_grid(turn), slots, facet)
    if service is None or slots.get("offset") or facet:
        return outcome
    what = turn.say(f"service.{service}")
    intro = Reply(
        turn.say("place.service_none", service=what, near=slots["near"]), key="place.service_none"
    )
    return replace(outcome, replies=(intro, *outcome.replies))
