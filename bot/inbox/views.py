"""Inbox request handlers: lists, conversation, reply, take, close, FAQ, coverage, figures."""

from __future__ import annotations

from aiohttp import web

from bot.inbox.context import CSRF, INBOX, MEDIATOR, open_repo
from bot.inbox.pages import VIEWS, coverage_page, list_page, stats_page
from bot.inbox.ticket_page import ticket_page
from bot.mediation import tickets
from bot.mediation.display import message_json
from bot.mediation.stats import figures, rows
from bot.mediation.store import MediationRepository
from bot.models import Ticket

routes = web.RouteTableDef()


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html")


@routes.get("/")
async def ticket_list(request: web.Request) -> web.Response:
    """Open, mine or all tickets, filtered by topic and neighbourhood; "for you" first."""
    inbox, me = request.app[INBOX], request[MEDIATOR]
    view = request.query.get("view", "open")
    view = view if view in VIEWS else "open"
    chosen = {k: request.query.get(k, "") for k in ("topic", "quartier")}
    async with open_repo(request) as repo:
        found = await repo.tickets(view, me.name, chosen["topic"], chosen["quartier"])
        mediators = await repo.mediators()
        cards = [
            await tickets.card(repo, t, inbox.now(), inbox.reminder_delay, mediators) for t in found
        ]
        topics, quartiers = await repo.ticket_values()
    if view == "open":
        cards.sort(key=lambda c: me.name not in c.for_mediators)  # stable: newest first within
    options = {"topic": topics, "quartier": quartiers}
    return _html(list_page(cards, view, chosen, options, me.name, request[CSRF]))


async def _ticket(repo: MediationRepository, request: web.Request) -> Ticket:
    ticket = await repo.ticket(int(request.match_info["id"]))
    if ticket is None:
        raise web.HTTPNotFound(text="no such ticket\n")
    return ticket


@routes.get(r"/tickets/{id:\d+}")
async def ticket_view(request: web.Request) -> web.Response:
    """The conversation of one ticket."""
    inbox, me = request.app[INBOX], request[MEDIATOR]
    async with open_repo(request) as repo:
        ticket = await _ticket(repo, request)
        card = await tickets.card(
            repo, ticket, inbox.now(), inbox.reminder_delay, await repo.mediators()
        )
        messages = await repo.ticket_transcript(ticket)
    notice = request.query.get("done", "")
    return _html(ticket_page(card, messages, me.name, request[CSRF], notice))


@routes.get(r"/tickets/{id:\d+}/messages.json")
async def ticket_messages(request: web.Request) -> web.Response:
    """Transcript lines after `after`, for the page's polling."""
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text="after must be a number\n") from None
    async with open_repo(request) as repo:
        ticket = await _ticket(repo, request)
        messages = await repo.ticket_transcript(ticket, after=after)
    return web.json_response(
        {"status": ticket.status, "messages": [message_json(m) for m in messages]}
    )


@routes.post(r"/tickets/{id:\d+}/{action:reply|take|close|faq}")
async def ticket_action(request: web.Request) -> web.Response:
    """Reply, take, close or suggest for the FAQ; then back to the conversation."""
    inbox, me = request.app[INBOX], request[MEDIATOR].name
    action, form = request.match_info["action"], await request.post()
    now, done = inbox.now(), request.match_info["action"]
    async with open_repo(request) as repo:
        ticket = await _ticket(repo, request)
        if action == "reply":
            text = str(form.get("text", "")).strip()
            if not text or ticket.status == "closed":
                raise web.HTTPBadRequest(text="empty reply, or the ticket is closed\n")
            await tickets.answer(repo, inbox.content, ticket, text, me, now)
            done = "sent"
        elif action == "take":
            tickets.take(ticket, me)
            done = "taken"
        elif action == "close":
            await tickets.close(repo, inbox.content, ticket, me, now)
            done = "closed"
        elif await tickets.suggest_for_faq(repo, ticket, me, now) is None:
            done = "nofaq"
        await repo.session.commit()
    inbox.runtime().worker.wake()
    raise web.HTTPSeeOther(f"/inbox/tickets/{ticket.id}?done={done}")


@routes.get("/me")
async def coverage_form(request: web.Request) -> web.Response:
    """The topics and neighbourhoods this mediator covers."""
    me = request[MEDIATOR]
    saved = request.query.get("saved") == "1"
    return _html(coverage_page(me.topics, me.quartiers, me.name, request[CSRF], saved))


@routes.post("/me")
async def coverage_save(request: web.Request) -> web.Response:
    """Save the declared coverage (comma-separated lists)."""
    form = await request.post()
    async with open_repo(request) as repo:
        mediator = await repo.mediator_named(request[MEDIATOR].name)
        mediator.topics = _words(str(form.get("topics", "")))
        mediator.quartiers = _words(str(form.get("quartiers", "")))
        await repo.session.commit()
    raise web.HTTPSeeOther("/inbox/me?saved=1")


def _words(value: str) -> list[str]:
    return sorted({w.strip().lower() for w in value.split(",") if w.strip()})


@routes.get("/stats")
async def stats(request: web.Request) -> web.Response:
    """Anonymous figures for the city."""
    async with open_repo(request) as repo:
        result = await figures(repo)
    return _html(stats_page(rows(result), request[MEDIATOR].name, request[CSRF]))
