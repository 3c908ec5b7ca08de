"""The hand-off seen from the resident's side: told what happens and when, never silence,
told who answers and when it is late, back to the bot with MENU, closed when idle.
On SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.models import Ticket
from tests.conversations.conftest import text_of


async def ticket_of(r) -> Ticket:  # noqa: ANN001 - a Resident
    async with r.runtime.database.session() as session:
        return (await session.execute(select(Ticket))).scalars().one()


async def test_menu_4_asks_the_subject_and_the_mediators_never_get_just_4(
    anywhere,
) -> None:
    async with anywhere() as r:
        await r.says("bonjour")
        opened = await r.says("4")
        subject = await r.says("c pour ma fille elle a perdu sa carte vitale")
        ticket = await ticket_of(r)
    assert "quelques mots" in text_of(opened) and "répondre" in text_of(opened)
    assert opened.group_posts and "Résumé: 4" not in opened.group_posts[0]
    assert ticket.summary == "Parler à une personne"
    assert subject.group_posts == ("#1 Habitant: c pour ma fille elle a perdu sa carte vitale",)
    assert "transmis" in text_of(subject)  # the first further message is acknowledged


async def test_nothing_is_met_with_silence_while_a_ticket_is_open(anywhere) -> None:
    async with anywhere("telegram") as r:
        await r.says("je voudrais qu'un médiateur me contacte svp")
        turns = [await r.says(text) for text in ("c pour la caf", "1", "allo ya quelquun ??")]
    assert all(turn.group_posts for turn in turns)  # every message reaches the mediators
    assert turns[0].replies and turns[2].replies  # acknowledged, and again when asked


async def test_the_resident_learns_who_took_the_ticket_and_gets_the_answer(
    anywhere,
) -> None:
    async with anywhere() as r:
        await r.says("je veux parler a un humain svp c pour un courrier que je comprend pas")
        taken = await r.mediator_says("/prendre")
        answered = await r.mediator_says("Bonjour, passez demain à 10h avec le courrier.")
    assert "Morgane" in text_of(taken) and "s'occupe de votre demande" in text_of(taken)
    assert "passez demain à 10h" in text_of(answered)


async def test_menu_brings_the_bot_back_and_keeps_the_ticket(anywhere) -> None:
    async with anywhere() as r:
        await r.says("je veux parler a quelqu'un")
        menu = await r.says("menu")
        place = await r.says("ou imprimer a kerourien")
        ticket = await ticket_of(r)
    assert menu.replies[0].choices and not menu.group_posts
    assert "Kerourien" in text_of(place) or "à " in text_of(place)
    assert not place.group_posts
    assert ticket.status == "open" and ticket.left_at is not None


async def test_a_late_answer_is_told_with_a_place_that_helps(anywhere) -> None:
    async with anywhere() as r:
        await r.says("jhabite a pontanezen, jarrive pas a faire ma declaration caf")
        await r.says("je veux parler a quelqu'un")
        early = await r.follow_up_tickets()
        r.later(hours=8)  # past the end of the mediators' day (17:00)
        late = await r.follow_up_tickets()
        again = await r.follow_up_tickets()
    assert not early.replies
    assert late.replies[0].key == "ticket.late" and late.replies[1].key == "place.card"
    assert not again.replies  # told once


async def test_an_idle_ticket_is_closed_and_the_resident_told_how_to_come_back(
    anywhere,
) -> None:
    async with anywhere() as r:
        await r.says("je veux parler a quelqu'un")
        await r.mediator_says("Bonjour, je regarde et je reviens vers vous.")
        r.later(days=6)
        kept = await r.follow_up_tickets()
        r.later(days=2)
        closed = await r.follow_up_tickets()
        ticket = await ticket_of(r)
    assert not kept.replies
    assert closed.replies[0].key == "ticket.idle_closed" and "PERSONNE" in closed.replies[0].text
    assert ticket.status == "closed"
