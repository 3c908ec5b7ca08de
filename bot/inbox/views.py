"""Inbox request handlers: lists, conversation, reply, take, close, FAQ, coverage, figures."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.inbox.context import CSRF, INBOX, MEDIATOR, open_repo
from bot.inbox.pages import VIEWS, Activity, coverage_page, list_page, stats_page, ticket_line
from bot.inbox.ticket_page import ticket_page
from bot.mediation import tickets
from bot.mediation.display import STATUSES, message_json
from bot.mediation.stats import figures, rows
from bot.mediation.store import MediationRepository
from bot.store.models import Ticket
from bot.store.poison import dead_letters

routes = web.RouteTableDef()


def _html(text: str) -> web.Response:
    return web.Response(text=text, content_type="text/html")


@dataclass(frozen=True)
class Listing:
    """One inbox view's tickets, as the list page and its polling show them."""

    view: str
    chosen: dict[str, str]
    cards: list[tickets.TicketCard]
    activity: Activity
    options: dict[str, list[str]]


async def _listing(request: web.Request) -> Listing:
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
        activity = await repo.resident_activity(found)
        topics, quartiers = await repo.ticket_values()
    if view == "open":
        cards.sort(key=lambda c: me.name not in c.for_mediators)  # stable: newest first within
    return Listing(view, chosen, cards, activity, {"topic": topics, "quartier": quartiers})


@routes.get("/")
async def ticket_list(request: web.Request) -> web.Response:
    """A list page: open, mine or all tickets."""
    found, me = await _listing(request), request[MEDIATOR].name
    async with open_repo(request) as repo:
        dead = await dead_letters(repo.session)
    page = list_page(
        found.cards,
        found.activity,
        found.view,
        found.chosen,
        found.options,
        me,
        request[CSRF],
        dead,
    )
    return _html(page)


@routes.get("/tickets.json")
async def ticket_rows(request: web.Request) -> web.Response:
    """The rows of a list page, for its polling: new tickets and new messages show up."""
    found, me = await _listing(request), request[MEDIATOR].name
    rows = [{"id": c.id, "html": ticket_line(c, me, found.activity)} for c in found.cards]
    return web.json_response({"rows": rows})


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
        {
            "status": ticket.status,
            "state": STATUSES.get(ticket.status, ticket.status),
            "assigned_to": ticket.assigned_to or "personne",
            "messages": [message_json(m) for m in messages],
        }
    )


@routes.post(r"/tickets/{id:\d+}/{action:reply|take|close|faq}")
async def ticket_action(request: web.Request) -> web.Response:
    """Reply, take, close (announced in the group) or suggest for the FAQ; then back."""
    inbox, me = request.app[INBOX], request[MEDIATOR].name
    action, form = request.match_info["action"], await request.post()
    now, done, group = inbox.now(), request.match_info["action"], inbox.group()
    async with open_repo(request) as repo:
        ticket = await _ticket(repo, request)
        if action == "reply":
            text = str(form.get("text", "")).strip()
            if not text or ticket.status == "closed":
                raise web.HTTPBadRequest(text="empty reply, or the ticket is closed\n")
            try:
                await tickets.answer(repo, inbox.content, ticket, text, me, now, group)
            except tickets.AnswerTooLong as refused:  # the textarea's limit, held here too
                raise web.HTTPBadRequest(text=refused.told() + "\n") from None
            done = "sent"
        elif action == "take":
            taken = await tickets.take(repo, ticket, me, now, group, inbox.content)
            done = "taken" if taken else "wasclosed"
        elif action == "close":
            closed = await tickets.close(repo, inbox.content, ticket, me, now, group)
            done = "closed" if closed else "wasclosed"
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
        if mediator is None:  # the account was deleted while this session was open
            raise web.HTTPSeeOther("/inbox/login")
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
