"""The anonymous figures of /public: one row per question, and the queries that count them.

Every figure counts distinct people; a cell of fewer than MIN_PEOPLE people is never shown
(neither its count nor anything from which it could be subtracted).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, Ticket

MIN_PEOPLE = 5
MONTHS_SHOWN = 12


class PublicQuestion(Base):
    """One question a resident asked: its topic, neighbourhood and place; never its text."""

    __tablename__ = "public_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(30))  # caf, cpam... or find_place, housing_internet
    quartier: Mapped[str | None] = mapped_column(String(60))
    place_id: Mapped[str | None] = mapped_column(String(120))  # the first place given
    handed_off: Mapped[bool]
    created_at: Mapped[datetime]


async def record_question(
    session: AsyncSession,
    contact_id: int,
    when: datetime,
    topic: str,
    quartier: str | None = None,
    place_id: str | None = None,
    handed_off: bool = False,
) -> None:
    """Add one question to the public figures (the engine calls this once per answered turn)."""
    session.add(
        PublicQuestion(
            contact_id=contact_id,
            topic=topic,
            quartier=quartier,
            place_id=place_id,
            handed_off=handed_off,
            created_at=when,
        )
    )


@dataclass
class Cell:
    """Questions and distinct people of one group; shown only from MIN_PEOPLE people."""

    questions: int = 0
    people: set[int] = field(default_factory=set)

    @property
    def shown(self) -> bool:
        """May this cell be shown (at least MIN_PEOPLE different people)?"""
        return len(self.people) >= MIN_PEOPLE


@dataclass
class Figures:
    """Everything /public shows, already grouped; cells under MIN_PEOPLE are left out."""

    by_topic: list[tuple[str, str, str, int, int]]  # month, topic, quartier, questions, people
    # Shares and medians carry no head count: a month's total minus the shown cells would
    # give the size of the cells left out.
    answered: list[tuple[str, float]]  # month, share answered by the bot
    time_to_person: list[tuple[str, float]]  # month, median minutes
    places: list[tuple[str, int]]  # place id, people
    hidden: int  # cells left out because fewer than MIN_PEOPLE people


def month_of(when: datetime) -> str:
    """'2026-11' for any moment of November 2026."""
    return when.strftime("%Y-%m")


async def public_figures(session: AsyncSession, now: datetime) -> Figures:
    """The figures of the last MONTHS_SHOWN months, grouped and with small cells left out."""
    since = now - timedelta(days=31 * MONTHS_SHOWN)
    groups: dict[tuple[str, str, str], Cell] = defaultdict(Cell)
    months: dict[str, Cell] = defaultdict(Cell)
    bot_answered: dict[str, int] = defaultdict(int)
    places: dict[str, Cell] = defaultdict(Cell)
    query = select(
        PublicQuestion.contact_id, PublicQuestion.topic, PublicQuestion.quartier,
        PublicQuestion.place_id, PublicQuestion.handed_off, PublicQuestion.created_at,
    ).where(PublicQuestion.created_at >= since)  # fmt: skip
    for contact_id, topic, quartier, place_id, handed_off, created_at in await session.execute(
        query
    ):
        month = month_of(created_at)
        for cell in (groups[(month, topic, quartier or "")], months[month]):
            cell.questions += 1
            cell.people.add(contact_id)
        bot_answered[month] += not handed_off
        if place_id:
            places[place_id].questions += 1
            places[place_id].people.add(contact_id)
    waits: dict[str, list[float]] = defaultdict(list)
    waiting_people: dict[str, set[int]] = defaultdict(set)
    tickets = select(Ticket.contact_id, Ticket.created_at, Ticket.first_reply_at).where(
        Ticket.created_at >= since, Ticket.first_reply_at.is_not(None)
    )
    for contact_id, created_at, first_reply_at in await session.execute(tickets):
        if first_reply_at is None:
            continue  # the query has left these out already; this tells the type checker
        month = month_of(created_at)
        waits[month].append((first_reply_at - created_at).total_seconds() / 60)
        waiting_people[month].add(contact_id)
    shown_groups = [
        (m, t, q, c.questions, len(c.people)) for (m, t, q), c in sorted(groups.items()) if c.shown
    ]
    return Figures(
        by_topic=shown_groups,
        answered=[(m, bot_answered[m] / c.questions) for m, c in sorted(months.items()) if c.shown],
        time_to_person=[
            (m, median(waits[m]))
            for m, people in sorted(waiting_people.items())
            if len(people) >= MIN_PEOPLE
        ],
        places=sorted(
            ((p, len(c.people)) for p, c in places.items() if c.shown), key=lambda x: -x[1]
        )[:10],
        hidden=sum(not c.shown for c in groups.values()),
    )
