"""Abuse limits on residents: messages a minute per sender, tickets a day per sender.

The counts come from the messages and tickets tables, so the limits hold across gateway
processes and restarts and need no table of their own. A held-back message is still
stored (and attached to an open ticket): nothing a resident writes is lost.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from bot.store.models import Message, Ticket
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


async def pace_of(repo: Repository, message: Message, recent: int) -> Pace:
    """The pace of a message that is the `recent`-th of its sender in the minute up to it
    (counted by arrival, not by turn: `Repository.turn_states`)."""
    if recent <= RATE_LIMIT:
        return Pace.ANSWER
    # Counting up to this message, the count crosses the limit one by one: the warning
    # goes with the first message over it, and at most once a window if it hovers there.
    since = message.created_at - RATE_WINDOW
    if recent == RATE_LIMIT + 1 and not await repo.said_since(
        message.contact_id, since, WARNING_KEY
    ):
        return Pace.WARN
    return Pace.SILENCE


def ticket_allowed(reason: str, open_ticket: Ticket | None, tickets_today: int) -> bool:
    """Whether a hand-off may open (or reuse `open_ticket`) a ticket for a contact who
    opened `tickets_today` in the last TICKET_WINDOW."""
    return reason == "emergency" or open_ticket is not None or tickets_today < TICKETS_PER_DAY
