"""A shared understander built once from the shipped content, for the understanding tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.content import load_content
from bot.understanding import Understander

ROOT = Path(__file__).resolve().parent.parent


@cache
def shipped_understander() -> Understander:
    """The understanding of the shipped content (built once per test session)."""
    return Understander.from_content(load_content(ROOT / "content"))
