"""Help with an administrative procedure: who helps nearby, what to bring, whether to book.

Steps: (start) -> "where" when places help with the topic and the location is missing
-> "more" after the places, where "plus" / "suivant" pages on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.content.places import STALE_AFTER, Place
from bot.content.topics import TopicHelp
from bot.messages import Reply
from bot.nearest import Grid
from bot.spoken import local
from bot.turn import Handoff, Outcome, Turn
from bot.understanding import Understood
from handlers.nearby import (
    PAGE,
    ask_again,
    asks_more,
    facet_of,
    facet_slots,
    page_outcome,
    place_grid,
    where_from,
)
from handlers.nearby import follows_up as follows_up  # the engine's follow-up hook

NAME = "find_mediator"


def continues(understood: Understood, step: str) -> bool:
    """ "ya qqun pr m'aider à Quatre-Moulins ?" after a topic asks for its helpers there."""
    return understood.intent == "talk_to_human" and understood.near is not None


async def handle(turn: Turn) -> Outcome:
    """The topic's practical answer and the nearest places that help with it."""
    slots = dict(turn.slots)
    if turn.step == "more" and asks_more(turn):
        return page_outcome(turn, topic_grid(turn, slots["topic"]), next_page(slots))
    facet = facet_of(turn)
    if facet is not None and "lat" in slots and turn.understood.near is None:
        return page_outcome(
            turn, topic_grid(turn, slots["topic"]), facet_slots(slots, facet), facet
        )
    topic: str | None = turn.understood.topic or slots.get("topic")
    topic_help = turn.content.topics.get(topic) if topic else None
    grid = topic_grid(turn, topic) if topic and topic_help else None
    if not topic or topic_help is None or grid is None:
        return Outcome(handoff=Handoff("no_answer", topic=topic, summary=turn.text))
    if not (topic_help.helplines or topic_help.desk or grid.size):
        return Outcome(handoff=Handoff("no_answer", topic=topic, summary=turn.text))
    # the advice again when the topic is named again ("c quoi le numero de la cpam ?")
    first = turn.step is None or topic != slots.get("topic") or turn.understood.topic is not None
    slots = {**slots, "topic": topic}
    own = own_places(turn, topic).size  # none: the topic's desk is said, then any helper
    advice: tuple[Reply, ...] = (
        (topic_reply(turn, topic_help, with_desk=own == 0),) if first else ()
    )
    if turn.understood.file_status:  # "vous pouvez regarder mon dossier ?": say we cannot
        advice = (Reply(turn.say("mediator.no_file_access"), key="mediator.no_file_access"),)
        advice += (topic_reply(turn, topic_help, with_desk=own == 0),)
    if grid.size == 0:
        return Outcome(advice)
    point = where_from(turn)
    if point is None:
        asked = ask_again(turn, slots)
        return replace(asked, replies=(*advice, *asked.replies))
    places = page_outcome(turn, grid, {**slots, **point.slots()})
    return replace(places, replies=(*places.replies, *advice))


def next_page(slots: Mapping[str, Any]) -> dict[str, Any]:
    """The slots of the following page of places."""
    return {**slots, "offset": slots.get("offset", 0) + PAGE}


def own_places(turn: Turn, topic: str) -> Grid[Place]:
    """The places that help with `topic` (their side-file themes)."""
    return place_grid(turn.content.places, f"theme:{topic}", lambda p: topic in p.themes)


def topic_grid(turn: Turn, topic: str) -> Grid[Place]:
    """The places that help with `topic`; when none does, the places that help with
    procedures at all (a mediator there can look at any)."""
    grid = own_places(turn, topic)
    return grid if grid.size else place_grid(turn.content.places, "helps", lambda p: bool(p.themes))


def topic_reply(turn: Turn, topic_help: TopicHelp, with_desk: bool) -> Reply:
    """What to bring, whether to book, the national line; the desk when no place helps."""
    documents = ", ".join(topic_help.documents)
    parts = [turn.say("mediator.bring", topic=topic_help.name, documents=documents)]
    parts.append(turn.say(f"mediator.booking_{topic_help.appointment}"))
    if topic_help.helplines:
        line = topic_help.helplines[0]
        parts.append(turn.say("mediator.helpline", name=line.name, number=line.number))
        if line.verified and local(turn.now).date() - line.verified > STALE_AFTER:
            parts.append(turn.say("place.stale", year=str(line.verified.year)))
    if with_desk and topic_help.desk:
        parts.append(turn.say("mediator.desk", desk=topic_help.desk))
    return Reply(" ".join(parts), key="mediator.topic")
