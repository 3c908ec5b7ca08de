"""The mediators' web inbox at /inbox: a sub-application with its own middlewares."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar, cast

from aiohttp import web

from bot.config import Settings
from bot.inbox import auth, curation, media
from bot.inbox.context import INBOX, Gateway, Inbox
from bot.inbox.passwords import PASSWORD_CHECKS, PasswordChecks
from bot.inbox.views import routes

STATIC = Path(__file__).parent / "static"


G = TypeVar("G", bound=Gateway)


def mount(
    app: web.Application, settings_key: web.AppKey[Settings], runtime_key: web.AppKey[G]
) -> None:
    """Mount the inbox under /inbox of the gateway's application."""
    inbox = web.Application(middlewares=[auth.security, auth.authenticated])
    # AppKey is invariant; the bound on G has checked that the runtime is a Gateway.
    reader = cast("web.AppKey[Gateway]", runtime_key)
    inbox[INBOX] = Inbox(app[settings_key], app, reader)
    inbox[PASSWORD_CHECKS] = PasswordChecks()
    inbox.router.add_get("/login", auth.login_form)
    inbox.router.add_post("/login", auth.login)
    inbox.router.add_post("/logout", auth.logout)
    inbox.router.add_static("/static/", STATIC)
    inbox.add_routes(routes)
    inbox.add_routes(media.routes)
    inbox.add_routes(curation.routes)
    app.add_subapp("/inbox", inbox)
    app.router.add_get("/inbox", _to_inbox)


async def _to_inbox(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/inbox/")
