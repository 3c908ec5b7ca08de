"""Ticket work shared by inbox and group: routing, reminders, FAQ suggestions, figures."""

from __future__ import annotations

from datetime import timedelta

from bot.mediation import tickets
from bot.mediation.group import MediatorsGroup
from bot.mediation.stats import figures, percentile
from bot.mediation.store import MediationRepository
from tests.harness import ConversationBot

RESIDENT = "+33612345642"


async def repo_of(bot: ConversationBot):
    session = bot.database.session()
    return session, MediationRepository(session, bot.cipher)


async def test_routing_reminder_faq_and_figures(database):
    bot = ConversationBot(database)
    await bot.say(RESIDENT, "bonjour")
    await bot.say(RESIDENT, "je voudrais parler a quelqu'un")
    await bot.say(RESIDENT, "comment declarer mes impots en ligne ?")
    session, repo = await repo_of(bot)
    async with session:
        anne = await repo.add_mediator("Anne", "x", bot.now)
        ticket = (await repo.tickets("open"))[0]
        ticket.topic = "impots"
        anne.topics = ["impots"]
        card = await tickets.card(repo, ticket, bot.now, timedelta(hours=1), [anne])
        assert card.for_mediators == ("Anne",) and card.masked_address == "+33 6 •• •• •• 42"

        group = MediatorsGroup(-100, timedelta(hours=1))
        assert await group.remind(repo, bot.now + timedelta(minutes=30)) == 0
        assert await group.remind(repo, bot.now + timedelta(hours=2)) == 1
        assert await group.remind(repo, bot.now + timedelta(hours=3)) == 0  # announced once

        assert await tickets.suggest_for_faq(repo, ticket, "Anne", bot.now) is None
        later = bot.now + timedelta(minutes=20)
        await tickets.answer(
            repo,
            bot.engine.knowledge.content,
            ticket,
            "Sur impots.gouv.fr",
            "Anne",
            later,
        )
        suggestion = await tickets.suggest_for_faq(repo, ticket, "Anne", later)
        assert suggestion.answer == "Sur impots.gouv.fr"
        assert "declarer mes impots" in suggestion.question
        await session.commit()

        result = await figures(repo)
        assert result.opened_by_topic == {"impots": 1}
        assert result.first_reply_median_minutes == 20
        assert result.questions == 3 and result.answered_by_bot == 1


async def test_actions_are_announced_in_the_group_and_map_back_to_the_ticket(database):
    bot = ConversationBot(database)
    await bot.say(RESIDENT, "je voudrais parler a quelqu'un")
    group, content = (
        MediatorsGroup(-100, timedelta(hours=1)),
        bot.engine.knowledge.content,
    )
    session, repo = await repo_of(bot)
    async with session:
        ticket = (await repo.tickets("open"))[0]
        assert await tickets.take(repo, ticket, "Anne", bot.now, group)
        await tickets.answer(repo, content, ticket, "Passez mardi.", "Anne", bot.now, group)
        await tickets.answer(repo, content, ticket, "Sans écho.", "Yann", bot.now)  # from the group
        assert await tickets.close(repo, content, ticket, "Anne", bot.now, group)
        assert not await tickets.take(repo, ticket, "Yann", bot.now, group)
        assert not await tickets.close(repo, content, ticket, "Yann", bot.now, group)
        assert (ticket.status, ticket.assigned_to) == ("closed", "Anne")
        await session.commit()
    await bot.flush()
    # CapturingSender gives each sent message the id `<channel>-<its rank in bot.sent>`
    posts = {f"telegram-{n}": r.text for n, (to, r) in enumerate(bot.sent, 1) if to.value == "-100"}
    assert list(posts.values()) == [
        "#1 pris en charge par Anne.",
        "#1 Réponse de Anne (messagerie web): Passez mardi.",
        "#1 clos par Anne; l'habitant est prévenu.",
    ]
    session, repo = await repo_of(bot)
    async with session:
        for post_id in posts:  # a mediator replying to any of them reaches the ticket
            assert (await repo.ticket_of_post("telegram", post_id)).id == ticket.id


def test_percentile_is_nearest_rank():
    assert percentile([], 0.9) is None
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([5.0], 0.9) == 5.0
