"""The inbox under attack: login lockout, bad forms, escaped resident text, headers."""

from __future__ import annotations

import re

from bot.store.lockout import ACCOUNT_FAILURES, ADDRESS_FAILURES
from tests.inbox.gateway import CSRF, PASSWORD, running_gateway

RESIDENT = "+33612345642"


async def attempt(gw, name: str, password: str, address: str = "192.0.2.1"):  # noqa: ANN001, ANN201
    page = await (await gw.client.get("/inbox/login")).text()
    form = {"csrf": CSRF.search(page).group(1), "name": name, "password": password}
    headers = {"X-Forwarded-For": address}  # the test client is a proxy on loopback
    return await gw.client.post("/inbox/login", data=form, headers=headers)


async def test_an_account_is_locked_after_five_wrong_passwords(tmp_path) -> None:
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        await gw.add_mediator("Bob")
        for _ in range(ACCOUNT_FAILURES):
            assert (await attempt(gw, "Anne", "guess")).status == 401
        locked = await attempt(gw, "anne", PASSWORD, address="198.51.100.7")
        assert locked.status == 429
        assert "Réessayez dans 15 minutes" in await locked.text()
        assert locked.headers["Retry-After"] == "900"
        assert "Se déconnecter" in await (await attempt(gw, "Bob", PASSWORD)).text()


async def test_an_address_trying_many_accounts_is_locked(tmp_path) -> None:
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        for n in range(ADDRESS_FAILURES):
            assert (await attempt(gw, f"user{n}", "guess", "203.0.113.9")).status == 401
        assert (await attempt(gw, "Anne", PASSWORD, "203.0.113.9")).status == 429
        assert (await attempt(gw, "Anne", PASSWORD, "203.0.113.10")).status == 200


LOGIN_FORMS = [
    ("empty body", b"", "application/x-www-form-urlencoded", 403),
    ("1 MB body", b"name=" + b"a" * 1_000_000, "application/x-www-form-urlencoded", 413),
    ("invalid UTF-8", b"name=Ann\xe9\xff&password=x", "application/x-www-form-urlencoded", 400),
    ("JSON", b'{"name": "Anne"}', "application/json", 403),
]


async def test_bad_login_forms_get_a_clear_4xx(tmp_path) -> None:
    async with running_gateway(tmp_path) as gw:
        for label, body, content_type, status in LOGIN_FORMS:
            headers = {"Content-Type": content_type}
            response = await gw.client.post("/inbox/login", data=body, headers=headers)
            assert response.status == status, label


async def test_resident_html_and_sql_are_escaped_and_pages_are_never_cached(tmp_path) -> None:
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        await gw.resident_says(RESIDENT, "je voudrais parler a quelqu'un")
        await gw.resident_says(RESIDENT, '<script>alert("x")</script><img src=x onerror=1>')
        await gw.resident_says(RESIDENT, "'; DROP TABLE tickets; --")
        await gw.login("Anne")
        page = await gw.client.get("/inbox/tickets/1")
        html = await page.text()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img" in html
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&#x27;; DROP TABLE tickets; --" in html
        listing = await (await gw.client.get("/inbox/")).text()
        assert "<script>alert" not in listing
        csrf = CSRF.search(html).group(1)
        forged = await gw.client.post("/inbox/tickets/1/close", data={"csrf": "x" + csrf})
        polled = await gw.client.get("/inbox/tickets/1/messages.json")
        for response in (page, forged, polled):
            headers = response.headers
            assert headers["Cache-Control"] == "no-store", response.url
            csp = headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
            assert headers["X-Frame-Options"] == "DENY"
            assert headers["X-Content-Type-Options"] == "nosniff"
        assert forged.status == 403
        assert re.search(r"<script[^>]*>[^<]", html) is None  # no inline script at all
