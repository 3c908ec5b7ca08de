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
from typing import Any
from weakref import WeakValueDictionary

import handlers
from bot.crypto import AddressCipher
from bot.db import Database
from bot.handoff import Notifier, handoff_reply, open_handoff, promised_by, relay_reply
from bot.limits import CAPPED_KEY, WARNING_KEY, Pace, pace_of, ticket_allowed
from bot.logs import fields
from bot.mediation import tickets
from bot.mediation.store import MediationRepository
from bot.memory import KEPT_FOR, forget_dialogue, recall, remember
from bot.messages import InboundMessage, Location, Reply, printable, reply_to_dict
from bot.metrics import DEAD_LETTERS, HANDOFFS, LIMITED, TURN_SECONDS, TURNS
from bot.models import Contact, Conversation, Message, Ticket
from bot.poison import MAX_TURN_ATTEMPTS, due_unprocessed, is_outage, record_failed_turn
from bot.privacy.erasure import checkpoint
from bot.public.store import record_question
from bot.repository import Repository, TurnState
from bot.spoken import aware
from bot.turn import Handoff, KnownPlace, Outcome, Turn
from bot.understanding import CLARIFY_BELOW, Pending, Understander, Understood

# Intents that, said confidently, start a new request even in the middle of a dialogue.
NEW_REQUESTS = frozenset(
    {"find_place", "housing_internet", "find_mediator", "talk_to_human", "privacy"}
)
SURE = 0.9  # a new request this sure (or with its own topic or service) ends a dialogue
# Dialogues in which a place named in a follow-up ("et à Saint-Marc ?") searches again.
PLACE_DIALOGUES = frozenset({"find_place", "find_mediator", "housing_internet"})
LATE_AT_LEAST = timedelta(minutes=30)  # a ticket younger than this is never late
IDLE_CLOSER = "robot (inactivité)"  # who closed a ticket nobody touched for days
BACK_TO_BOT = frozenset({"menu", "retour", "accueil", "robot", "bot", "retour au menu"})

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
    place_ids: Mapping[tuple[str, float, float], str]  # a pinned venue's place, for /public

    @classmethod
    def of(cls, content: Any) -> Knowledge:
        ids = {(p.nom, p.latitude, p.longitude): p.id for p in content.places if p.latitude}
        return cls(content, Understander.from_content(content), ids)


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

    @property
    def content(self) -> Any:
        """The content base in use."""
        return self.knowledge.content

    def use(self, content: Any) -> None:
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
        given up after a few (bot.poison), so it never holds up the others."""
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
        intent = "find_mediator" if topic in content.topics else "find_place"
        understood = Understood(intent, topic, None, None, intent == "find_place", 1.0)
        turn = Turn(
            "", understood, content, language, now, known_place=known,
            retention_days=self.retention_days,
        )  # fmt: skip
        outcome = await handlers.for_intent(intent).handle(turn)
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
        """Answer one message; True when the resident's data was erased by it."""
        contact, conversation, message = state.contact, state.conversation, state.message
        if self.clock() - aware(conversation.updated_at) > KEPT_FOR:
            forget_dialogue(conversation)  # a day later, yesterday's list means nothing
        understood = self._understand(message, conversation)
        message.intent, message.confidence = understood.intent, understood.confidence
        if contact.opted_out and understood.privacy_action not in ("start", "forget"):
            return False  # a STOP is honoured: nothing but the one confirmation until START
        if understood.language and not understood.privacy_action:
            contact.language = understood.language  # the words win over the phone's setting
        # STOP, START and OUBLIE always pass the rate limit; the rest is stored, not answered.
        pace = Pace.ANSWER if understood.privacy_action else await pace_of(repo, message)
        if pace is Pace.WARN:
            warning = self.knowledge.content.texts.say(WARNING_KEY, contact.language)
            await repo.queue_reply(contact, Reply(warning, key=WARNING_KEY), self.clock())
        if pace is not Pace.ANSWER:
            LIMITED.labels(pace.value).inc()
        ticket = state.ticket
        if ticket is not None and ticket.left_at is None:
            if not _passes_open_ticket(understood, message.text):
                await self._relay(repo, contact, ticket, message, pace is Pace.ANSWER)
                return False
            if _back_to_bot(message.text):
                self._leave(ticket)
        if pace is not Pace.ANSWER:
            return False
        location = _location(message)
        if _only_media(message):
            handler, step = handlers.MEDIA, None  # a voice note, a photo: say what we read
        else:
            handler, step = self._route(understood, conversation, location, message.text)
        known = recall(conversation.memory, self.clock())
        turn = Turn(
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
        outcome = await handler.handle(turn)
        TURNS.labels(understood.intent, handler.NAME).inc()
        self._remember(conversation, turn)
        if outcome.privacy is None:
            await _count_question(repo, contact, turn, outcome, self.knowledge.place_ids)
        await self._apply(repo, contact, conversation, message, handler.NAME, outcome)
        return outcome.privacy == "forget"

    async def _relay(
        self, repo: Repository, contact: Contact, ticket: Ticket, message: Message, answer: bool
    ) -> None:
        """A message while a mediator has the conversation: to the ticket and the group,
        acknowledged when the resident would otherwise wait in silence."""
        now = self.clock()
        await repo.attach_to_ticket(message, ticket)
        ticket.last_activity_at = now
        if not answer:
            return  # a flood is neither posted to the group nor answered
        if self.notifier:
            await self.notifier.ticket_message(repo, ticket, message, now)
        reply = relay_reply(self.knowledge.content, contact.language, ticket, message.text, now)
        if reply is not None:
            ticket.acknowledged_at = now
            await repo.queue_reply(contact, reply, now)

    def _leave(self, ticket: Ticket) -> None:
        """The resident went back to the bot: the ticket stays open for the mediators, and a
        mediator's answer still reaches the resident (and brings them back to the ticket)."""
        ticket.left_at = self.clock()

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

    def _understand(self, message: Message, conversation: Conversation) -> Understood:
        menu = conversation.menu or {}
        owner = (conversation.step or "").partition(":")[0]
        place = owner in PLACE_DIALOGUES
        pending = None
        if menu.get("expect"):
            pending = Pending(menu["expect"], tuple(menu.get("options", ())), place=place)
        elif menu.get("options") or place:
            pending = Pending("menu", tuple(menu.get("options", ())), place=place)
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
        owner, _, step = (conversation.step or "").partition(":")
        if understood.scam:  # after the warning, more about the same message is its follow-up
            return handlers.SCAM, step if owner == handlers.SCAM.NAME else None
        if understood.menu_choice in handlers.INTENTS:
            return handlers.for_intent(understood.menu_choice), None
        owner_handler = handlers.by_name(owner)
        content = self.knowledge.content
        where = (conversation.menu or {}).get("expect") == "where"
        continues = _continues(understood, location, owner_handler, text, step, content, where)
        if owner and continues:
            return owner_handler, step
        if location is not None:
            return handlers.for_intent("find_place"), None
        if understood.social in handlers.SOCIAL.KINDS:
            return handlers.SOCIAL, None
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


def _continues(
    understood: Understood,
    location: Location | None,
    owner: Any,
    text: str,
    step: str = "",
    content: Any = None,
    where: bool = False,
) -> bool:
    """Does this message answer the pending step rather than start something new?

    An answer, a pick, a location, a follow-up only this dialogue gives a meaning to
    ("plus", "c'est gratuit ?"), a place said in a dialogue about places ("j'habite à
    Kérédern") or an unclear message goes to the pending step; a sure new request (another
    intent, or one with its own topic or service) starts afresh, even when it names a place.
    """
    if understood.answer or understood.menu_choice or location:
        return True
    if hasattr(owner, "continues") and owner.continues(understood, step):
        return True
    other = understood.intent in NEW_REQUESTS and understood.intent not in owner.INTENTS
    subject = bool(understood.topic or understood.service)  # a request of its own
    if where and understood.near is not None and not (other and subject):
        return True  # "j'habite à Kérédern" answers "which neighbourhood?"
    if other and (subject or understood.confidence >= SURE):
        return False
    if hasattr(owner, "follows_up") and owner.follows_up(text, step, content):
        return True
    if understood.near is not None and owner.NAME in PLACE_DIALOGUES:
        return True
    if understood.intent in owner.INTENTS or understood.confidence < CLARIFY_BELOW:
        return True
    return understood.near is not None and understood.intent not in NEW_REQUESTS


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
        place_id=venue and place_ids.get((venue.name, venue.latitude, venue.longitude)),
        handed_off=outcome.handoff is not None,
    )


def _only_media(message: Message) -> bool:
    """A voice note, a photo without caption, a sticker…: nothing the bot can read."""
    return not message.text.strip() and bool((message.payload or {}).get("media"))


def _passes_open_ticket(understood: Understood, text: str) -> bool:
    """While a mediator has the conversation, only STOP, OUBLIE, emergencies and 'menu' pass."""
    return bool(understood.privacy_action or understood.emergency) or _back_to_bot(text)


def _back_to_bot(text: str) -> bool:
    """'menu' (and its like) takes the resident from the mediators back to the bot."""
    return text.strip(" .!?").lower() in BACK_TO_BOT


def _location(message: Message) -> Location | None:
    point = (message.payload or {}).get("location")
    return Location(*point) if point else None
