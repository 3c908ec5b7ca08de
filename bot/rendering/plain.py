"""Plain-text rendering of a reply: the text, then its choices numbered 1, 2, 3…"""

from __future__ import annotations

from bot.messages import Reply


def render_plain(reply: Reply) -> str:
    lines = [reply.text]
    lines += [f"{n}. {choice.label}" for n, choice in enumerate(reply.choices, start=1)]
    return "\n".join(lines)
