"""The content base: places, gazetteer, housing offer, help by topic, texts, mediators' hours.

`load_content(dir)` at start-up (raises ContentError), `check_content(dir)` for the validator,
`ContentStore.reload()` for SIGHUP or the admin endpoint (keeps the old content on error).
"""

from bot.content.loader import Content, ContentStore, check_content, load_content
from bot.content.model import ContentError, GazetteerEntry, Problem

__all__ = [
    "Content",
    "ContentError",
    "ContentStore",
    "GazetteerEntry",
    "Problem",
    "check_content",
    "load_content",
]
