"""The content base: places, gazetteer, housing offer, help by topic, texts, mediators' hours.

`load_content(dir)` at start-up and on reload (raises ContentError), `check_content(dir)`
for the validator.
"""

from bot.content.loader import Content, check_content, load_content
from bot.content.model import ContentError, GazetteerEntry, Problem

__all__ = [
    "Content",
    "ContentError",
    "GazetteerEntry",
    "Problem",
    "check_content",
    "load_content",
]
