"""The public page of anonymous figures: /public (HTML rendered on the server) and /public.csv.

Figures come from bot.public.store; no personal data, no cell under 5 people.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from aiohttp import web

from bot.content import Content
from bot.public.page import csv_text, html_page
from bot.public.store import Figures, public_figures
from bot.store.db import Database


class Answering(Protocol):
    """The part of the engine the page reads: the content in use."""

    @property
    def content(self) -> Content: ...


class Source(Protocol):
    """What /public reads of the running gateway (bot.gateway.runtime.Runtime)."""

    @property
    def database(self) -> Database: ...

    @property
    def engine(self) -> Answering: ...


G = TypeVar("G", bound=Source)


def mount(app: web.Application, runtime_key: web.AppKey[G], clock: Callable[[], datetime]) -> None:
    """Serve GET /public and GET /public.csv from the gateway's database and content."""

    async def figures(request: web.Request) -> tuple[Figures, Content]:
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
