"""Distress and scams: the signals the engine answers before anything else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.content.language import EMERGENCY_KINDS
from bot.understanding.cues import Hit

if TYPE_CHECKING:
    from bot.understanding.intents import Signals

CHILD_WINDOW = 5  # words between a child and a blow told about them
SHORT = 4  # "AVC !" is a stroke only in a message about that long

# When a message says several kinds, the one whose number matters most is given first:
# a threat to life by oneself, then a child, then violence, then the body, then a roof.
PRIORITY = ("suicide", "child", "violence", "medical", "homeless", "eviction")
assert set(PRIORITY) == set(EMERGENCY_KINDS)


def _inside(hit: Hit, spans: list[Hit]) -> bool:
    return any(s.start <= hit.start and hit.end <= s.end and s != hit for s in spans)


def _starts_in(hit: Hit, spans: list[Hit]) -> bool:
    """ "le site est tombé il répond plus": a phrase starting inside a look-alike is part of it."""
    return any(s.start <= hit.start < s.end for s in spans)


def emergency_kind(s: Signals) -> str | None:
    """The kind of distress in the message, or None; look-alikes ("pas urgent") never fire."""
    hits = list(s.hits.get("emergency", ()))
    blocked = s.hits.get("not_emergency", [])
    # "mon père est tombé dans la cuisine, il répond plus": a fall, then no answer
    falls = [f for f in s.hits.get("fall", ()) if not _starts_in(f, blocked)]
    for hit in s.hits.get("unresponsive", ()):
        if any(f.end <= hit.start for f in falls):
            hits.append(Hit("emergency", "medical", hit.start, hit.end))
    # "le voisin frappe son petit", "l'enfant a des bleus": a child and a blow, close together
    harms = [h for h in s.hits.get("child_harm", ()) if not _starts_in(h, blocked)]
    for child in s.hits.get("child_person", ()):
        if any(abs(h.start - child.start) <= CHILD_WINDOW for h in harms):
            hits.append(Hit("emergency", "child", child.start, child.end))
    if len(s.words) <= SHORT:
        short = s.hits.get("emergency_short", ())
        hits += [Hit("emergency", "medical", h.start, h.end) for h in short]
    if not hits:
        return None
    # "va me tuer" (violence) holds "me tuer" (suicide): the longer phrase says which
    kept = [h for h in hits if not _starts_in(h, blocked) and not _inside(h, hits)]
    kinds = {h.value for h in kept}
    return next((k for k in PRIORITY if k in kinds), None)


def is_scam(s: Signals) -> bool:
    """A forwarded spam text, or a suspicious message asking for codes, a card, a link, money."""
    spam = len(s.hits.get("scam_spam", ()))
    ask, pay = s.has("scam_ask"), s.has("scam_pay")
    report, sender = s.has("scam_report"), s.has("scam_sender")
    return (
        s.has("scam_done")
        or s.has("scam_after")
        and (ask or pay)
        or spam >= 2
        or bool(spam)
        and (ask or sender or pay)
        or ask
        and report
        or report
        and sender
        and pay
    )
