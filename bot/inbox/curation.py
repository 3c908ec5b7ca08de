"""The curators' page of the inbox, /inbox/contenu: review the sync diff line by line, fix a
place's hours or phone, see what is stale, promote a mediator's answer to the FAQ.

Only mediators listed in `content_curators` see it. Every change is validated like
`content check` (undone on error), reloaded into the running bot without a restart, and
logged in `content_changes` with who made it.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from aiohttp import web
from sqlalchemy import delete, select

from bot.content.edits import fix_place, promote_faq, stale_items
from bot.content.stops import is_stop
from bot.content.sync import apply_changes, describe, read_diff, write_diff
from bot.inbox.context import CSRF, INBOX, MEDIATOR, open_repo
from bot.inbox.pages import csrf_field, layout
from bot.store.models import ContentChange, Curator, FaqSuggestion

DIFF_FILE = "sync-diff.json"  # written by `aiguillage content sync --out content/sync-diff.json`
routes = web.RouteTableDef()


async def _curator_only(request: web.Request) -> None:
    async with open_repo(request) as repo:
        found = await repo.session.get(Curator, request[MEDIATOR].id)
    if found is None:
        raise web.HTTPForbidden(text="réservé aux curateurs du contenu\n")


def _content_dir(request: web.Request) -> Path:
    return Path(request.app[INBOX].settings.content_dir)


async def _done(request: web.Request, what: str, errors: list[str]) -> web.Response:
    """Log and reload after a valid change; either way, back to the page with the outcome."""
    inbox = request.app[INBOX]
    if not errors:
        problems = inbox.runtime().reload_content()
        errors = [f"rechargement refusé: {p}" for p in problems]
    if not errors:
        async with open_repo(request) as repo:
            repo.session.add(
                ContentChange(who=request[MEDIATOR].name, what=what, created_at=inbox.now())
            )
            await repo.session.commit()
    return await _page(request, errors, "" if errors else what)


@routes.get("/contenu")
async def curation_page(request: web.Request) -> web.Response:
    """The curators' page."""
    await _curator_only(request)
    return await _page(request, [], "")


async def _page(request: web.Request, errors: list[str], done: str) -> web.Response:
    inbox, me, csrf = request.app[INBOX], request[MEDIATOR].name, request[CSRF]
    content, today = inbox.content, inbox.now().date()
    diff_path = _content_dir(request) / DIFF_FILE
    changes = read_diff(diff_path) if diff_path.exists() else []
    async with open_repo(request) as repo:
        suggestions = (await repo.session.execute(select(FaqSuggestion))).scalars().all()
        log = (
            (
                await repo.session.execute(
                    select(ContentChange).order_by(ContentChange.id.desc()).limit(10)
                )
            )
            .scalars()
            .all()
        )
    parts = []
    if errors:
        items = "".join(f"<li>{escape(e)}</li>" for e in errors[:10])
        parts.append(
            '<div class="error" role="alert"><p>Refusé, rien n\'a changé :</p>'
            f"<ul>{items}</ul></div>"
        )
    if done:
        parts.append(f'<p role="status">Fait et rechargé : {escape(done)}</p>')
    parts.append("<h2>À relire (synchronisation)</h2>")
    if not changes:
        parts.append("<p>Aucun diff à relire.</p>")
    for change in changes:
        parts.append(
            f'<form method="post" action="/inbox/contenu/diff" class="line">{csrf_field(csrf)}'
            f'<input type="hidden" name="id" value="{escape(change.id)}">'
            f"<p>{escape(describe(change))}</p>"
            '<button name="decision" value="accept">Accepter</button> '
            '<button name="decision" value="reject">Rejeter</button></form>'
        )
    options = "".join(
        f'<option value="{escape(p.id)}">{escape(p.nom)} ({escape(p.adresse)})</option>'
        for p in content.places
        if not is_stop(p)
    )
    parts.append(
        "<h2>Corriger des horaires ou un téléphone</h2>"
        f'<form method="post" action="/inbox/contenu/lieu" class="stack">{csrf_field(csrf)}'
        f'<label for="place">Lieu</label><select id="place" name="id">{options}</select>'
        '<label for="horaires">Horaires (format OSM, ex. Mo-Fr 09:00-12:00)</label>'
        '<input id="horaires" name="horaires">'
        '<label for="telephone">Téléphone</label><input id="telephone" name="telephone">'
        '<button type="submit">Enregistrer</button></form>'
    )
    stale = "".join(
        f"<li>{escape(s.kind)} {escape(s.name)} : "
        f"{escape(s.since.isoformat() if s.since else 'jamais vérifié')}</li>"
        for s in stale_items(content, today)
    )
    parts.append(f"<h2>À revérifier (plus de 12 mois)</h2><ul>{stale}</ul>")
    parts.append("<h2>Réponses proposées pour la FAQ</h2>")
    for s in suggestions:
        parts.append(
            f'<form method="post" action="/inbox/contenu/faq" class="line">{csrf_field(csrf)}'
            f'<input type="hidden" name="id" value="{s.id}">'
            f"<p><strong>{escape(s.question)}</strong><br>{escape(s.answer)}</p>"
            f"<button>Promouvoir en FAQ</button></form>"
        )
    history = "".join(
        f"<li>{escape(c.created_at.strftime('%d/%m/%Y %H:%M'))} {escape(c.who)} : "
        f"{escape(c.what)}</li>"
        for c in log
    )
    parts.append(f"<h2>Dernières modifications</h2><ul>{history}</ul>")
    return web.Response(
        text=layout("Contenu", "".join(parts), me, csrf, "contenu"), content_type="text/html"
    )


