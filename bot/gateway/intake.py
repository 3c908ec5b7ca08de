"""What every request must be before it is stored: a small UTF-8 body, ids that fit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware

if TYPE_CHECKING:
    from bot.messages import InboundMessage

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_PLATFORM_ID = 100  # the column's size; Twilio's SIDs are 34, Telegram's ids 10 digits
MAX_ADDRESS = 64  # an E.164 number is 16 at most, a Telegram chat id 20


class Unstorable(ValueError):
    """An inbound message that no retry could store: the request is refused with 400."""


def check_storable(inbound: InboundMessage) -> None:
    """Refuse ids too long to store before they reach the database (which would refuse
    them at every retry, and on PostgreSQL look like an outage)."""
    if not 0 < len(inbound.platform_id) <= MAX_PLATFORM_ID:
        raise Unstorable("message id missing or too long")
    if not 0 < len(inbound.address.value) <= MAX_ADDRESS:
        raise Unstorable("sender missing or too long")


def bounded_body(body_timeout: float) -> Middleware:
    """The middleware that refuses bodies too big, too slow or not UTF-8."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        """413 at once when Content-Length is over the limit; 408 for a body slower than
        `body_timeout`; 400 for a body that is not UTF-8.

        aiohttp's own limit (client_max_size) applies while reading, to chunked bodies too;
        a declared length over it is refused here without reading a byte of it."""
        limit = request.client_max_size
        if request.content_length is not None and request.content_length > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
        if request.body_exists:
            try:  # read now, with a deadline; handlers then get it from memory
                async with asyncio.timeout(body_timeout):
                    await request.read()
            except TimeoutError:
                raise web.HTTPRequestTimeout(text="the request body came too slowly\n") from None
        try:
            return await handler(request)
        except UnicodeDecodeError:  # a form or JSON body in another encoding, or corrupt
            raise web.HTTPBadRequest(text="the request body is not valid UTF-8\n") from None
        except RecursionError:  # JSON nested thousands deep, a reply chain hundreds long
            raise web.HTTPBadRequest(text="the request body is nested too deep\n") from None
        except Unstorable as error:
            raise web.HTTPBadRequest(text=f"{error}\n") from None

    return middleware
