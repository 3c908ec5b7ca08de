"""The mediators' Telegram group: ticket posts, replies relayed to residents, commands.

Posts leave through the outbox (so they survive restarts and retries); a reply to a post
finds its ticket through the `group_posts` table. The Telegram channel hands us only the
messages of the group whose id is MEDIATORS_CHAT_ID; we check it again here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.config import Settings
from bot.crypto import AddressCipher
from bot.mediation import tickets
from bot.mediation.display import REASONS, STATUSES, local_time, message_json
from bot.mediation.store import MediationRepository
from bot.messages import Address, GroupMessage, Reply, reply_to_dict
from bot.store.db import Database
from bot.store.models import Message, Ticket
from bot.store.repository import Repository

CHANNEL = "telegram"
MAX_POST = 3500  # Telegram refuses messages over 4,096 characters
URGENCIES = {
    "medical": "urgence médicale", "violence": "violences", "suicide": "idées suicidaires",
    "child": "enfant en danger", "eviction": "expulsion", "homeless": "sans abri",
}  # fmt: skip
HELP = "Répondez à ce message pour écrire à l'habitant · /prendre · /clore · /faq"
COMMANDS = ("/prendre", "/clore", "/faq")
MAX_TICKET = 2**31 - 1  # the largest id an INTEGER column holds


class MediatorsGroup:
    """The engine's notifier: posts new tickets and residents' messages to the group."""

    def __init__(
        self, chat_id: int, reminder_delay: timedelta, public_base_url: str | None = None
    ) -> None:
        self.chat_id = chat_id
        self.reminder_delay = reminder_delay
        self.public_base_url = public_base_url or ""  # for links to the inbox

    async def post(
        self,
        repo: Repository,
        text: str,
        now: datetime,
        ticket: Ticket | None = None,
        kind: str = "",
    ) -> None:
        """Queue a post to the group; remember it when it is about a ticket."""
        address = Address(CHANNEL, str(self.chat_id))
        item = await repo.queue_to_address(address, reply_to_dict(Reply(text[:MAX_POST])), now)
        if ticket is not None:
            await _mediation(repo).add_group_post(ticket, kind, now, outbox=item)

    async def ticket_opened(self, repo: Repository, ticket: Ticket, now: datetime) -> None:
        """Post the new ticket: who it is for, the summary and the transcript."""
        repo = _mediation(repo)
        mediators = await repo.mediators()
        card = await tickets.card(repo, ticket, now, self.reminder_delay, mediators)
        handles = {m.name: m.telegram_username for m in mediators if m.telegram_username}
        lines = [message_json(m) for m in await repo.ticket_transcript(ticket, limit=15)]
        transcript = "\n".join(f"{line['who']} {line['at'][-5:]}: {line['text']}" for line in lines)
        text = f"Nouveau ticket {describe(card, handles)}\n— Conversation\n{transcript}\n\n{HELP}"
        await self.post(repo, text, now, ticket, "ticket")

    async def ticket_message(
        self, repo: Repository, ticket: Ticket, message: Message, now: datetime
    ) -> None:
        """Post a resident's new message on an open ticket; media as links to the inbox
        (they open for a logged-in mediator only: the platform's reference stays ours)."""
        media = message_json(message).get("media", [])
        links = " ".join(f"[{m['kind']} : {self.public_base_url}{m['url']}]" for m in media)
        text = " ".join(part for part in (message.text, links) if part)
        await self.post(repo, f"#{ticket.id} Habitant: {text}", now, ticket, "message")

    async def remind(self, repo: MediationRepository, now: datetime) -> int:
        """Announce again the tickets waiting longer than the delay; returns how many."""
        waiting = await repo.waiting_unannounced(now - self.reminder_delay)
        mediators = await repo.mediators()
        for ticket in waiting:
            card = await tickets.card(repo, ticket, now, self.reminder_delay, mediators)
            minutes = int((now - card.created_at).total_seconds() // 60)
            text = f"⚑ Toujours sans réponse depuis {minutes} min: ticket {describe(card)}\n{HELP}"
            await self.post(repo, text, now, ticket, "reminder")
        return len(waiting)


def mediators_group(settings: Settings) -> MediatorsGroup | None:
    """The group notifier when MEDIATORS_CHAT_ID is set."""
    if settings.mediators_chat_id is None:
        return None
    return MediatorsGroup(
        settings.mediators_chat_id,
        timedelta(minutes=settings.ticket_reminder_minutes),
        settings.public_base_url,
    )


def describe(card: tickets.TicketCard, handles: dict[str, str] | None = None) -> str:
    """`#12 (a demandé une personne) · caf · bellevue · sms +33 6 •• •• •• 42` and more lines."""
    parts = [REASONS.get(card.reason, card.reason), card.topic, card.quartier]
    head = f"#{card.id} " + " · ".join(p for p in parts if p)
    if card.urgency:
        head = f"🚨 URGENT ({URGENCIES.get(card.urgency, card.urgency)}) {head}"
    if card.left:
        head += " · revenu au robot (MENU)"
    lines = [head, f"{card.channel} {card.masked_address} · {local_time(card.created_at)}"]
    if card.for_mediators:
        names = [
            f"{n} (@{handles[n]})" if handles and n in handles else n for n in card.for_mediators
        ]
        lines.append("Pour: " + ", ".join(names))
    if card.summary:
        lines.append(f"Résumé: {card.summary}")
    return "\n".join(lines)


def _mediation(repo: Repository) -> MediationRepository:
    if isinstance(repo, MediationRepository):
        return repo
    return MediationRepository(repo.session, repo.cipher)


class Desk(Protocol):
    """What acting on the group's messages needs of the running engine."""

    database: Database
    cipher: AddressCipher
    notifier: Any  # a MediatorsGroup when the group is configured
    clock: Callable[[], datetime]

    @property
    def content(self) -> Any: ...


async def handle_group_message(desk: Desk, message: GroupMessage) -> None:
    """Act on a message of the mediators' group: a reply to relay, or a command (the
    caller wakes the outbox for what this queued)."""
    group = desk.notifier
    if not isinstance(group, MediatorsGroup) or message.chat_id != group.chat_id:
        return  # only the configured group's members can act
    if message.from_bot or not message.text.strip():
        return
    command, _, argument = message.text.strip().partition(" ")
    command = command.split("@", 1)[0].lower() if command.startswith("/") else ""
    now = desk.clock()
    async with desk.database.session() as session:
        repo = MediationRepository(session, desk.cipher)
        by = await _mediator_name(repo, message)
        if command == "/tickets":
            await _list_open(group, repo, now)
        else:
            ticket = await _target(repo, message, command, argument)
            if ticket is not None:
                await _act(desk.content, group, repo, ticket, command, message, by, now)
            elif command in COMMANDS and not message.reply_to:
                await group.post(repo, f"Ticket {_shown(argument)} introuvable. {HELP}", now)
        await session.commit()


async def _act(
    content: Any,
    group: MediatorsGroup,
    repo: MediationRepository,
    ticket: Ticket,
    command: str,
    message: GroupMessage,
    by: str,
    now: datetime,
) -> None:
    if ticket.status == "closed" and command != "/faq":
        await group.post(repo, f"#{ticket.id} est déjà clos.", now)
    elif command == "/prendre":
        await tickets.take(repo, ticket, by, now, group, content)
    elif command == "/clore":
        await tickets.close(repo, content, ticket, by, now, group)
    elif command == "/faq":
        found = await tickets.suggest_for_faq(repo, ticket, by, now)
        note = "proposée pour la FAQ" if found else "pas encore de réponse à proposer"
        await group.post(repo, f"#{ticket.id}: {note}.", now)
    elif not command and not await repo.ticket_of_post(CHANNEL, message.message_id):
        # no `group`: the answer is already in the group, as the mediator wrote it
        try:
            await tickets.answer(repo, content, ticket, message.text, by, now)
        except tickets.AnswerTooLong as refused:
            await group.post(repo, f"#{ticket.id}: {refused.told()}", now)
            return
        await repo.add_group_post(ticket, "answer", now, chat_message_id=message.message_id)


async def _target(
    repo: MediationRepository, message: GroupMessage, command: str, argument: str
) -> Ticket | None:
    """The ticket a message is about: the post it replies to, or `/prendre 12` (a command's
    number only: a phone number pasted in a message is not a ticket)."""
    if message.reply_to:
        return await repo.ticket_of_post(CHANNEL, message.reply_to)
    number = ticket_number(argument) if command else None
    return await repo.ticket(number) if number is not None else None


def ticket_number(argument: str) -> int | None:
    """`12` or `#12` as a ticket id; None for anything else, and for numbers no ticket
    can have (a phone number, twenty digits: the database's integers stop at 2**31 - 1)."""
    number = argument.strip().split(maxsplit=1)[0].lstrip("#") if argument.strip() else ""
    if not number.isascii() or not number.isdigit() or len(number) > len(str(MAX_TICKET)):
        return None
    return int(number) if 0 < int(number) <= MAX_TICKET else None


def _shown(argument: str) -> str:
    """The argument a mediator gave, short enough to quote back."""
    word = argument.strip().split(maxsplit=1)[0] if argument.strip() else ""
    return word if len(word) <= 8 else "(sans numéro valide)"


async def _mediator_name(repo: MediationRepository, message: GroupMessage) -> str:
    """The inbox name of a mediator with this Telegram username, else their display name."""
    for mediator in await repo.mediators():
        if message.username and mediator.telegram_username == message.username.lstrip("@"):
            return mediator.name
    return message.sender


async def _list_open(group: MediatorsGroup, repo: MediationRepository, now: datetime) -> None:
    found = await repo.tickets("open", limit=30)
    lines = []
    for ticket in found:
        card = await tickets.card(repo, ticket, now, group.reminder_delay)
        flag = " ⚑" if card.waiting else ""
        who = f" ({card.assigned_to})" if card.assigned_to else ""
        lines.append(f"#{card.id} {STATUSES[card.status]}{who} · {card.topic or '—'}{flag}")
    await group.post(repo, "Tickets ouverts:\n" + ("\n".join(lines) or "aucun"), now)
