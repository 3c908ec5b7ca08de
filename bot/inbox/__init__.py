"""The mediators' web inbox at /inbox: a sub-application with its own middlewares."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from aiohttp import web

from bot.inbox import auth, curation, media
from bot.inbox.context import INBOX, Inbox
from bot.inbox.passwords import PASSWORD_CHECKS, PasswordChecks
from bot.inbox.views import routes
from bot.mediation.group import follow_up

STATIC = Path(__file__).parent / "static"
FOLLOW_UP = web.AppKey("follow_up", asyncio.Task)


def mount(app: web.Application, settings_key: web.AppKey, runtime_key: web.AppKey) -> None:
    """Mount the inbox under /inbox of the gateway's application."""
    inbox = web.Application(middlewares=[auth.security, auth.authenticated])
    inbox[INBOX] = Inbox(app[settings_key], lambda: app[runtime_key])
    inbox[PASSWORD_CHECKS] = PasswordChecks()
    inbox.router.add_get("/login", auth.login_form)
    inbox.router.add_post("/login", auth.login)
    inbox.router.add_post("/logout", auth.logout)
    inbox.router.add_static("/static/", STATIC)
    inbox.add_routes(routes)
    inbox.add_routes(media.routes)
    inbox.add_routes(curation.routes)
    inbox.on_startup.append(_start_follow_up)
    inbox.on_shutdown.append(_stop_follow_up)
    app.add_subapp("/inbox", inbox)
    app.router.add_get("/inbox", _to_inbox)


async def _to_inbox(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/inbox/")


async def _start_follow_up(inbox: web.Application) -> None:
    # Sub-applications start after the gateway's runtime, and shut down before it stops.
    inbox[FOLLOW_UP] = asyncio.get_running_loop().create_task(follow_up(inbox[INBOX].runtime()))


async def _stop_follow_up(inbox: web.Application) -> None:
    inbox[FOLLOW_UP].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await inbox[FOLLOW_UP]
