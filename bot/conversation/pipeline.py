"""The turn's rules, in order (as aiogram's middlewares): each is a small `async def
rule(turn) -> bool` that may change the turn in progress, and says STOP when the turn ends
with it. The engine runs `RULES`, then routes what is left to a handler (see routing).

May import: the store (repository, models), limits, handoff, memory, messages, metrics,
the understanding. Not the engine, the channels or the gateway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.conversation.handoff import Notifier, relay_reply
from bot.conversation.limits import WARNING_KEY, Pace, pace_of
from bot.conversation.memory import KEPT_FOR, forget_dialogue
from bot.intents import PLACE_DIALOGUES
from bot.messages import Reply
from bot.metrics import LIMITED
from bot.spoken import aware
from bot.store.models import Contact, Conversation, Message, Ticket
from bot.store.repository import Repository
from bot.understanding import Pending, Understander, Understood

STOP, GO = True, False
BACK_TO_BOT = frozenset({"menu", "retour", "accueil", "robot", "bot", "retour au menu"})


@dataclass
class TurnInProgress:
    """One stored message on its way through the rules, with what they found out."""

    repo: Repository
    contact: Contact
    conversation: Conversation
    message: Message
    ticket: Ticket | None  # the contact's open hand-off ticket, if any
    recent: int  # the contact's messages received in the rate window up to this one
    tickets_today: int  # the tickets the contact opened in the last day (limits)
    now: datetime
    content: Any
    understander: Understander
    notifier: Notifier | None = None
    understood: Understood = dataclasses.field(
        default_factory=lambda: Understood("out_of_scope", None, None, None, False, 0.0)
    )
    pace: Pace = Pace.ANSWER


Rule = Callable[[TurnInProgress], Awaitable[bool]]


async def forget_stale(turn: TurnInProgress) -> bool:
    """A day later, yesterday's list means nothing: the dialogue starts afresh."""
    if turn.now - aware(turn.conversation.updated_at) > KEPT_FOR:
        forget_dialogue(turn.conversation)
    return GO


async def understand(turn: TurnInProgress) -> bool:
    """Read the message, with what the dialogue on screen expects (a pick, a yes/no, a
    place); a pressed button's choice wins."""
    conversation, message = turn.conversation, turn.message
    menu = conversation.menu or {}
    owner = (conversation.step or "").partition(":")[0]
    place = owner in PLACE_DIALOGUES
    pending = None
    if menu.get("expect"):
        pending = Pending(menu["expect"], tuple(menu.get("options", ())), place=place)
    elif menu.get("options") or place:
        pending = Pending("menu", tuple(menu.get("options", ())), place=place)
    understood = turn.understander.understand(message.text, pending)
    choice = (message.payload or {}).get("choice")
    turn.understood = dataclasses.replace(understood, menu_choice=choice) if choice else understood
    message.intent, message.confidence = turn.understood.intent, turn.understood.confidence
    return GO


async def opt_out(turn: TurnInProgress) -> bool:
    """A STOP is honoured: nothing but the one confirmation until START (or OUBLIE)."""
    if turn.contact.opted_out and turn.understood.privacy_action not in ("start", "forget"):
        return STOP
    return GO


async def language(turn: TurnInProgress) -> bool:
    """The words win over the phone's setting."""
    if turn.understood.language and not turn.understood.privacy_action:
        turn.contact.language = turn.understood.language
    return GO


async def limits(turn: TurnInProgress) -> bool:
    """Rate limits: STOP, START and OUBLIE always pass; past the limit a message is stored
    (and still reaches an open ticket) but not answered, with one warning first."""
    if not turn.understood.privacy_action:
        turn.pace = await pace_of(turn.repo, turn.message, turn.recent)
    if turn.pace is Pace.WARN:
        warning = turn.content.texts.say(WARNING_KEY, turn.contact.language)
        await turn.repo.queue_reply(turn.contact, Reply(warning, key=WARNING_KEY), turn.now)
    if turn.pace is not Pace.ANSWER:
        LIMITED.labels(turn.pace.value).inc()
    return GO


async def open_ticket(turn: TurnInProgress) -> bool:
    """While a mediator has the conversation, a message goes to the ticket and the group
    (acknowledged when the resident would otherwise wait in silence); only STOP, OUBLIE,
    emergencies and MENU pass, and MENU takes the resident back to the bot."""
    ticket = turn.ticket
    if ticket is None or ticket.left_at is not None:
        return GO
    if not passes_open_ticket(turn.understood, turn.message.text):
        await relay(turn, ticket)
        return STOP
    if back_to_bot(turn.message.text):
        # the ticket stays open for the mediators, and a mediator's answer still reaches
        # the resident (and brings them back to the ticket)
        ticket.left_at = turn.now
    return GO


async def limited(turn: TurnInProgress) -> bool:
    """A message past the rate limit is not answered (it went to the open ticket above)."""
    return STOP if turn.pace is not Pace.ANSWER else GO


RULES: tuple[Rule, ...] = (
    forget_stale,
    understand,
    opt_out,
    language,
    limits,
    open_ticket,
    limited,
)


async def relay(turn: TurnInProgress, ticket: Ticket) -> None:
    """Attach the message to the ticket; post it to the group and acknowledge it, unless
    it is part of a flood."""
    repo, message, now = turn.repo, turn.message, turn.now
    await repo.attach_to_ticket(message, ticket)
    ticket.last_activity_at = now
    if turn.pace is not Pace.ANSWER:
        return  # a flood is neither posted to the group nor answered
    if turn.notifier:
        await turn.notifier.ticket_message(repo, ticket, message, now)
    reply = relay_reply(turn.content, turn.contact.language, ticket, message.text, now)
    if reply is not None:
        ticket.acknowledged_at = now
        await repo.queue_reply(turn.contact, reply, now)


def passes_open_ticket(understood: Understood, text: str) -> bool:
    """While a mediator has the conversation, only STOP, OUBLIE, emergencies and 'menu' pass."""
    return bool(understood.privacy_action or understood.emergency) or back_to_bot(text)


def back_to_bot(text: str) -> bool:
    """'menu' (and its like) takes the resident from the mediators back to the bot."""
    return text.strip(" .!?").lower() in BACK_TO_BOT
