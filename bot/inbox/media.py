"""The inbox's link to a resident's photo, voice note or document: fetched from the
platform with our credentials, for a logged-in mediator (the inbox's session check)."""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import select

from bot.channels.media import MediaUnavailable, fetch_media
from bot.inbox.context import INBOX, open_repo
from bot.logs import fields
from bot.store.models import Message, Ticket

routes = web.RouteTableDef()
log = logging.getLogger("aiguillage.inbox")
# Shown in the page; anything else is downloaded, never rendered from our origin.
INLINE = ("image/jpeg", "image/png", "image/webp", "audio/ogg", "audio/mpeg", "video/mp4")


def media_path(message_id: int, index: int) -> str:
    """The inbox link to a message's `index`-th attachment."""
    return f"/inbox/media/{message_id}/{index}"


@routes.get(r"/media/{message:\d+}/{index:\d+}")
async def media(request: web.Request) -> web.Response:
    """A resident's attachment, when their conversation reached the mediators."""
    message_id, index = int(request.match_info["message"]), int(request.match_info["index"])
    async with open_repo(request) as repo:
        message = await repo.session.get(Message, message_id)
        refs = (message.payload or {}).get("media_refs", []) if message else []
        if message is None or message.direction != "in" or index >= len(refs):
            raise web.HTTPNotFound(text="no such attachment\n")
        tickets = select(Ticket.id).where(Ticket.contact_id == message.contact_id).limit(1)
        if (await repo.session.execute(tickets)).first() is None:
            raise web.HTTPNotFound(text="no such attachment\n")  # not shown to mediators
        channel, reference = message.channel, refs[index]
    try:
        found = await fetch_media(request.app[INBOX].settings, channel, reference)
    except (MediaUnavailable, OSError, TimeoutError) as error:
        log.warning("inbox.media_unavailable", extra=fields(error=str(error)[:200]))
        raise web.HTTPNotFound(text="the platform no longer has this file\n") from None
    inline = found.content_type in INLINE
    headers = {
        "Content-Disposition": "inline" if inline else f'attachment; filename="piece-{message_id}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    return web.Response(body=found.data, content_type=found.content_type, headers=headers)
