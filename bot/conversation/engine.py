"""One turn: store, understand, route to a handler, save state, queue the replies.

The engine imports no channel or platform code; channels call `accept` then `process`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from weakref import WeakValueDictionary

import handlers
from bot.conversation.handoff import Notifier, handoff_reply, open_handoff, promised_by
from bot.conversation.limits import CAPPED_KEY, ticket_allowed
from bot.conversation.memory import recall, remember
from bot.conversation.pipeline import RULES, STOP, TurnInProgress
from bot.conversation.routing import Situation, route
from bot.crypto import AddressCipher
from bot.intents import Intent
from bot.logs import fields
from bot.mediation import tickets
from bot.mediation.store import MediationRepository
from bot.messages import InboundMessage, Location, Reply, printable, reply_to_dict
from bot.metrics import DEAD_LETTERS, HANDOFFS, LIMITED, TURN_SECONDS, TURNS
from bot.public.store import record_question
from bot.spoken import aware
from bot.store.db import Database, alone
from bot.store.erasure import checkpoint
from bot.store.models import Contact, Conversation, Message, Ticket
from bot.store.poison import MAX_TURN_ATTEMPTS, due_unprocessed, is_outage, record_failed_turn
from bot.store.repository import Repository, TurnState
from bot.turn import Handoff, KnownPlace, Outcome, Turn
from bot.understanding import Understander, Understood

if TYPE_CHECKING:
    from bot.content import Content

LATE_AT_LEAST = timedelta(minutes=30)  # a ticket younger than this is never late
IDLE_CLOSER = "robot (inactivité)"  # who closed a ticket nobody touched for days

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

    content: Content
    understander: Understander
    place_ids: Mapping[tuple[str, float, float], str]  # a pinned venue's place, for /public

    @classmethod
    def of(cls, content: Content) -> Knowledge:
        ids = {
            (p.nom, p.latitude, p.longitude): p.id
            for p in content.places
            if p.latitude and p.longitude is not None
        }
        return cls(content, Understander.from_content(content), ids)


class Engine:
    """Runs turns against the database; safe to share between channels."""

    def __init__(
        self,
        database: Database,
        cipher: AddressCipher,
        content: Content,
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

    @property
    def content(self) -> Content:
        """The content base in use."""
        return self.knowledge.content

    def use(self, content: Content) -> None:
        """Switch to a new (already validated) content base."""
        self.knowledge = Knowledge.of(content)

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
        given up after a few (bot.store.poison), so it never holds up the others."""
        async with self.database.session() as session:
            pending = await due_unprocessed(session, self.clock())
        for accepted in [Accepted(message_id, contact_id) for message_id, contact_id in pending]:
            try:
                await self.process(accepted)
            except Exception:
                log.exception("turn.failed", extra=fields(message=accepted.message_id))
        return len(pending)

    async def follow_up_tickets(self, idle_days: int) -> int:
        """Tell residents whose promised answer is late (with a place that can help) and
        close the tickets idle for `idle_days`; returns how many residents were written to."""
        now, content = self.clock(), self.knowledge.content
        written = 0
        async with self.database.session() as session:
            if not await alone(session, "follow_up_tickets"):  # another gateway does it now
                return 0
            repo = Repository(session, self.cipher)
            for ticket in await repo.unanswered_tickets(now - LATE_AT_LEAST):
                if now >= promised_by(content, aware(ticket.created_at)):
                    await self._tell_late(repo, ticket, now)
                    written += 1
            mediation = MediationRepository(session, self.cipher)
            for ticket in await repo.idle_tickets(now - timedelta(days=idle_days)):
                written += await tickets.close(
                    mediation, content, ticket, IDLE_CLOSER, now, self.notifier,
                    key="ticket.idle_closed", days=idle_days,
                )  # fmt: skip
            await session.commit()
        return written

    async def _tell_late(self, repo: Repository, ticket: Ticket, now: datetime) -> None:
        """Nobody answered in the promised time: say so, with the nearest places that help
        with the ticket's topic from the place the resident gave (else how to find one)."""
        ticket.late_told_at = now
        contact = await repo.session.get(Contact, ticket.contact_id)
        if contact is None:
            return
        conversation = await repo.conversation(contact, now)
        known = recall(conversation.memory, now)
        cards: tuple[Reply, ...] = ()
        if known is not None:
            cards = await self._places_for(ticket.topic, known, contact.language, now)
        key = "ticket.late" if cards else "ticket.late_no_place"
        text = self.knowledge.content.texts.say(key, contact.language)
        for reply in (Reply(text, key=key), *cards):
            await repo.queue_reply(contact, reply, now)

    async def _places_for(
        self, topic: str | None, known: KnownPlace, language: str, now: datetime
    ) -> tuple[Reply, ...]:
        """The place cards a resident asking for help with `topic` near `known` would get."""
        content = self.knowledge.content
        intent = Intent.FIND_MEDIATOR if topic in content.topics else Intent.FIND_PLACE
        understood = Understood(intent, topic, None, None, intent == Intent.FIND_PLACE, 1.0)
        turn = Turn(
            "", understood, content, language, now, known_place=known,
            retention_days=self.retention_days,
        )  # fmt: skip
        outcome = await handlers.route(intent).handle(turn)
        return tuple(r for r in outcome.replies if r.key == "place.card")

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
        """Answer one message: the rules in order (bot.conversation.pipeline), then the handler its
        route picks; True when the resident's data was erased by it."""
        turn = TurnInProgress(
            repo, state.contact, state.conversation, state.message, state.ticket,
            now=self.clock(), content=self.knowledge.content,
            understander=self.knowledge.understander, notifier=self.notifier,
        )  # fmt: skip
        for rule in RULES:
            if await rule(turn) is STOP:
                return False
        return await self._answer(turn)

    async def _answer(self, turn: TurnInProgress) -> bool:
        """Route the message to its handler, run it, and apply its outcome."""
        contact, conversation, message = turn.contact, turn.conversation, turn.message
        understood = turn.understood
        location = _location(message)
        situation = Situation(
            understood, message.text, conversation.step, (conversation.menu or {}).get("expect"),
            location, _only_media(message), self.knowledge.content,
        )  # fmt: skip
        routed = route(situation)
        handler, step = routed.handler, routed.step
        known = recall(conversation.memory, self.clock())
        answered = Turn(
            text=message.text,
            understood=understood,
            content=self.knowledge.content,
            language=contact.language,
            now=self.clock(),
            step=step,
            slots=dict(conversation.slots or {}) if step else {},
            location=location,
            retention_days=self.retention_days,
            known_place=known,
        )
        outcome = await handler.handle(answered)
        TURNS.labels(understood.intent, handler.NAME).inc()
        self._remember(conversation, answered)
        if outcome.privacy is None:
            await _count_question(turn.repo, contact, answered, outcome, self.knowledge.place_ids)
        await self._apply(turn.repo, contact, conversation, message, handler.NAME, outcome)
        return outcome.privacy == "forget"

    def _remember(self, conversation: Conversation, turn: Turn) -> None:
        """Keep the place this message gave (a known place or a shared location)."""
        near = turn.understood.near or turn.understood.place
        place = None
        if turn.location is not None:
            name = turn.say("place.your_location")
            place = KnownPlace(name, turn.location.latitude, turn.location.longitude)
        elif near is not None and near.entry is not None:
            entry = near.entry
            place = KnownPlace(entry.name, entry.latitude, entry.longitude, entry.id)
        if place is not None:
            conversation.memory = remember(conversation.memory, place, turn.now)

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
        if outcome.handoff:
            replies += await self._hand_off(repo, contact, message, outcome.handoff)
        conversation.step = f"{handler_name}:{outcome.step}" if outcome.step else None
        conversation.slots = dict(outcome.slots) if outcome.step else {}
        options = [c.value for r in replies for c in r.choices]
        conversation.menu = {"options": options, "expect": outcome.expect}
        conversation.updated_at = now
        for reply in replies:
            await repo.queue_reply(contact, reply, now, bypass_opt_out=outcome.privacy == "stop")

    async def _hand_off(
        self, repo: Repository, contact: Contact, message: Message, handoff: Handoff
    ) -> list[Reply]:
        """Open (or reuse) the ticket and tell the mediators; the resident's confirmation."""
        now, content = self.clock(), self.knowledge.content
        if not await ticket_allowed(repo, contact.id, handoff.reason, now):
            LIMITED.labels("ticket_capped").inc()
            return [Reply(content.texts.say(CAPPED_KEY, contact.language), key=CAPPED_KEY)]
        HANDOFFS.inc()
        ticket = await open_handoff(repo, contact, message, handoff, now)
        if self.notifier:
            await self.notifier.ticket_opened(repo, ticket, now)
        return [handoff_reply(content, contact.language, now, handoff)]


async def _count_question(
    repo: Repository,
    contact: Contact,
    turn: Turn,
    outcome: Outcome,
    place_ids: Mapping[tuple[str, float, float], str],
) -> None:
    """One anonymous row for /public: topic, neighbourhood, first place shown, handed off."""
    understood = turn.understood
    near = understood.near or understood.place
    entry = near.entry if near is not None else None
    quartier = None
    if entry is not None:
        quartier = entry.id if entry.kind == "quartier" else entry.quartier
    venue = next((r.venue for r in outcome.replies if r.venue is not None), None)
    await record_question(
        repo.session,
        contact.id,
        turn.now,
        topic=understood.topic or understood.intent,
        quartier=quartier or None,
        place_id=place_ids.get((venue.name, venue.latitude, venue.longitude)) if venue else None,
        handed_off=outcome.handoff is not None,
    )


def _only_media(message: Message) -> bool:
    """A voice note, a photo without caption, a sticker…: nothing the bot can read."""
    return not message.text.strip() and bool((message.payload or {}).get("media"))


def _location(message: Message) -> Location | None:
    point = (message.payload or {}).get("location")
    return Location(*point) if point else None
