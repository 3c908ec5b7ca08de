"""Internet at 1 EUR a month in social housing: tenant? where? then active, not yet, or a person.

The dialogue is drawn in housing_internet.mmd. Questions the first message already
answers ("jsui en hlm a pontan": a tenant, at Pontanezen) are skipped. A question of the
content's list ("combien ?", "comment je m'abonne ?") is answered at any step, and after
the answer the dialogue stays open for more of them ("answered").
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.content.housing import HousingOffer, Question, Sector
from bot.content.model import GazetteerEntry
from bot.messages import Choice, Reply
from bot.turn import Handoff, Outcome, Turn

if TYPE_CHECKING:
    from bot.content import Content

NAME = "housing_internet"
# Saying one lives in social housing answers "are you a tenant?" before it is asked.
TENANT = re.compile(
    r"\b(hlm|bmh|locataires?|bailleur social|logement social|habitat social"
    r"|brest m[ée]tropole habitat)\b"
)
# A private landlord or an owner: not social housing, whatever "locataire" says.
NOT_TENANT = re.compile(r"\b(propri[ée]taire|proprio|priv[ée]e?|particulier|pas (en )?hlm)\b")
BROAD = frozenset({"quartier", "commune", "code_postal"})  # too wide to name a sector


async def handle(turn: Turn) -> Outcome:
    """Run the step the dialogue is at (the start when none), answering a question first."""
    question = turn.content.housing.question_in(turn.text, answered=turn.step == "answered")
    if turn.step == "answered" and question is not None:
        return Outcome(question_replies(turn, question), step="answered", slots=turn.slots)
    outcome = await STEPS.get(turn.step or "", start)(turn, dict(turn.slots))
    if question is None or outcome.handoff is not None:
        return outcome
    return replace(outcome, replies=(*question_replies(turn, question), *outcome.replies))


def follows_up(text: str, step: str, content: Content) -> bool:
    """After the answer, a question of the content's list is for this dialogue."""
    return step == "answered" and content.housing.question_in(text) is not None


def question_replies(turn: Turn, question: Question | None) -> tuple[Reply, ...]:
    """The content's answer to `question`, its facts filled in."""
    if question is None:
        return ()
    offer: HousingOffer = turn.content.housing
    text = question.answer.format(
        prix=price_text(turn, offer),
        date_prix=offer.price_date.strftime("%d/%m/%Y"),
        contact="; ".join(offer.contacts),
    )
    return (Reply(text, key=f"housing.question.{question.id}"),)


def price_text(turn: Turn, offer: HousingOffer) -> str:
    """1,24 in French, 1.24 in English."""
    price = f"{offer.price_eur:.2f}"
    return price.replace(".", ",") if turn.language == "fr" else price


async def start(turn: Turn, slots: dict[str, Any]) -> Outcome:
    """First message: note what it already says (or the place said earlier), then ask what
    is missing."""
    slots = {**slots, **(place_of(turn) or remembered_place(turn))}
    if NOT_TENANT.search(turn.text.lower()):
        return not_tenant(turn)
    if slots.get("tenant") == "yes" or turn.understood.answer == "yes" or is_tenant(turn):
        return await tenant_known(turn, slots)
    reply = Reply(turn.say("housing.ask_tenant"), key="housing.ask_tenant")
    return Outcome((reply,), step="tenant", slots=slots, expect="yes_no")


async def on_tenant(turn: Turn, slots: dict[str, Any]) -> Outcome:
    """The answer to "are you a social-housing tenant?"."""
    slots = {**slots, **place_of(turn)}
    if turn.understood.answer == "no" or NOT_TENANT.search(turn.text.lower()):
        return not_tenant(turn)
    if turn.understood.answer == "unknown" and not is_tenant(turn):
        reply = Reply(turn.say("housing.tenant_unknown"), key="housing.tenant_unknown")
        return Outcome((reply,), step="tenant", slots=slots, expect="yes_no")
    if turn.understood.answer == "yes" or is_tenant(turn):
        return await tenant_known(turn, slots)
    if slots.get("tenant_asked_again"):
        return Outcome(handoff=handoff(turn, slots))
    reply = Reply(turn.say("housing.ask_tenant"), key="housing.ask_tenant")
    slots = {**slots, "tenant_asked_again": True}
    return Outcome((reply,), step="tenant", slots=slots, expect="yes_no")


async def tenant_known(turn: Turn, slots: dict[str, Any]) -> Outcome:
    """A tenant: answer for their place, or ask where they live."""
    slots = {**slots, "tenant": "yes"}
    if "near_id" in slots:
        return verdict(turn, slots, entry_of(turn, slots["near_id"]))
    if "near_text" in slots:
        return unknown_residence(turn, slots)
    reply = Reply(turn.say("housing.ask_where"), key="housing.ask_where")
    return Outcome((reply,), step="where", slots=slots, expect="where")


