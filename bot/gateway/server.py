"""The aiohttp application: health, admin reload, and the routes each channel mounts."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import datetime

from aiohttp import web

from bot import __version__, inbox, metrics, public
from bot.channels import registry
from bot.channels.registry import Channel
from bot.config import Settings
from bot.conversation.engine import utcnow
from bot.gateway.intake import bounded_body
from bot.gateway.runtime import Runtime, open_core, with_worker
from bot.gateway.spool import REPLAY_SECONDS
from bot.gateway.upkeep import follow_up, upkeep
from bot.logs import fields
from bot.mediation.group import mediators_group
from bot.outage import database_outage, is_outage

log = logging.getLogger("aiguillage.server")

SETTINGS = web.AppKey("settings", Settings)
RUNTIME = web.AppKey("runtime", Runtime)
MAX_BODY = 64 * 1024  # platforms' webhooks are a few kB; anything bigger is refused with 413


def create_app(settings: Settings, clock: Callable[[], datetime] = utcnow) -> web.Application:
    """Build the application; the runtime starts with it and stops with it."""
    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[metrics.timed, bounded_body(settings.body_timeout)]
    )
    app.middlewares.append(database_outage)
    app[SETTINGS] = settings
    app.router.add_get("/healthz", healthz)
    metrics.mount(app, RUNTIME, settings.metrics_token)
    app.router.add_post("/admin/reload", admin_reload)
    channels = enabled_channels(settings)
    for channel in channels:
        channel.mount(app)
    inbox.mount(app, SETTINGS, RUNTIME)
    public.mount(app, RUNTIME, clock)
    app.cleanup_ctx.append(lambda app: _lifetime(app, channels, clock))
    return app


def enabled_channels(settings: Settings) -> list[Channel]:
    """The channels whose settings are complete; say why the others are off."""
    enabled = []
    for channel in registry.CHANNELS:
        reason = channel.disabled_reason(settings)
        if reason:
            log.warning("channel.off", extra=fields(channel=channel.NAME, reason=reason))
        else:
            log.info("channel.on", extra=fields(channel=channel.NAME))
            enabled.append(channel)
    return enabled


async def _lifetime(
    app: web.Application, channels: list[Channel], clock: Callable[[], datetime]
) -> AsyncIterator[None]:
    """Build the parts in order (core, the channels' senders on its intake, the outbox
    worker on those senders), run the background loops, and stop in reverse."""
    settings = app[SETTINGS]
    core = await open_core(settings, clock=clock, notifier=mediators_group(settings))
    async with AsyncExitStack() as stack:
        senders = {
            channel.NAME: await stack.enter_async_context(
                channel.running(app, settings, core.intake)
            )
            for channel in channels
        }
        runtime = with_worker(core, senders)
        app[RUNTIME] = runtime
        recovered = await runtime.engine.process_pending()
        loops = [
            asyncio.create_task(upkeep(runtime)),
            asyncio.create_task(follow_up(runtime)),
            asyncio.create_task(replay_spool(runtime)),
        ]
        worker = asyncio.create_task(runtime.worker.run())
        _on_sighup(runtime)
        log.info("server.started", extra=fields(version=__version__, recovered=recovered))
        yield
        for loop in loops:
            loop.cancel()
        await runtime.intake.drain()
        worker.cancel()
        for task in (*loops, worker):
            with contextlib.suppress(asyncio.CancelledError):
                await task
    await core.database.close()
    log.info("server.stopped")


async def replay_spool(runtime: Runtime) -> None:
    """Until cancelled: store what the spool keeps, in order, once the database answers."""
    while True:
        if runtime.spool is not None and runtime.spool.waiting:
            try:
                await runtime.spool.replay(runtime.intake.store_spooled, is_outage)
            except Exception:
                log.exception("spool.replay_failed")
        await asyncio.sleep(REPLAY_SECONDS)


def _on_sighup(runtime: Runtime) -> None:
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, runtime.reload_content)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers and content is loaded; 503 otherwise."""
    runtime = request.app.get(RUNTIME)
    database_ok = runtime is not None and await runtime.database.ping()
    content_ok = runtime is not None and runtime.engine.knowledge.content is not None
    body = {"status": "ok", "version": __version__, "database": database_ok, "content": content_ok}
    body["worker"] = request.app[SETTINGS].worker  # which process answered (WORKERS)
    if not (database_ok and content_ok):
        body["status"] = "unavailable"
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


async def admin_reload(request: web.Request) -> web.Response:
    """Reload the content base; needs `Authorization: Bearer $ADMIN_TOKEN`."""
    token = request.app[SETTINGS].admin_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    # surrogateescape: aiohttp keeps bytes that are not UTF-8 as surrogates (a 403, not a 500)
    if not token or not hmac.compare_digest(given.encode(errors="surrogateescape"), token.encode()):
        raise web.HTTPForbidden(text="admin token missing or wrong\n")
    problems = request.app[RUNTIME].reload_content()
    status = 422 if problems else 200
    return web.json_response({"reloaded": not problems, "problems": problems}, status=status)
