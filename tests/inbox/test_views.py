"""The web inbox over HTTP: sessions, CSRF, lists, reply, take, close, FAQ, figures."""

from __future__ import annotations

import re

from tests.inbox.gateway import CSRF, running_gateway

RESIDENT = "+33612345642"


async def test_sms_question_reaches_inbox_and_the_answer_reaches_the_resident(tmp_path):
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        told = await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        assert any("Une personne va vous répondre" in t for t in told)
        [acknowledged] = await gw.resident_says(RESIDENT, "c'est pour mon dossier caf")
        assert "transmis" in acknowledged
        await gw.login("Anne")

        listing = await (await gw.client.get("/inbox/?view=open")).text()
        assert "+33 6 •• •• •• 42" in listing and RESIDENT not in listing
        ticket = re.search(r'href="/inbox/tickets/(\d+)"', listing).group(1)
        page = await (await gw.client.get(f"/inbox/tickets/{ticket}")).text()
        assert "dossier caf" in page and RESIDENT not in page  # second message attached

        csrf = CSRF.search(page).group(1)
        reply = {"csrf": csrf, "text": "Bonjour, passez mardi a la mairie de quartier."}
        response = await gw.client.post(f"/inbox/tickets/{ticket}/reply", data=reply)
        assert response.status == 200
        await gw.flush()
        assert gw.sent[-1][0].value == RESIDENT
        assert gw.sent[-1][1].text.startswith("Bonjour, passez mardi")
        assert "Anne" in gw.sent[-1][1].text

        mine = await (await gw.client.get("/inbox/?view=mine")).text()
        assert f"/inbox/tickets/{ticket}" in mine  # replying took the ticket

        await gw.client.post(f"/inbox/tickets/{ticket}/faq", data={"csrf": csrf})
        await gw.client.post(f"/inbox/tickets/{ticket}/close", data={"csrf": csrf})
        await gw.flush()
        assert "traitée par l'équipe" in gw.sent[-1][1].text
        told = await gw.resident_says(RESIDENT, "bonjour")
        assert told and "Une personne" not in told[0]  # the bot answers again

        stats = await (await gw.client.get("/inbox/stats")).text()
        assert "Première réponse, médiane" in stats and RESIDENT[-2:] + "<" not in stats


async def test_forms_without_the_csrf_token_are_refused(tmp_path):
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        await gw.login("Anne")
        response = await gw.client.post("/inbox/tickets/1/close", data={"csrf": "forged"})
        assert response.status == 403
        assert (await gw.client.post("/inbox/logout", data={})).status == 403
        login = await gw.client.post("/inbox/login", data={"name": "Anne", "password": "x"})
        assert login.status == 403


async def test_pages_need_a_session_and_carry_security_headers(tmp_path):
    async with running_gateway(tmp_path) as gw:
        response = await gw.client.get("/inbox/", allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/inbox/login"
        assert (await gw.client.get("/inbox/tickets/1/messages.json")).status == 401
        login = await gw.client.get("/inbox/login")
        assert "frame-ancestors 'none'" in login.headers["Content-Security-Policy"]
        assert login.headers["Cache-Control"] == "no-store"
        cookie = login.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


async def test_wrong_password_and_logout(tmp_path):
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        page = await (await gw.client.get("/inbox/login")).text()
        form = {"csrf": CSRF.search(page).group(1), "name": "Anne", "password": "wrong one"}
        assert (await gw.client.post("/inbox/login", data=form)).status == 401
        await gw.login("Anne")
        page = await (await gw.client.get("/inbox/")).text()
        await gw.client.post("/inbox/logout", data={"csrf": CSRF.search(page).group(1)})
        response = await gw.client.get("/inbox/", allow_redirects=False)
        assert response.status == 303


async def test_tickets_for_my_topics_come_first_and_new_messages_are_polled(tmp_path):
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        await gw.resident_says("+33600000001", "je voudrais parler a quelqu'un")
        await gw.login("Anne")
        page = await (await gw.client.get("/inbox/me")).text()
        form = {"csrf": CSRF.search(page).group(1), "topics": "Caf, impots", "quartiers": ""}
        saved = await (await gw.client.post("/inbox/me", data=form)).text()
        assert 'value="caf, impots"' in saved
        polled = await (await gw.client.get("/inbox/tickets/1/messages.json?after=0")).json()
        last = polled["messages"][-1]["id"]
        await gw.resident_says("+33600000001", "vous etes la ?")
        polled = await (await gw.client.get(f"/inbox/tickets/1/messages.json?after={last}")).json()
        texts = [m["text"] for m in polled["messages"]]
        assert texts[0] == "vous etes la ?" and all("transmis" in t for t in texts[1:])
