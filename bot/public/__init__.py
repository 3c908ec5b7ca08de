"""The public page of anonymous figures: /public (HTML rendered on the server) and /public.csv.

Figures come from bot.public.store; no personal data, no cell under 5 people.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from bot.public.page import csv_text, html_page
from bot.public.store import public_figures


def mount(app: web.Application, runtime_key: web.AppKey, clock: Callable[[], datetime]) -> None:
    """Serve GET /public and GET /public.csv from the gateway's database and content."""

    async def figures(request: web.Request):  # type: ignore[no-untyped-def]
        runtime = request.app[runtime_key]
        async with runtime.database.session() as session:
            found = await public_figures(session, clock())
        return found, runtime.engine.content

    async def page(request: web.Request) -> web.Response:
        found, content = await figures(request)
        return web.Response(text=html_page(found, content, clock()), content_type="text/html")

    async def table(request: web.Request) -> web.Response:
        found, content = await figures(request)
        headers = {"Content-Disposition": 'attachment; filename="aiguillage-public.csv"'}
        return web.Response(
            text=csv_text(found, content), content_type="text/csv", charset="utf-8", headers=headers
        )

    app.router.add_get("/public", page)
    app.router.add_get("/public.csv", table)
