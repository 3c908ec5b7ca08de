"""Questions and tickets written straight into the database, for the /public tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.public.store import record_question
from bot.store.db import Database
from bot.store.models import Contact, Ticket


async def seed(database: Database, now: datetime) -> None:
    """7 people ask about the CAF in Bellevue (1 handed off), 2 about ANTS in Saint-Marc,
    6 are shown the Kérédern France services; 5 tickets answered after 10..50 minutes."""
    async with database.session() as session:
        contacts = []
        for n in range(9):
            contact = Contact(
                channel="sms",
                address_hash=f"hash{n}",
                address_encrypted="x",
                created_at=now,
                last_seen_at=now,
            )
            session.add(contact)
            contacts.append(contact)
        await session.flush()
        for n, contact in enumerate(contacts[:7]):
            await record_question(
                session, contact.id, now, "caf", "bellevue", "fs-594" if n < 6 else None, n == 0
            )
        for contact in contacts[7:]:
            await record_question(session, contact.id, now, "ants", "saint-marc")
        for n, contact in enumerate(contacts[:5]):
            session.add(
                Ticket(
                    contact_id=contact.id,
                    reason="no_answer",
                    created_at=now,
                    first_reply_at=now + timedelta(minutes=10 * (n + 1)),
                )
            )
        await session.commit()
