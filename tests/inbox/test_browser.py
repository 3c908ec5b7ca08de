"""The inbox in real headless Chromium: login, live list, reply, live transcript, close, CSRF."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.inbox.gateway import PASSWORD, running_gateway

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
RESIDENT = "+33612345642"
OTHER = "+33698765401"

pytestmark = pytest.mark.browser


async def test_a_mediator_answers_and_closes_from_a_phone(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    async with running_gateway(tmp_path) as gw, async_playwright() as playwright:
        await gw.add_mediator("Anne")
        await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        await gw.resident_says(RESIDENT, "c'est pour la CAF, je n'arrive pas a me connecter")
        base = str(gw.client.make_url("/inbox/"))
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport=PHONE)

        await page.goto(base)
        await page.get_by_label("Nom").fill("Anne")
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()
        ticket = page.get_by_role("link", name="#1")
        await expect(ticket).to_be_visible()
        await expect(page.locator(".tickets")).to_contain_text("+33 6 •• •• •• 42")

        await ticket.focus()  # a keyboard user is on #1 while the list updates by itself
        await gw.resident_says(OTHER, "je voudrais parler a quelqu'un")
        await expect(page.get_by_role("link", name="#2")).to_be_visible()
        await expect(page.get_by_role("status")).to_have_text("Nouveau : #2.")
        await gw.resident_says(RESIDENT, "vous avez vu mon message ?")
        await expect(page.locator("li[data-id='1']")).to_contain_text("3 messages")
        await expect(page.get_by_role("status")).to_have_text("Mis à jour : #1.")
        await expect(ticket).to_be_focused()
        await page.keyboard.press("Enter")

        await expect(page.locator("#transcript")).to_contain_text("je n'arrive pas a me connecter")
        await page.screenshot(path=str(ARTIFACTS / "inbox-ticket-phone.png"), full_page=True)
        await page.get_by_label("Votre réponse").fill("Je vous appelle cet apres-midi.")
        await page.get_by_role("button", name="Envoyer").click()
        await expect(page.get_by_role("status")).to_have_text("Réponse envoyée.")
        await gw.flush()
        assert gw.sent[-1][0].value == RESIDENT
        assert gw.sent[-1][1].text.startswith("Je vous appelle cet apres-midi.")

        await gw.resident_says(RESIDENT, "merci beaucoup")  # appears without reloading
        await expect(page.locator("#transcript li").last).to_contain_text("merci beaucoup")

        forged = page.locator("form[action$='/close'] input[name=csrf]")
        await forged.evaluate("input => { input.value = 'forged' }")
        await page.get_by_role("button", name="Clore").click()
        await expect(page.locator("body")).to_contain_text("CSRF token missing or wrong")
        await page.go_back()
        await page.reload()
        await page.get_by_role("button", name="Clore").click()
        await expect(page.get_by_role("status")).to_contain_text("Ticket clos")
        await gw.flush()
        assert "traitée par l'équipe" in gw.sent[-1][1].text
        assert RESIDENT not in await page.content()
        await browser.close()
