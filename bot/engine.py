"""One turn: store, understand, route to a handler, save state, queue the replies.

The engine imports no channel or platform code; channels call `accept` then `process`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakValueDictionary

import handlers
from bot.crypto import AddressCipher
from bot.db import Database
from bot.handoff import Notifier, handoff_reply, open_handoff
from bot.limits import CAPPED_KEY, WARNING_KEY, Pace, pace_of, ticket_allowed
from bot.logs import fields
from bot.messages import InboundMessage, Location, Reply, printable, reply_to_dict
from bot.metrics import DEAD_LETTERS, HANDOFFS, LIMITED, TURN_SECONDS, TURNS
from bot.models import Contact, Conversation, Message
from bot.poison import MAX_TURN_ATTEMPTS, due_unprocessed, is_outage, record_failed_turn
from bot.privacy.erasure import checkpoint
from bot.repository import Repository, TurnState
from bot.turn import Outcome, Turn
from bot.understanding import CLARIFY_BELOW, Pending, Understander, Understood

# Intents that, said confidently, start a new request even in the middle of a dialogue.
NEW_REQUESTS = frozenset(
    {"find_place", "housing_internet", "find_mediator", "talk_to_human", "privacy"}
)

log = logging.getLogger("aiguillage.engine")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Accepted:
    """A stored inbound message waiting for its turn."""

    message_id: int
    contact_id: int


@dataclass(frozen=True)
class Knowledge:
    """The content base and the understanding built from it, swapped together on reload."""

    content: Any
    understander: Understander


class Engine:
    """Runs turns against the database; safe to share between channels."""

    def __init__(
        self,
        database: Database,
        cipher: AddressCipher,
        content: Any,
        clock: Callable[[], datetime] = utcnow,
        notifier: Notifier | None = None,
        retention_days: int = 180,
    ) -> None:
        self.database = database
        self.cipher = cipher
        self.clock = clock
        self.notifier = notifier
        self.retention_days = retention_days
        self._locks: WeakValueDictionary[int, asyncio.Lock] = WeakValueDictionary()
        self.use(content)

    def use(self, content: Any) -> None:
        """Switch to a new (already validated) content base."""
        self.knowledge = Knowledge(content, Understander.from_content(content))

    async def accept(self, inbound: InboundMessage) -> Accepted | None:
        """Store an inbound message; None when it was already stored (a platform retry)."""
        choice = inbound.choice and printable(inbound.choice)
        inbound = dataclasses.replace(inbound, text=printable(inbound.text), choice=choice)
        async with self.database.session() as session:
            repo = Repository(session, self.cipher)
            language = inbound.language or "fr"
            contact_id = await repo.contact_id_for(inbound.address, self.clock(), language)
            message_id = await repo.store_inbound(contact_id, inbound)
            await session.commit()
        return None if message_id is None else Accepted(message_id, contact_id)

    async def handle(self, inbound: InboundMessage) -> None:
        accepted = await self.accept(inbound)
        if accepted is not None:
            await self.process(accepted)

    async def process_pending(self) -> int:
        """Answer messages accepted but not answered (a crash, a database outage during their
        turn); returns how many were found. A failing turn is retried after a backoff and
        given up after a few (bot.poison), so it never holds up the others."""
        async with self.database.session() as session:
            pending = await due_unprocessed(session, self.clock())
        for accepted in [Accepted(message_id, contact_id) for message_id, contact_id in pending]:
            try:
                await self.process(accepted)
            except Exception:
                log.exception("turn.failed", extra=fields(message=accepted.message_id))
        return len(pending)

    async def process(self, accepted: Accepted) -> None:
        """Run the turn of one stored message, once, serialised per contact; a failure that
        is not a database outage counts against the message."""
        try:
            await self._process(accepted)
        except Exception as error:
            if not is_outage(error):
                await self._turn_failed(accepted)
            raise

    async def _process(self, accepted: Accepted) -> None:
        lock = self._locks.setdefault(accepted.contact_id, asyncio.Lock())
        async with lock, self.database.session() as session:
            repo = Repository(session, self.cipher)
            state = await repo.turn_state(accepted.contact_id, accepted.message_id, self.clock())
            if state is None or state.message.processed_at is not None:
                return
            with TURN_SECONDS.time():
                erased = await self._turn(repo, state)
            if not erased:
                state.message.processed_at = self.clock()
            await session.commit()
        if erased:
            await checkpoint(self.database)  # erased text leaves SQLite's write-ahead log too

    async def _turn_failed(self, accepted: Accepted) -> None:
        try:
            async with self.database.session() as session:
                attempts = await record_failed_turn(session, accepted.message_id, self.clock())
                await session.commit()
        except Exception:  # the failure is logged by the caller; the sweep tries again
            return
        if attempts >= MAX_TURN_ATTEMPTS:
            DEAD_LETTERS.inc()
            log.error(
                "turn.dead_letter", extra=fields(message=accepted.message_id, attempts=attempts)
            )

    async def _turn(self, repo: Repository, state: TurnState) -> bool:
        """Answer one message; True when the resident's data was erased by it."""
        contact, conversation, message = state.contact, state.conversation, state.message
        understood = self._understand(message, conversation)
        message.intent, message.confidence = understood.intent, understood.confidence
        if contact.opted_out and understood.privacy_action not in ("start", "forget"):
            return False  # a STOP is honoured: nothing but the one confirmation until START
        # STOP, START and OUBLIE always pass the rate limit; the rest is stored, not answered.
        pace = Pace.ANSWER if understood.privacy_action else await pace_of(repo, message)
        if pace is Pace.WARN:
            warning = self.knowledge.content.texts.say(WARNING_KEY, contact.language)
            await repo.queue_reply(contact, Reply(warning, key=WARNING_KEY), self.clock())
        if pace is not Pace.ANSWER:
            LIMITED.labels(pace.value).inc()
        ticket = state.ticket
        if ticket is not None and not _passes_open_ticket(understood, message.text):
            await repo.attach_to_ticket(message, ticket)
            if self.notifier and pace is Pace.ANSWER:  # a flood is not posted to the group
                await self.notifier.ticket_message(repo, ticket, message, self.clock())
            return False
        if pace is not Pace.ANSWER:
            return False
        handler, step = self._route(understood, conversation, _location(message), message.text)
        turn = Turn(
            text=message.text,
            understood=understood,
            content=self.knowledge.content,
            language=contact.language,
            now=self.clock(),
            step=step,
            slots=dict(conversation.slots or {}) if step else {},
            location=_location(message),
            retention_days=self.retention_days,
        )
        outcome = await handler.handle(turn)
        TURNS.labels(understood.intent, handler.NAME).inc()
        await self._apply(repo, contact, conversation, message, handler.NAME, outcome)
        return outcome.privacy == "forget"

    def _understand(self, message: Message, conversation: Conversation) -> Understood:
        menu = conversation.menu or {}
        pending = None
        if menu.get("expect"):
            pending = Pending(menu["expect"], tuple(menu.get("options", ())))
        elif menu.get("options"):
            pending = Pending("menu", tuple(menu["options"]))
        understood = self.knowledge.understander.understand(message.text, pending)
        choice = (message.payload or {}).get("choice")
        return dataclasses.replace(understood, menu_choice=choice) if choice else understood

    def _route(
        self,
        understood: Understood,
        conversation: Conversation,
        location: Location | None,
        text: str = "",
    ) -> tuple[Any, str | None]:
        """Pick the handler (and its pending step) for this message. Safety comes first."""
        if understood.privacy_action:
            return handlers.for_intent("privacy"), None
        if understood.emergency:
            return handlers.EMERGENCY, None
        if understood.menu_choice in handlers.INTENTS:
            return handlers.for_intent(understood.menu_choice), None
        owner, _, step = (conversation.step or "").partition(":")
        if owner and _continues(understood, location, handlers.by_name(owner), text):
            return handlers.by_name(owner), step
        if location is not None:
            return handlers.for_intent("find_place"), None
        if understood.confidence < CLARIFY_BELOW:
            return handlers.CLARIFY, None
        return handlers.for_intent(understood.intent), None

    async def _apply(
        self,
        repo: Repository,
        contact: Contact,
        conversation: Conversation,
        message: Message,
        handler_name: str,
        outcome: Outcome,
    ) -> None:
        now = self.clock()
        if outcome.privacy == "forget":
            address = repo.address_of(contact)
            await repo.erase_contact(contact)
            for reply in outcome.replies:
                await repo.queue_to_address(address, reply_to_dict(reply), now)
            return
        if outcome.privacy in ("stop", "start"):
            await repo.set_opted_out(contact, outcome.privacy == "stop")
        replies = list(outcome.replies)
        if outcome.handoff and not await ticket_allowed(
            repo, contact.id, outcome.handoff.reason, now
        ):
            LIMITED.labels("ticket_capped").inc()
            capped = self.knowledge.content.texts.say(CAPPED_KEY, contact.language)
            replies.append(Reply(capped, key=CAPPED_KEY))
        elif outcome.handoff:
            HANDOFFS.inc()
            ticket = await open_handoff(repo, contact, message, outcome.handoff, now)
            replies.append(handoff_reply(self.knowledge.content, contact.language, now))
            if self.notifier:
                await self.notifier.ticket_opened(repo, ticket, now)
        conversation.step = f"{handler_name}:{outcome.step}" if outcome.step else None
        conversation.slots = dict(outcome.slots) if outcome.step else {}
        options = [c.value for r in replies for c in r.choices]
        conversation.menu = {"options": options, "expect": outcome.expect}
        conversation.updated_at = now
        for reply in replies:
            await repo.queue_reply(contact, reply, now, bypass_opt_out=outcome.privacy == "stop")


def _continues(understood: Understood, location: Location | None, owner: Any, text: str) -> bool:
    """Does this message answer the pending step rather than start something new?

    An answer, a pick, a location, a follow-up word only this dialogue gives a meaning to
    ("plus") or an unclear message goes to the pending step; a confident new request
    (another intent) starts afresh, even when it names a place.
    """
    if understood.answer or understood.menu_choice or location:
        return True
    if hasattr(owner, "follows_up") and owner.follows_up(text):
        return True
    if understood.intent in owner.INTENTS or understood.confidence < CLARIFY_BELOW:
        return True
    return understood.near is not None and understood.intent not in NEW_REQUESTS


def _passes_open_ticket(understood: Understood, text: str) -> bool:
    """While a mediator has the conversation, only STOP, OUBLIE, emergencies and 'menu' pass."""
    return bool(understood.privacy_action or understood.emergency) or text.strip().lower() == "menu"


def _location(message: Message) -> Location | None:
    point = (message.payload or {}).get("location")
    return Location(*point) if point else None
