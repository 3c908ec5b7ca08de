"""The conversation view of one ticket: details, transcript, reply and actions."""

from __future__ import annotations

from html import escape

from bot.inbox.pages import csrf_field, layout
from bot.mediation.display import REASONS, STATUSES, TranscriptLine, local_time, message_json
from bot.mediation.tickets import TicketCard
from bot.store.models import Message


def transcript_item(line: TranscriptLine) -> str:
    links = "".join(
        f' <a class="media" href="{escape(m["url"])}">[{escape(m["kind"])}]</a>'
        for m in line.get("media", ())
    )
    return (
        f'<li class="{line["kind"]}"><p class="meta">{escape(line["who"])} · {line["at"]}</p>'
        f'<p class="text">{escape(line["text"])}{links}</p></li>'
    )


NOTICES = {
    "sent": "Réponse envoyée.",
    "taken": "Ticket pris en charge.",
    "closed": "Ticket clos; l’habitant est prévenu.",
    "faq": "Réponse proposée pour la FAQ.",
    "nofaq": "Aucune réponse de la médiation à proposer pour l’instant.",
    "wasclosed": "Ce ticket était déjà clos.",
}
# Details the page's polling keeps up to date, e.g. after /prendre or /clore in the group.
LIVE_DETAILS = {"État": "ticket-state", "Pris par": "ticket-assigned"}


def ticket_page(
    card: TicketCard, messages: list[Message], me: str, csrf: str, notice: str = ""
) -> str:
    """Everything a mediator needs to answer one resident."""
    details = [
        ("État", STATUSES.get(card.status, card.status)),
        ("Raison", REASONS.get(card.reason, card.reason)),
        ("Thème", card.topic or "—"),
        ("Quartier", card.quartier or "—"),
        ("Canal", f"{card.channel} {card.masked_address}"),
        ("Ouvert le", local_time(card.created_at)),
        ("Pris par", card.assigned_to or "personne"),
    ]
    if card.waiting:
        details.append(("Attente", "sans réponse depuis trop longtemps"))
    if card.for_mediators:
        details.append(("Pour", ", ".join(card.for_mediators)))
    dl = "".join(f"<dt>{k}</dt><dd{_live(k)}>{escape(v)}</dd>" for k, v in details)
    lines = [message_json(m) for m in messages]
    after = lines[-1]["id"] if lines else 0
    items = "".join(transcript_item(line) for line in lines)
    base = f"/inbox/tickets/{card.id}"
    status = f'<p role="status">{NOTICES[notice]}</p>' if notice in NOTICES else ""
    body = (
        f'{status}<dl class="details">{dl}</dl><h2>Conversation</h2>'
        f'<ol id="transcript" class="transcript" aria-live="polite" '
        f'data-poll="{base}/messages.json" data-after="{after}">{items}</ol>'
    )
    if card.status != "closed":
        body += _actions(base, card, me, csrf)
    return layout(f"Ticket #{card.id}", body, me, csrf)


def _live(label: str) -> str:
    return f' id="{LIVE_DETAILS[label]}"' if label in LIVE_DETAILS else ""


def _actions(base: str, card: TicketCard, me: str, csrf: str) -> str:
    token = csrf_field(csrf)
    take = (
        ""
        if card.assigned_to == me
        else f'<form method="post" action="{base}/take">{token}'
        '<button type="submit">Prendre en charge</button></form>'
    )
    return (
        f'<form method="post" action="{base}/reply" class="stack">{token}'
        '<label for="reply">Votre réponse (envoyée à l’habitant sur son canal)</label>'
        '<textarea id="reply" name="text" rows="4" maxlength="1000" required></textarea>'
        '<button type="submit">Envoyer</button></form>'
        f'<div class="actions">{take}'
        f'<form method="post" action="{base}/faq">{token}'
        '<button type="submit">Proposer la dernière réponse pour la FAQ</button></form>'
        f'<form method="post" action="{base}/close">{token}'
        '<button type="submit" class="danger">Clore (l’habitant est prévenu)</button></form></div>'
    )
