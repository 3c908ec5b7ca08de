"""Inbox accounts and sessions: argon2 passwords, server-side sessions, CSRF, headers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import cache

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.inbox.context import CSRF, INBOX, MEDIATOR, open_repo
from bot.inbox.lockout import LOGIN_GUARD, client_address
from bot.inbox.pages import login_page

SESSION_COOKIE = "aig_session"
LOGIN_COOKIE = "aig_login"  # double-submit token for the login form, before any session
SESSION_LIFETIME = timedelta(hours=12)
PUBLIC = ("/inbox/login", "/inbox/static/")
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# argon2id at OWASP's recommended minimum (19 MiB, 2 passes): the library default (64 MiB)
# would more than double the gateway's memory while a mediator logs in.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return HASHER.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Check a password against its hash (or against a decoy when there is no account)."""
    try:
        return HASHER.verify(password_hash or unknown_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@cache
def unknown_hash() -> str:
    """A decoy hash: verifying against it when the name is unknown takes as long as a real check."""
    # Made on the first login, not at import: hashing fills argon2's memory, which would
    # raise the gateway's peak even when nobody ever logs in.
    return HASHER.hash(secrets.token_urlsafe(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers on every inbox response; personal-data pages are never stored by the browser."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
        _headers(request, response)
        raise
    _headers(request, response)
    return response


def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)
    if not request.path.startswith("/inbox/static/"):
        response.headers["Cache-Control"] = "no-store"


@web.middleware
async def authenticated(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Find the mediator behind the session cookie; check the CSRF token of every POST."""
    if request.path.startswith(PUBLIC):
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    async with open_repo(request) as repo:
        found = (
            await repo.live_session(token_hash(token), request.app[INBOX].now()) if token else None
        )
    if found is None:
        if request.path.endswith(".json"):
            raise web.HTTPUnauthorized(text="login needed\n")
        raise web.HTTPSeeOther("/inbox/login")
    session, mediator = found
    request[MEDIATOR], request[CSRF] = mediator, session.csrf_token
    if request.method == "POST":
        form = await request.post()
        if not hmac.compare_digest(str(form.get("csrf", "")), session.csrf_token):
            raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page\n")
    return await handler(request)


async def login_form(request: web.Request) -> web.Response:
    """The login page, with a fresh double-submit token."""
    token = secrets.token_urlsafe(32)
    response = web.Response(text=login_page(token), content_type="text/html")
    _set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login(request: web.Request) -> web.Response:
    """Check the login token and the password; open a session."""
    form = await request.post()
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf", "")), expected):
        raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page\n")
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    inbox, guard, address = request.app[INBOX], request.app[LOGIN_GUARD], client_address(request)
    until = guard.locked_until(name, address, inbox.now())
    if until is not None:  # the password is not even checked: a lockout tells nothing
        minutes = math.ceil((until - inbox.now()).total_seconds() / 60)
        error = f"Trop d'essais manqués. Réessayez dans {minutes} minutes."
        headers = {"Retry-After": str(minutes * 60)}
        page = login_page(expected, error=error)
        return web.Response(text=page, content_type="text/html", status=429, headers=headers)
    async with open_repo(request) as repo:
        mediator = await repo.mediator_named(name)
        known_hash = mediator and mediator.password_hash
        # A password check takes tens of milliseconds of CPU: keep it off the event loop.
        if not await asyncio.to_thread(password_matches, known_hash, password):
            guard.failed(name, address, inbox.now())
            page = login_page(expected, error="Nom ou mot de passe incorrect.")
            return web.Response(text=page, content_type="text/html", status=401)
        guard.succeeded(name, address)
        token = secrets.token_urlsafe(32)
        expires = inbox.now() + SESSION_LIFETIME
        await repo.add_session(mediator, token_hash(token), secrets.token_urlsafe(32), expires)
        await repo.session.commit()
    response = web.HTTPSeeOther("/inbox/")
    _set_cookie(request, response, SESSION_COOKIE, token, int(SESSION_LIFETIME.total_seconds()))
    response.del_cookie(LOGIN_COOKIE, path="/inbox")
    raise response


async def logout(request: web.Request) -> web.Response:
    """End the session on the server and in the browser."""
    async with open_repo(request) as repo:
        token = request.cookies.get(SESSION_COOKIE, "")
        await repo.end_session(token_hash(token), request.app[INBOX].now())
        await repo.session.commit()
    response = web.HTTPSeeOther("/inbox/login")
    response.del_cookie(SESSION_COOKIE, path="/inbox")
    raise response


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/inbox",
        httponly=True,
        samesite="Strict",
        secure=request.app[INBOX].secure_cookies,
    )
