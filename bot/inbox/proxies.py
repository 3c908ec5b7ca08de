"""The client's address, as the reverse proxy in front of the gateway saw it."""

from __future__ import annotations

from aiohttp import web

LOCAL_PROXY = ("127.0.0.1", "::1")


def client_address(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this host, the one it forwarded."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if request.remote in LOCAL_PROXY and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()  # the address the proxy itself saw
    return request.remote or "unknown"
