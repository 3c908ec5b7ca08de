"""Abuse limits on residents: messages a minute per sender, tickets a day per sender.

The counts come from the messages and tickets tables, so the limits hold across gateway
processes and restarts and need no table of their own. A held-back message is still
stored (and attached to an open ticket): nothing a resident writes is lost.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from bot.store.models import Message
from bot.store.repository import Repository

RATE_WINDOW = timedelta(minutes=1)
RATE_LIMIT = 20  # messages a minute from one sender that get answers
TICKET_WINDOW = timedelta(days=1)
TICKETS_PER_DAY = 3  # hand-offs a day per sender; emergencies always get through
WARNING_KEY = "limit.rate"
CAPPED_KEY = "limit.tickets"


class Pace(enum.Enum):
    """What a message gets under the rate limit."""

    ANSWER = "answer"
    WARN = "warned"  # the first message over the limit: one warning sentence
    SILENCE = "silent"  # later ones, until the rate drops


async def pace_of(repo: Repository, message: Message) -> Pace:
    """Count this sender's messages in the minute up to this one (by arrival, not by turn)."""
    since = message.created_at - RATE_WINDOW
    # The turn's pending changes do not change the counts: they are written once, at commit.
    with repo.session.no_autoflush:
        count = await repo.inbound_count(message.contact_id, since, message.id)
        if count <= RATE_LIMIT:
            return Pace.ANSWER
        # Counting up to this message, the count crosses the limit one by one: the warning
        # goes with the first message over it, and at most once a window if it hovers there.
        if count == RATE_LIMIT + 1 and not await repo.said_since(
            message.contact_id, since, WARNING_KEY
        ):
            return Pace.WARN
    return Pace.SILENCE


async def ticket_allowed(repo: Repository, contact_id: int, reason: str, now: datetime) -> bool:
    """Whether a hand-off may open (or reuse) a ticket for this contact now."""
    if reason == "emergency" or await repo.open_ticket_of(contact_id) is not None:
        return True
    return await repo.tickets_opened_since(contact_id, now - TICKET_WINDOW) < TICKETS_PER_DAY
