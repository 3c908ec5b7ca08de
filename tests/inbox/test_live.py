"""Inbox and group stay in step: lists poll their rows, actions on either side show on the other."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.mediation.group import handle_group_message
from bot.messages import GroupMessage
from bot.store.models import OutboxItem
from tests.inbox.gateway import CSRF, Gateway, running_gateway

GROUP = -1001234567890
RESIDENT = "+33612345642"
OTHER = "+33698765401"
VERSION = re.compile(r'data-version="([0-9a-f]+)"')


async def rows(gw: Gateway, view: str = "open") -> dict[int, str]:
    """The polled rows of a list: ticket id -> row HTML."""
    response = await gw.client.get(f"/inbox/tickets.json?view={view}")
    assert response.status == 200
    return {row["id"]: row["html"] for row in (await response.json())["rows"]}


def group_posts(gw: Gateway) -> list[str]:
    """What the gateway sent to the mediators' group, in order."""
    return [reply.text for to, reply in gw.sent if to.value == str(GROUP)]


async def test_list_polling_shows_new_tickets_and_new_resident_messages(tmp_path):
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        await gw.login("Anne")
        page = await (await gw.client.get("/inbox/?view=open")).text()
        assert 'data-poll="/inbox/tickets.json?view=open&amp;topic=&amp;quartier="' in page
        assert 'role="status" aria-live="polite"' in page
        first = await rows(gw)
        assert list(first) == [1] and "+33 6 •• •• •• 42" in first[1]
        assert VERSION.search(first[1]).group(1) in page  # the page and the poll agree

        await gw.resident_says(OTHER, "je voudrais parler a quelqu'un")
        second = await rows(gw)
        assert list(second) == [2, 1] and second[1] == first[1]  # newest first, #1 unchanged

        await gw.resident_says(RESIDENT, "c'est pour la CAF")
        third = await rows(gw)
        assert third[2] == second[2] and "2 messages" in third[1]
        assert VERSION.search(third[1]).group(1) != VERSION.search(first[1]).group(1)
        assert RESIDENT not in str(third) and await rows(gw, "mine") == {}
        assert (await gw.client.get("/inbox/tickets.json?view=weird")).status == 200


async def test_inbox_actions_are_announced_in_the_group(tmp_path):
    async with running_gateway(tmp_path, mediators_chat_id=GROUP) as gw:
        await gw.add_mediator("Anne")
        await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        assert any(p.startswith("Nouveau ticket #1") for p in group_posts(gw))
        await gw.login("Anne")
        csrf = CSRF.search(await (await gw.client.get("/inbox/tickets/1")).text()).group(1)

        await gw.client.post("/inbox/tickets/1/take", data={"csrf": csrf})
        reply = {"csrf": csrf, "text": "Je regarde votre dossier."}
        await gw.client.post("/inbox/tickets/1/reply", data=reply)
        await gw.client.post("/inbox/tickets/1/close", data={"csrf": csrf})
        await gw.flush()
        posts = group_posts(gw)
        assert set(posts[-3:]) == {  # the background worker may send a post before the flush
            "#1 pris en charge par Anne.",
            "#1 Réponse de Anne (messagerie web): Je regarde votre dossier.",
            "#1 clos par Anne; l'habitant est prévenu.",
        }
        assert all(RESIDENT not in p for p in posts)

        page = await (await gw.client.post("/inbox/tickets/1/take", data={"csrf": csrf})).text()
        assert "Ce ticket était déjà clos." in page
        polled = await (await gw.client.get("/inbox/tickets/1/messages.json")).json()
        assert polled["status"] == "closed"  # taking a closed ticket does not reopen it
        await gw.flush()
        assert len(group_posts(gw)) == len(posts)  # nothing to announce, nothing reopened


async def test_group_commands_show_in_the_inbox_and_answers_in_the_group_thread(tmp_path):
    async with running_gateway(tmp_path, mediators_chat_id=GROUP) as gw:
        await gw.add_mediator("Anne")
        await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        await gw.login("Anne")
        csrf = CSRF.search(await (await gw.client.get("/inbox/tickets/1")).text()).group(1)
        await gw.client.post("/inbox/tickets/1/reply", data={"csrf": csrf, "text": "Bonjour."})
        await gw.flush()
        async with gw.runtime.database.session() as session:
            query = select(OutboxItem).where(OutboxItem.channel == "telegram")
            answer = (await session.execute(query.order_by(OutboxItem.id.desc()))).scalars().first()
            answer_post = answer.platform_id
        assert answer_post  # the inbox answer was posted to the group

        def said(text: str, message_id: str) -> GroupMessage:
            return GroupMessage(GROUP, message_id, text, "Yann", reply_to=answer_post)

        await handle_group_message(
            gw.runtime.engine, said("/prendre", "g1")
        )  # a reply to that post
        polled = await (await gw.client.get("/inbox/tickets/1/messages.json?after=0")).json()
        assert (polled["state"], polled["assigned_to"]) == ("pris en charge", "Yann")
        assert "Yann" in (await rows(gw))[1]

        await handle_group_message(gw.runtime.engine, said("/clore", "g2"))
        await gw.flush()
        assert await rows(gw) == {} and "clos" in (await rows(gw, "all"))[1]
        polled = await (await gw.client.get("/inbox/tickets/1/messages.json?after=0")).json()
        assert (
            polled["status"] == "closed"
            and "traitée par l'équipe" in polled["messages"][-1]["text"]
        )
        assert group_posts(gw)[-1] == "#1 clos par Yann; l'habitant est prévenu."
