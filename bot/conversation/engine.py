"""One turn: store, understand, route to a handler, save state, queue the replies.

The engine imports no channel or platform code; channels call `accept` then `process`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from weakref import WeakValueDictionary

import handlers
from bot.conversation.handoff import Notifier, handoff_reply, open_handoff, promised_by
from bot.conversation.limits import CAPPED_KEY, RATE_WINDOW, TICKET_WINDOW, ticket_allowed
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
from bot.store.intake_rows import store_inbound, writing
from bot.store.models import Contact, Conversation, Message, Ticket
from bot.store.outbox_rows import Queued
from bot.store.poison import MAX_TURN_ATTEMPTS, due_unprocessed, is_outage, record_failed_turn
from bot.store.repository import Repository, TurnState
from bot.turn import Handoff, KnownPlace, Outcome, Turn
from bot.understanding import Understander, Understood

if TYPE_CHECKING:
    from bot.content import Content

LATE_AT_LEAST = timedelta(minutes=30)  # a ticket younger than this is never late
IDLE_CLOSER = "robot (inactivité)"  # who closed a ticket nobody touched for days
TURNS_AT_ONCE = 50  # turns run in one transaction at most (a batch)

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
        """Store an inbound message; None when it was already stored (a platform retry)
        or erased with its author."""
        return (await self.accept_all([inbound]))[0]

    async def accept_all(self, inbounds: Sequence[InboundMessage]) -> list[Accepted | None]:
        """Store inbound messages together, in this order (`bot.store.intake_rows`); None
        for one already stored (a platform retry) or erased with its author."""
        cleaned = [
            dataclasses.replace(m, text=printable(m.text), choice=m.choice and printable(m.choice))
            for m in inbounds
        ]
        async with writing(self.database.engine) as connection:
            stored = await store_inbound(connection, self.cipher, cleaned, self.clock())
        return [None if s is None else Accepted(*s) for s in stored]

    async def handle(self, inbound: InboundMessage) -> None:
        accepted = await self.accept(inbound)
        if accepted is not None:
            await self.process(accepted)

    async def process_pending(self) -> int:
        """Answer messages accepted but not answered (a crash, a database outage during their
        turn); returns how many were found. A failing turn is retried after a backoff and
        given up after a few (bot.store.poison), so it never holds up the others."""
        pending = await self.due()
        for start in range(0, len(pending), TURNS_AT_ONCE):
            try:
                await self.process_batch(pending[start : start + TURNS_AT_ONCE])
            except Exception:  # an outage: the next sweep tries again
                log.exception("turn.failed", extra=fields(messages=len(pending)))
        return len(pending)

    async def due(self) -> list[Accepted]:
        """The accepted messages to answer (bot.store.poison.due_unprocessed), oldest first."""
        async with self.database.session() as session:
            pending = await due_unprocessed(session, self.clock())
        return [Accepted(message_id, contact_id) for message_id, contact_id in pending]

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

    async def process(self, accepted: Accepted, lease: timedelta | None = None) -> list[Queued]:
        """Run the turn of one stored message (a batch of one)."""
        return await self.process_batch([accepted], lease)

    async def process_batch(
        self, batch: Sequence[Accepted], lease: timedelta | None = None
    ) -> list[Queued]:
        """Run the turns of stored messages, once each, in one transaction: one read, the
        turns in memory (a person's messages in the order they arrived, each seeing the
        one before), one write. A failure that is not a database outage counts against the
        message of a batch of one; a larger batch then runs again one turn per transaction,
        so a poison message holds up no other and counts alone. With a `lease`, the replies
        are queued already claimed by this process (bot.store.outbox_rows): returns what was
        queued and committed, for the outbox worker."""
        try:
            return await self._process(batch, lease)
        except Exception as error:
            if is_outage(error):
                raise
            if len(batch) == 1:
                await self._turn_failed(batch[0])
                raise
            log.warning("turn.batch_failed", extra=fields(messages=len(batch)))
        queued: list[Queued] = []
        for accepted in batch:
            try:
                queued += await self.process(accepted, lease)
            except Exception:
                log.exception("turn.failed", extra=fields(message=accepted.message_id))
        return queued

    async def _process(self, batch: Sequence[Accepted], lease: timedelta | None) -> list[Queued]:
        async with AsyncExitStack() as stack:
            for contact_id in sorted({accepted.contact_id for accepted in batch}):
                lock = self._locks.setdefault(contact_id, asyncio.Lock())
                await stack.enter_async_context(lock)
            session = await stack.enter_async_context(self.database.session())
            repo = Repository(session, self.cipher, lease, deferred=True)
            erased = await self._turns(repo, batch)
            await repo.write_queued()  # the batch's outbox rows, in one statement
            await session.commit()
        if erased:
            await checkpoint(self.database)  # erased text leaves SQLite's write-ahead log too
        return repo.queued

    async def _turns(self, repo: Repository, batch: Sequence[Accepted]) -> bool:
        """The turns not run yet, in order; True when a resident's data was erased by one."""
        pairs = [(accepted.message_id, accepted.contact_id) for accepted in batch]
        now = self.clock()
        states = await repo.turn_states(pairs, now, RATE_WINDOW, now - TICKET_WINDOW)
        erased: set[int] = set()
        seen: set[int] = set()
        for state in states:
            contact_id = state.contact.id
            if contact_id in erased or state.message.processed_at is not None:
                continue
            if contact_id in seen:  # the turn before may have opened or closed a ticket
                state = dataclasses.replace(state, ticket=await repo.open_ticket_of(contact_id))
            seen.add(contact_id)
            with TURN_SECONDS.time():
                if await self._turn(repo, state):
                    erased.add(contact_id)
                    continue
            state.message.processed_at = self.clock()
        return bool(erased)

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
            repo, state.contact, state.conversation, state.message, state.ticket, state.recent,
            state.tickets_today,
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
        await self._apply(turn, handler.NAME, outcome)
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

    async def _apply(self, turn: TurnInProgress, handler_name: str, outcome: Outcome) -> None:
        repo, contact, conversation = turn.repo, turn.contact, turn.conversation
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
            replies += await self._hand_off(turn, outcome.handoff)
        conversation.step = f"{handler_name}:{outcome.step}" if outcome.step else None
        conversation.slots = dict(outcome.slots) if outcome.step else {}
        options = [c.value for r in replies for c in r.choices]
        conversation.menu = {"options": options, "expect": outcome.expect}
        conversation.updated_at = now
        await repo.queue_replies(contact, replies, now, bypass_opt_out=outcome.privacy == "stop")

    async def _hand_off(self, turn: TurnInProgress, handoff: Handoff) -> list[Reply]:
        """Open (or reuse) the ticket and tell the mediators; the resident's confirmation."""
        repo, contact, ticket = turn.repo, turn.contact, turn.ticket
        now, content = self.clock(), self.knowledge.content
        if not ticket_allowed(handoff.reason, ticket, turn.tickets_today):
            LIMITED.labels("ticket_capped").inc()
            return [Reply(content.texts.say(CAPPED_KEY, contact.language), key=CAPPED_KEY)]
        HANDOFFS.inc()
        ticket = await open_handoff(repo, contact, turn.message, handoff, now, ticket)
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
