"""Server-rendered HTML of the inbox: plain templates, every value escaped."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from bot.mediation.display import STATUSES, local_time
from bot.mediation.tickets import TicketCard
from bot.spoken import aware

VIEWS = {"open": "Ouverts", "mine": "Les miens", "all": "Tous"}
Activity = Mapping[int, tuple[int, datetime]]  # ticket id -> resident messages, last one


def layout(title: str, body: str, who: str | None = None, csrf: str = "", active: str = "") -> str:
    """The page around a body: skip link, navigation, logout."""
    nav = ""
    if who:
        links = [(f"/inbox/?view={k}", v, k) for k, v in VIEWS.items()]
        links += [("/inbox/stats", "Chiffres", "stats"), ("/inbox/me", "Mes thèmes", "me")]
        items = "".join(
            f'<li><a href="{href}"{" aria-current=page" if key == active else ""}>{label}</a></li>'
            for href, label, key in links
        )
        nav = (
            f'<nav aria-label="Menu"><ul>{items}</ul>'
            f'<form method="post" action="/inbox/logout">{csrf_field(csrf)}'
            f'<button type="submit">Se déconnecter ({escape(who)})</button></form></nav>'
        )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} — aiguillage</title>"
        '<link rel="stylesheet" href="/inbox/static/inbox.css">'
        '<script src="/inbox/static/inbox.js" defer></script></head><body>'
        '<a class="skip" href="#main">Aller au contenu</a>'
        f'<header><p class="brand">aiguillage · médiation</p>{nav}</header>'
        f'<main id="main"><h1>{escape(title)}</h1>{body}</main></body></html>'
    )


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(token)}">'


def login_page(token: str, error: str = "") -> str:
    """The login form."""
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f'{alert}<form method="post" action="/inbox/login" class="stack">{csrf_field(token)}'
        '<label for="name">Nom</label>'
        '<input id="name" name="name" autocomplete="username" required autofocus>'
        '<label for="password">Mot de passe</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Se connecter</button></form>'
    )
    return layout("Connexion", body)


def ticket_line(card: TicketCard, me: str, activity: Activity) -> str:
    """One ticket in a list; `data-version` changes whenever what it shows changes."""
    tags = [STATUSES.get(card.status, card.status), card.topic or "", card.quartier or ""]
    flags = ""
    if card.waiting:
        flags += '<span class="flag">en attente</span>'
    if me in card.for_mediators:
        flags += '<span class="mine">pour vous</span>'
    meta = " · ".join(escape(t) for t in tags if t)
    who = f" · {escape(card.assigned_to)}" if card.assigned_to else ""
    count, last = activity.get(card.id, (0, None))
    said = (
        f" · {count} message{'s' if count > 1 else ''}, dernier {local_time(aware(last))}"
        if last
        else ""
    )
    inner = (
        f'<a href="/inbox/tickets/{card.id}"><strong>#{card.id}</strong> '
        f"{escape(card.summary[:120]) or '(sans résumé)'}</a>"
        f'<p class="meta">{meta}{who} · {escape(card.channel)} {escape(card.masked_address)} · '
        f"{local_time(card.created_at)}{said} {flags}</p>"
    )
    version = hashlib.sha256(inner.encode()).hexdigest()[:16]
    return f'<li data-id="{card.id}" data-version="{version}">{inner}</li>'


def list_page(
    cards: list[TicketCard],
    activity: Activity,
    view: str,
    chosen: Mapping[str, str],
    options: Mapping[str, Iterable[str]],
    me: str,
    csrf: str,
    dead_letters: int = 0,
) -> str:
    """A list of tickets with its filters; the script polls its rows (see `tickets.json`)."""
    selects = "".join(
        f'<label for="{name}">{label}</label><select id="{name}" name="{name}">'
        f'<option value="">tous</option>{_options(options[name], chosen.get(name, ""))}</select>'
        for name, label in (("topic", "Thème"), ("quartier", "Quartier"))
    )
    filters = (
        f'<form method="get" action="/inbox/" class="filters">'
        f'<input type="hidden" name="view" value="{escape(view)}">{selects}'
        '<button type="submit">Filtrer</button></form>'
    )
    poll = "/inbox/tickets.json?" + urlencode({"view": view, **chosen})
    items = "".join(ticket_line(c, me, activity) for c in cards)
    # Changes are announced in the status line, not by re-reading the whole list.
    alert = (
        f'<p class="error" role="alert">{dead_letters} message(s) d\'habitants n\'ont pas pu '
        "être traités après plusieurs essais : prévenez l'exploitant (journaux, "
        "turn.dead_letter).</p>"
        if dead_letters
        else ""
    )
    body = (
        f'{alert}{filters}<p id="tickets-news" class="news" role="status" aria-live="polite"></p>'
        f'<ul id="tickets" class="tickets" data-poll="{escape(poll)}">{items}</ul>'
        f'<p id="tickets-empty"{" hidden" if cards else ""}>Aucun ticket.</p>'
    )
    return layout(f"Tickets — {VIEWS[view].lower()}", body, me, csrf, view)


def _options(values: Iterable[str], chosen: str) -> str:
    return "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(v)}</option>'
        for v in values
    )


def coverage_page(topics: list[str], quartiers: list[str], me: str, csrf: str, saved: bool) -> str:
    """The form where a mediator declares the topics and neighbourhoods they cover."""
    note = '<p role="status">Enregistré.</p>' if saved else ""
    body = (
        f"{note}<p>Les nouveaux tickets de ces thèmes ou quartiers vous sont signalés en premier."
        f'</p><form method="post" action="/inbox/me" class="stack">{csrf_field(csrf)}'
        '<label for="topics">Thèmes (séparés par des virgules)</label>'
        f'<input id="topics" name="topics" value="{escape(", ".join(topics))}">'
        '<label for="quartiers">Quartiers (séparés par des virgules)</label>'
        f'<input id="quartiers" name="quartiers" value="{escape(", ".join(quartiers))}">'
        '<button type="submit">Enregistrer</button></form>'
    )
    return layout("Mes thèmes et quartiers", body, me, csrf, "me")


def stats_page(table_rows: Iterable[tuple[str, str]], me: str, csrf: str) -> str:
    """Anonymous figures as a two-column table."""
    rows = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in table_rows
    )
    body = f"<table><caption>Sans donnée personnelle</caption><tbody>{rows}</tbody></table>"
    return layout("Chiffres", body, me, csrf, "stats")
