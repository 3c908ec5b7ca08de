"""What every request body must be before a handler reads it: small enough, and UTF-8."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def bounded_body(request: web.Request, handler: Handler) -> web.StreamResponse:
    """413 at once when Content-Length is over the limit; 400 for a body that is not UTF-8.

    aiohttp's own limit (client_max_size) applies while reading, to chunked bodies too;
    a declared length over it is refused here without reading a byte of it."""
    limit = request.client_max_size
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    try:
        return await handler(request)
    except UnicodeDecodeError:  # a form or JSON body in another encoding, or corrupt
        raise web.HTTPBadRequest(text="the request body is not valid UTF-8\n") from None
