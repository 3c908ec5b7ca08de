"""Figures for the city: tickets per topic and neighbourhood, reply times, the bot's share.

Only counts and durations leave this module: no address, no message text.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.store.models import Message, Ticket
from bot.store.repository import Repository

UNKNOWN = "(non précisé)"


@dataclass(frozen=True)
class Figures:
    """Aggregated, anonymous figures of the hand-off."""

    opened_by_topic: dict[str, int]
    closed_by_topic: dict[str, int]
    opened_by_quartier: dict[str, int]
    closed_by_quartier: dict[str, int]
    first_reply_median_minutes: float | None
    first_reply_p90_minutes: float | None
    questions: int
    answered_by_bot: int

    @property
    def bot_share(self) -> float | None:
        """Share of residents' messages the bot answered without a mediator."""
        return self.answered_by_bot / self.questions if self.questions else None


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (`share` in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def figures(repo: Repository) -> Figures:
    """Compute the figures from the tickets and messages tables."""
    rows = (
        await repo.session.execute(
            select(
                Ticket.topic,
                Ticket.quartier,
                Ticket.status,
                Ticket.created_at,
                Ticket.first_reply_at,
            )
        )
    ).all()
    opened_topic: Counter[str] = Counter()
    closed_topic: Counter[str] = Counter()
    opened_quartier: Counter[str] = Counter()
    closed_quartier: Counter[str] = Counter()
    delays = []
    for topic, quartier, status, created_at, first_reply_at in rows:
        opened_topic[topic or UNKNOWN] += 1
        opened_quartier[quartier or UNKNOWN] += 1
        if status == "closed":
            closed_topic[topic or UNKNOWN] += 1
            closed_quartier[quartier or UNKNOWN] += 1
        if first_reply_at is not None:
            delays.append((first_reply_at - created_at).total_seconds() / 60)
    inbound = select(func.count()).select_from(Message).where(Message.direction == "in")
    questions = (await repo.session.execute(inbound)).scalar_one()
    handed = (
        await repo.session.execute(inbound.where(Message.ticket_id.is_not(None)))
    ).scalar_one()
    return Figures(
        opened_by_topic=dict(opened_topic.most_common()),
        closed_by_topic=dict(closed_topic.most_common()),
        opened_by_quartier=dict(opened_quartier.most_common()),
        closed_by_quartier=dict(closed_quartier.most_common()),
        first_reply_median_minutes=statistics.median(delays) if delays else None,
        first_reply_p90_minutes=percentile(delays, 0.9),
        questions=questions,
        answered_by_bot=questions - handed,
    )


def rows(result: Figures) -> list[tuple[str, str]]:
    """The figures as (label, value) lines, for the inbox page and the command line."""
    lines = []
    for kind, opened, closed in (
        ("Thème", result.opened_by_topic, result.closed_by_topic),
        ("Quartier", result.opened_by_quartier, result.closed_by_quartier),
    ):
        lines += [
            (f"{kind} {name}, tickets ouverts / clos", f"{count} / {closed.get(name, 0)}")
            for name, count in opened.items()
        ]
    lines.append(("Première réponse, médiane", _minutes(result.first_reply_median_minutes)))
    lines.append(("Première réponse, 90e centile", _minutes(result.first_reply_p90_minutes)))
    share = "—" if result.bot_share is None else f"{result.bot_share:.0%}"
    lines.append(
        (
            "Questions répondues par le bot",
            f"{share} ({result.answered_by_bot} sur {result.questions})",
        )
    )
    return lines


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} min"