@routes.post("/contenu/diff")
async def review_line(request: web.Request) -> web.Response:
    """Accept (apply, validated) or reject one line of the sync diff; it leaves the diff."""
    await _curator_only(request)
    form, me = await request.post(), request[MEDIATOR].name
    place_id, decision = str(form.get("id", "")), str(form.get("decision", ""))
    path = _content_dir(request) / DIFF_FILE
    changes = read_diff(path) if path.exists() else []
    line = next((c for c in changes if c.id == place_id), None)
    if line is None or decision not in ("accept", "reject"):
        raise web.HTTPBadRequest(text="ligne inconnue\n")
    errors = []
    if decision == "accept":
        errors = apply_changes(_content_dir(request), [line], {line.id}, me)
    if not errors:
        write_diff([c for c in changes if c is not line], path)
    verb = "accepté" if decision == "accept" else "rejeté"
    if decision == "reject":
        return await _logged_only(request, f"{verb}: {describe(line)}")
    return await _done(request, f"{verb}: {describe(line)}", errors)


async def _logged_only(request: web.Request, what: str) -> web.Response:
    inbox = request.app[INBOX]
    async with open_repo(request) as repo:
        repo.session.add(
            ContentChange(who=request[MEDIATOR].name, what=what, created_at=inbox.now())
        )
        await repo.session.commit()
    return await _page(request, [], what)


@routes.post("/contenu/lieu")
async def fix_hours_or_phone(request: web.Request) -> web.Response:
    """Set a place's hours and/or phone; validated, reloaded, logged."""
    await _curator_only(request)
    form, inbox = await request.post(), request.app[INBOX]
    place_id = str(form.get("id", ""))
    horaires, telephone = str(form.get("horaires", "")), str(form.get("telephone", ""))
    errors = fix_place(
        _content_dir(request), place_id, horaires, telephone, request[MEDIATOR].name,
        inbox.now().date(),
    )  # fmt: skip
    what = f"lieu {place_id}: horaires {horaires!r}, téléphone {telephone!r}"
    return await _done(request, what, errors)


@routes.post("/contenu/faq")
async def promote(request: web.Request) -> web.Response:
    """Promote a mediator's suggested answer to content/faq.yaml; the suggestion is done."""
    await _curator_only(request)
    form, inbox = await request.post(), request.app[INBOX]
    async with open_repo(request) as repo:
        suggestion = await repo.session.get(FaqSuggestion, int(str(form.get("id", "0")) or 0))
        if suggestion is None:
            raise web.HTTPBadRequest(text="suggestion inconnue\n")
        question, answer, topic = suggestion.question, suggestion.answer, suggestion.topic
        errors = promote_faq(
            _content_dir(request), question, answer, topic, request[MEDIATOR].name,
            inbox.now().date(),
        )  # fmt: skip
        if not errors:
            await repo.session.execute(
                delete(FaqSuggestion).where(FaqSuggestion.id == suggestion.id)
            )
            await repo.session.commit()
    return await _done(request, f"FAQ: {question[:60]!r}", errors)
