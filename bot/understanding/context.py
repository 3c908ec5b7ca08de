"""Short answers to the bot's last question: a menu number, oui / non, a bare place name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.understanding.cues import Hit

MENU_FILLERS = frozenset(
    {"le", "la", "l", "choix", "option", "numero", "n", "no", "je", "prends", "prend",
     "choisis", "c", "est", "svp", "merci", "ok", "alors", "reponse", "euh", "plutot"}
)  # fmt: skip
ANSWER_WORDS = 4  # "oui merci c'est ça" still answers; a longer message may be a new request


def menu_choice(
    words: Sequence[str], numbers: Mapping[str, int], options: Sequence[str]
) -> str | None:
    """The option picked by "2", "deux", "le 2", "choix 2"…, or None."""
    left = [w for w in words if w not in MENU_FILLERS]
    if len(left) != 1 or left[0] not in numbers:
        return None
    position = numbers[left[0]]
    return options[position - 1] if 1 <= position <= len(options) else None


def yes_no(words: Sequence[str], hits: Mapping[str, list[Hit]]) -> str | None:
    """ "yes", "no" or "unknown" ("je sais pas") when the message starts with or just is an
    answer, else None."""
    found = [(h.start, kind) for kind in ("unknown", "yes", "no") for h in hits.get(kind, ())]
    if not found:
        return None
    start, kind = min(found)
    return kind if start == 0 or len(words) <= ANSWER_WORDS else None
