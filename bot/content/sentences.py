"""Every sentence key the code asks `content/textes.yaml` for, declared once.

`check_sentences` runs with every content check and load: a key the code needs that a
language lacks stops the bot (a curator's rename would otherwise pass the check and fail
mid-turn with a KeyError), and so does a key no code uses (a typo, or a sentence left
behind). tests/test_sentences.py checks this registry against the code's `say(...)` calls.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.content.model import Problem
from bot.content.texts import LANGUAGES, TEXTS_FILE, Texts

# Keys the code names as they are.
KEYS: frozenset[str] = frozenset({
    "menu.intro", "share_location", "ask_where", "clarify", "handoff",
    "handoff.soon", "handoff.ask_about", "handoff.later", "ticket.answer", "ticket.relayed",
    "ticket.taken", "ticket.late", "ticket.late_no_place", "ticket.idle_closed",
    "ticket.closed", "stop.confirm", "start.confirm", "privacy.info", "forget.confirm",
    "scam.warning", "scam.already", "media.unreadable", "out_of_scope", "place.unknown_near",
    "out_of_scope.intro", "place.your_location", "place.card", "place.phone",
    "place.open_today", "place.opens", "place.closed", "place.hours_unknown",
    "place.hours_unknown_call", "place.stale", "place.day_hours", "place.day_unknown",
    "place.day_unknown_call", "place.day_closed", "place.free", "place.fee_paid",
    "place.fee_conditional", "place.fee_unknown", "place.more", "place.more_choice",
    "place.no_more", "place.none_open", "place.outside_brest", "place.near_intro",
    "place.service_none", "place.none", "place.access", "place.booking",
    "place.access_unknown", "mediator.no_file_access",
    "when.today", "when.tomorrow", "when.day", "when.weekdays", "when.months", "when.date",
    "mediator.bring", "mediator.helpline", "mediator.desk", "housing.ask_tenant",
    "housing.tenant_unknown", "housing.ask_where", "housing.which_sector", "housing.active",
    "housing.subscribe", "housing.help", "housing.not_active", "housing.not_tenant",
    "housing.unknown", "limit.rate", "limit.tickets",
})  # fmt: skip

EMERGENCY_KINDS = ("medical", "violence", "suicide", "child", "eviction", "homeless")

# Keys the code builds as `prefix + value`, with every value it may use.
FAMILIES: Mapping[str, tuple[str, ...]] = {
    "menu.": ("find_place", "housing_internet", "find_mediator", "talk_to_human"),
    "emergency.": EMERGENCY_KINDS + tuple(f"{kind}.reminder" for kind in EMERGENCY_KINDS),
    "social.": ("thanks", "bye", "bot_question"),
    "service.": ("internet", "print", "scan", "workshop", "wifi"),
    "mediator.booking_": ("oui", "non", "conseille"),
}


def needed() -> frozenset[str]:
    """Every key the code may ask for."""
    built = {prefix + value for prefix, values in FAMILIES.items() for value in values}
    return KEYS | built


def check_sentences(texts: Texts) -> list[Problem]:
    """A needed key missing in a language, and a key no code uses, are errors."""
    problems = []
    wanted = needed()
    for key in sorted(wanted):
        variants = texts.entries.get(key, {})
        for lang in LANGUAGES:
            if not variants.get(lang):
                message = f"{key}.{lang}: manquant (le code demande cette phrase)"
                problems.append(Problem(TEXTS_FILE, None, message))
    for key in sorted(texts.entries):
        if key not in wanted:
            problems.append(Problem(TEXTS_FILE, None, f"{key}: aucun code n'utilise cette clé"))
    return problems
