"""The client's address, as the first proxy we do not trust saw it (TRUSTED_PROXIES)."""

from __future__ import annotations

import ipaddress
from functools import cache

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: web.Request, trusted: tuple[str, ...]) -> str:
    """The connection's address, unless it is a trusted proxy: then the address that proxy
    forwarded (the last of X-Forwarded-For), and so on while that one is trusted too.
    A header from anyone else is ignored: it is the client's to write."""
    address = request.remote or "unknown"
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")]
    forwarded = [a for a in forwarded if a]
    while forwarded and is_trusted(address, trusted):
        address = forwarded.pop()
    return address


def is_trusted(address: str, trusted: tuple[str, ...]) -> bool:
    """Is this address one of the trusted proxies' (a CIDR list)?"""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


@cache
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted)
