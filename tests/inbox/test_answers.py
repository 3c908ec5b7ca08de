"""The inbox's limits on the server: a mediator's answer too long is refused, plainly."""

from __future__ import annotations

import re

from bot.mediation.tickets import MAX_ANSWER
from tests.inbox.gateway import CSRF, running_gateway

RESIDENT = "+33612345642"


async def test_an_answer_over_the_limit_is_refused_and_nothing_leaves(tmp_path):
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        await gw.login("Anne")
        listing = await (await gw.client.get("/inbox/?view=open")).text()
        ticket = re.search(r'href="/inbox/tickets/(\d+)"', listing).group(1)
        page = await (await gw.client.get(f"/inbox/tickets/{ticket}")).text()
        csrf, before = CSRF.search(page).group(1), len(gw.sent)
        too_long = {"csrf": csrf, "text": "x" * (MAX_ANSWER + 1)}
        response = await gw.client.post(f"/inbox/tickets/{ticket}/reply", data=too_long)
        assert response.status == 400
        assert "trop longue" in await response.text()
        await gw.flush()
        assert len(gw.sent) == before
        just_right = {"csrf": csrf, "text": "y" * MAX_ANSWER}
        response = await gw.client.post(f"/inbox/tickets/{ticket}/reply", data=just_right)
        assert response.status == 200
        await gw.flush()
        assert "y" * MAX_ANSWER in gw.sent[-1][1].text