async def on_where(turn: Turn, slots: dict[str, Any]) -> Outcome:
    """The answer to "which neighbourhood or residence?"; asked once more when it names none
    ("oui je suis chez Bmh")."""
    near = turn.understood.near
    if NOT_TENANT.search(turn.text.lower()):
        return not_tenant(turn)
    if near is not None and near.entry is not None:
        return verdict(turn, {**slots, **place_of(turn)}, near.entry)
    if near is not None and TENANT.fullmatch(near.text.lower().strip()):
        near = None  # "oui je suis locataire": no place said
    if near is None and not slots.get("where_asked_again"):
        reply = Reply(turn.say("housing.ask_where"), key="housing.ask_where")
        slots = {**slots, "where_asked_again": True}
        return Outcome((reply,), step="where", slots=slots, expect="where")
    return unknown_residence(turn, {**slots, "near_text": near.text if near else turn.text})


def is_tenant(turn: Turn) -> bool:
    """The message says the resident rents social housing ("jsui en hlm", "chez Bmh")."""
    text = turn.text.lower()
    return bool(TENANT.search(text)) and not NOT_TENANT.search(text)


def place_of(turn: Turn) -> dict[str, str]:
    """The place this message names, as slots (its gazetteer id when known)."""
    near = turn.understood.near
    if near is None:
        return {}
    entry = near.entry
    if entry is None:
        return {"near_text": near.text}
    quartier = entry.id if entry.kind == "quartier" else entry.quartier
    return {"near_text": near.text, "near_id": entry.id, "quartier": quartier or ""}


def remembered_place(turn: Turn) -> dict[str, str]:
    """The place the resident gave earlier in the conversation, as slots."""
    known = turn.known_place
    if known is None or known.entry_id is None:
        return {}
    entry = entry_of(turn, known.entry_id)
    quartier = entry.id if entry.kind == "quartier" else entry.quartier
    return {"near_text": known.name, "near_id": entry.id, "quartier": quartier or ""}


def entry_of(turn: Turn, entry_id: str) -> GazetteerEntry:
    """The gazetteer entry saved in the slots."""
    return next(e for e in turn.content.gazetteer if e.id == entry_id)


def verdict(turn: Turn, slots: Mapping[str, Any], entry: GazetteerEntry) -> Outcome:
    """Active here, not yet here, or which of the neighbourhood's sectors."""
    offer: HousingOffer = turn.content.housing
    here = [s for s in offer.sectors if entry.id in s.places]
    if here:
        return Outcome(active(turn, offer, here[0]), step="answered", slots=slots)
    whole_city = entry.kind in ("commune", "code_postal")
    inside = offer.sectors if whole_city else offer.sectors_for(entry.id)
    if entry.kind in BROAD and inside and not slots.get("asked_sector"):
        names = ", ".join(s.name for s in inside)
        text = turn.say("housing.which_sector", near=entry.name, sectors=names)
        slots = {**slots, "asked_sector": True}
        reply = Reply(text, key="housing.which_sector")
        return Outcome((reply,), step="where", slots=slots, expect="where")
    if inside:
        return unknown_residence(turn, slots)
    return Outcome(not_active(turn, offer, entry.name), step="answered", slots=slots)


def active(turn: Turn, offer: HousingOffer, sector: Sector) -> tuple[Reply, ...]:
    """It is active here: price and source date, how to subscribe, whom to ask, the help."""
    facts = turn.say(
        "housing.active",
        sector=sector.name,
        year=sector.vote_year,
        price=price_text(turn, offer),
        date=offer.price_date.strftime("%d/%m/%Y"),
    )
    how = turn.say("housing.subscribe", how=offer.how_to_subscribe, contact=offer.contacts[0])
    help_text = turn.say("housing.help", help="; ".join(offer.accompaniment[:2]))
    return (
        Reply(facts, key="housing.active"),
        Reply(how, key="housing.subscribe"),
        Reply(help_text, key="housing.help"),
    )


def not_active(turn: Turn, offer: HousingOffer, place: str) -> tuple[Reply, ...]:
    """Not voted here (in the list as sourced): how the vote works and whom to ask."""
    when = offer.verified.strftime("%d/%m/%Y")
    text = turn.say("housing.not_active", near=place, date=when)
    return (
        Reply(text, key="housing.not_active"),
        Reply(" ".join(offer.elsewhere[:2]), key="housing.vote"),
    )


def not_tenant(turn: Turn) -> Outcome:
    """Not a social-housing tenant: the offer does not apply; a person can help compare."""
    choice = Choice(turn.say("menu.talk_to_human"), "talk_to_human")
    reply = Reply(turn.say("housing.not_tenant"), choices=(choice,), key="housing.not_tenant")
    return Outcome((reply,), step="answered")


def unknown_residence(turn: Turn, slots: Mapping[str, Any]) -> Outcome:
    """A residence we cannot place: a person takes over with the answers collected."""
    text = turn.say("housing.unknown", near=slots.get("near_text") or turn.text)
    return Outcome((Reply(text, key="housing.unknown"),), handoff=handoff(turn, slots))


def handoff(turn: Turn, slots: Mapping[str, Any]) -> Handoff:
    """A hand-off carrying the answers collected so far."""
    summary = (
        f"internet 1 EUR: locataire={slots.get('tenant', '?')}, "
        f"residence={slots.get('near_text', '?')}; message: {turn.text}"
    )
    return Handoff("unknown_residence", quartier=slots.get("quartier") or None, summary=summary)


STEPS: Mapping[str, Callable[[Turn, dict[str, Any]], Awaitable[Outcome]]] = {
    "tenant": on_tenant,
    "where": on_where,
}
