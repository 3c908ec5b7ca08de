"""Inbox accounts and sessions: argon2 passwords, server-side sessions, CSRF, headers."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bot.inbox.context import CSRF, INBOX, MEDIATOR, open_repo
from bot.inbox.pages import login_page
from bot.inbox.passwords import PASSWORD_CHECKS, hash_password
from bot.inbox.proxies import client_address
from bot.store.lockout import count_attempt, take_back_attempt

__all__ = ["hash_password"]  # the CLI makes accounts with it

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
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
    """Count the attempt, then check the password (bounded, with no database connection
    held meanwhile); open a session."""
    form = await request.post()
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(str(form.get("csrf", "")), expected):
        raise web.HTTPForbidden(text="CSRF token missing or wrong; reload the page\n")
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    inbox = request.app[INBOX]
    address = client_address(request, inbox.settings.trusted_proxies)
    checks = request.app[PASSWORD_CHECKS]
    with checks.admitted() as admitted:
        if not admitted:  # a flood of logins: refused before any database work
            error = "Trop de connexions en cours. Réessayez dans une minute."
            return _login_refused(expected, error, 503, retry_after=60)
        async with open_repo(request) as repo:
            # Counted before the check, in one statement: parallel guesses all count.
            until = await count_attempt(repo.session, name, address, inbox.now())
            mediator = None if until else await repo.mediator_named(name)
            await repo.session.commit()
        if until is not None:  # the password is not even checked: a lockout tells nothing
            minutes = math.ceil((until - inbox.now()).total_seconds() / 60)
            error = f"Trop d'essais manqués. Réessayez dans {minutes} minutes."
            return _login_refused(expected, error, 429, retry_after=minutes * 60)
        known_hash = mediator.password_hash if mediator else None
        # The hash is checked even for an unknown name: the answer takes the same time.
        if not await checks.matches(known_hash, password) or mediator is None:
            return _login_refused(expected, "Nom ou mot de passe incorrect.", 401)
    token = secrets.token_urlsafe(32)
    async with open_repo(request) as repo:
        await take_back_attempt(repo.session, name, address)
        expires = inbox.now() + SESSION_LIFETIME
        await repo.add_session(mediator, token_hash(token), secrets.token_urlsafe(32), expires)
        await repo.session.commit()
    response = web.HTTPSeeOther("/inbox/")
    _set_cookie(request, response, SESSION_COOKIE, token, int(SESSION_LIFETIME.total_seconds()))
    response.del_cookie(LOGIN_COOKIE, path="/inbox")
    raise response


def _login_refused(
    token: str, error: str, status: int, retry_after: int | None = None
) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    page = login_page(token, error=error)
    return web.Response(text=page, content_type="text/html", status=status, headers=headers)


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
