"""Right of access: everything stored about one address, as JSON-ready data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import AddressCipher
from bot.messages import Address
from bot.store.models import Conversation, FaqSuggestion, Message, OutboxItem, Ticket
from bot.store.repository import Repository


async def export_person(
    session: AsyncSession, cipher: AddressCipher, address: Address
) -> dict[str, Any] | None:
    """The contact, its dialogue state, messages, tickets, queued replies and FAQ entries."""
    contact = await Repository(session, cipher).find_contact(address)
    if contact is None:
        return None

    async def rows(model: Any, *where: Any) -> list[Any]:
        return list((await session.execute(select(model).where(*where))).scalars())

    conversation = await rows(Conversation, Conversation.contact_id == contact.id)
    messages = await rows(Message, Message.contact_id == contact.id)
    tickets = await rows(Ticket, Ticket.contact_id == contact.id)
    outbox = await rows(OutboxItem, OutboxItem.contact_id == contact.id)
    suggestions = await rows(FaqSuggestion, FaqSuggestion.ticket_id.in_([t.id for t in tickets]))
    return {
        "contact": {
            "channel": contact.channel,
            "address": address.value,
            "language": contact.language,
            "opted_out": contact.opted_out,
            "created_at": _iso(contact.created_at),
            "last_seen_at": _iso(contact.last_seen_at),
        },
        "conversation": [
            {"step": c.step, "slots": c.slots, "updated_at": _iso(c.updated_at)}
            for c in conversation
        ],
        "messages": [
            {
                "direction": m.direction,
                "text": m.text,
                "payload": m.payload,
                "intent": m.intent,
                "ticket": m.ticket_id,
                "at": _iso(m.created_at),
            }
            for m in sorted(messages, key=lambda m: m.id)
        ],
        "tickets": [
            {
                "id": t.id,
                "status": t.status,
                "reason": t.reason,
                "topic": t.topic,
                "quartier": t.quartier,
                "summary": t.summary,
                "assigned_to": t.assigned_to,
                "opened_at": _iso(t.created_at),
                "closed_at": _iso(t.closed_at),
            }
            for t in tickets
        ],
        "replies_queued": [
            {"status": o.status, "text": o.payload.get("text"), "at": _iso(o.created_at)}
            for o in outbox
            if o.status in ("pending", "sending")
        ],
        "faq_suggestions": [
            {"ticket": s.ticket_id, "question": s.question, "answer": s.answer} for s in suggestions
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
