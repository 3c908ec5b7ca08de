"""/public in real headless Chromium: server-rendered figures, readable on a phone, CSV link."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.inbox.gateway import running_gateway
from tests.public.figures import seed

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
SCREENSHOT = Path(__file__).resolve().parent.parent.parent / "docs" / "public.png"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


async def test_public_figures_render_without_javascript(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    async with running_gateway(tmp_path) as gw, async_playwright() as playwright:
        await seed(gw.runtime.database, gw.now)
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # JavaScript off: everything shown must come from the server.
        context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
        page = await context.new_page()
        await page.goto(str(gw.client.make_url("/public")))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Aide numérique")
        questions = page.get_by_role("table").first
        await expect(questions).to_contain_text("CAF")
        await expect(questions).to_contain_text("Bellevue")
        await expect(page.locator("body")).not_to_contain_text("Saint-Marc")  # 2 people
        await expect(page.locator("body")).to_contain_text("89%")
        await expect(page.locator("body")).to_contain_text("30 min")
        await expect(page.locator("body")).to_contain_text("Kérédern")
        await page.screenshot(path=str(ARTIFACTS / "public-phone.png"), full_page=True)
        desktop = await browser.new_page(viewport={"width": 1000, "height": 900})
        await desktop.goto(str(gw.client.make_url("/public")))
        await desktop.screenshot(path=str(SCREENSHOT), full_page=True)
        async with page.expect_download() as download:
            await page.get_by_role("link", name="Télécharger ces chiffres (CSV)").click()
        saved = tmp_path / "public.csv"
        await (await download.value).save_as(saved)
        assert "questions,2026-11,CAF,Bellevue,7" in saved.read_text(encoding="utf-8")
        await browser.close()


async def test_public_csv_over_http(tmp_path):
    async with running_gateway(tmp_path) as gw:
        await seed(gw.runtime.database, gw.now)
        response = await gw.client.get("/public.csv")
        assert response.status == 200 and response.content_type == "text/csv"
        assert "repondu_par_le_bot,2026-11,,,89%" in await response.text()
