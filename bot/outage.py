"""Database outages: which errors are one, and what an HTTP request gets meanwhile.

Residents' webhooks never get here for an outage: they go to the spool (bot.gateway.spool) and
are acknowledged. The other routes (delivery reports, the inbox, /metrics) answer 503 with
Retry-After until the database is back.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import SQLAlchemyError

from bot.logs import fields
from bot.store.poison import is_outage

__all__ = ["DATABASE_ERRORS", "database_outage", "is_outage"]

log = logging.getLogger("aiguillage.server")

# OSError covers a refused or reset connection to the database and its timeouts.
DATABASE_ERRORS = (SQLAlchemyError, OSError)


@web.middleware
async def database_outage(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 with Retry-After when the database fails: nothing was acknowledged, so
    the caller sends the request again and it is stored then."""
    try:
        return await handler(request)
    except DATABASE_ERRORS as error:
        if request.transport is None or request.transport.is_closing():
            # The client left (mid-body, say): nothing to answer, and no outage to report.
            log.info("client.gone", extra=fields(path=request.path))
            raise
        log.warning(
            "database.unavailable", extra=fields(path=request.path, error=type(error).__name__)
        )
        return web.Response(
            status=503, text="database unavailable, try again\n", headers={"Retry-After": "5"}
        )
