"""SMS text: the GSM-7 alphabet, transliteration into it, segment counts and long bodies.

A text that stays in GSM 03.38 costs one segment per 160 characters (153 when
concatenated); a single character outside it switches the whole SMS to UCS-2,
70 characters per segment (67 when concatenated), so replies are transliterated.
"""

from __future__ import annotations

import re
import unicodedata

from bot.messages import Reply
from bot.rendering.plain import render_plain

BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = frozenset("\f^{}\\[~]|€")  # sent as ESC + character: two septets each
MAX_BODY = 1600  # Twilio refuses longer bodies; it concatenates up to this length itself

# Characters outside GSM-7 that French text uses, and what a phone should show instead.
# Anything else outside GSM-7 loses its accents (NFKD) or is dropped (emoji, symbols).
REPLACEMENTS = {
    "ç": "c",  # GSM-7 has only the capital Ç
    "œ": "oe",
    "Œ": "OE",
    "’": "'",
    "‘": "'",
    "‚": "'",
    "ʼ": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "‐": "-",
    "−": "-",
    "•": "-",
    "…": "...",
    "°": "o",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "\t": " ",
}
GUILLEMETS = re.compile(r"«[ \u00a0\u202f]?|[ \u00a0\u202f]?»")


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM-7 basic set or its extension table."""
    return all(c in BASIC or c in EXTENSION for c in text)


def to_gsm7(text: str) -> str:
    """Transliterate into GSM-7: keep what it has (é è à ù Ç…), replace the rest (ê→e, ’→')."""
    if is_gsm7(text):
        return text
    text = GUILLEMETS.sub('"', text)
    converted = "".join(_gsm7_char(c) for c in text)
    lines = (re.sub(" {2,}", " ", line).strip(" ") for line in converted.split("\n"))
    return "\n".join(lines)


def _gsm7_char(c: str) -> str:
    if c in BASIC or c in EXTENSION:
        return c
    if c in REPLACEMENTS:
        return REPLACEMENTS[c]
    bare = "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
    return bare if bare and is_gsm7(bare) else ""


def segment_count(text: str) -> int:
    """How many SMS segments the text costs (GSM-7 if it can be, UCS-2 otherwise)."""
    if not text:
        return 0
    if is_gsm7(text):
        units = [2 if c in EXTENSION else 1 for c in text]
        single, part = 160, 153
    else:
        units = [2 if ord(c) > 0xFFFF else 1 for c in text]  # UTF-16 surrogate pairs
        single, part = 70, 67
    if sum(units) <= single:
        return 1
    segments, used = 1, 0
    for size in units:  # an escaped character or a surrogate pair is never cut in two
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments


def split_body(text: str, limit: int = MAX_BODY) -> list[str]:
    """Cut a text into bodies of at most `limit` characters, at a line break or a space."""
    bodies = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        bodies.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*bodies, text] if text else bodies


def render_sms(reply: Reply) -> list[str]:
    """The SMS bodies of a reply: GSM-7 text, choices numbered, split under Twilio's limit."""
    return split_body(to_gsm7(render_plain(reply)))
