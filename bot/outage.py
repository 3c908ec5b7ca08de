"""While the database is unreachable, requests get 503 so the platforms retry later."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import SQLAlchemyError

from bot.logs import fields

log = logging.getLogger("aiguillage.server")

# OSError covers a refused or reset connection to the database and its timeouts.
DATABASE_ERRORS = (SQLAlchemyError, OSError)


@web.middleware
async def database_outage(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 with Retry-After when the database fails: nothing was acknowledged, so
    Twilio and Telegram send the webhook again and it is stored then."""
    try:
        return await handler(request)
    except DATABASE_ERRORS as error:
        log.warning(
            "database.unavailable", extra=fields(path=request.path, error=type(error).__name__)
        )
        return web.Response(
            status=503, text="database unavailable, try again\n", headers={"Retry-After": "5"}
        )
