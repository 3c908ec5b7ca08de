"""The registry of sentence keys (bot.content.sentences) against the code and content/."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

import handlers.menu
import handlers.social
from bot.content import language, load_content, topics
from bot.content.sentences import FAMILIES, KEYS, check_sentences, needed

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]


@pytest.fixture(scope="module")
def content():  # noqa: ANN201 - bot.content.Content
    return load_content(ROOT / "content")


def said_keys() -> tuple[set[str], set[str]]:
    """The keys code passes to `say(...)`: constants (either branch of an `if`), and the
    prefixes of f-strings."""
    constants, prefixes = set(), set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            is_say = isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "say"
            keys = [node.args[0]] if is_say and node.args else []  # type: ignore[attr-defined]
            if isinstance(node, ast.Assign) and node.targets[0].__dict__.get("id", "").endswith(
                ("_key", "KEY")
            ):
                keys = [node.value]  # `intro_key = "place.a" if ... else "place.b"`
            if keys:
                while keys:
                    key = keys.pop()
                    if isinstance(key, ast.IfExp):
                        keys += [key.body, key.orelse]
                    elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                        constants.add(key.value)
                    elif isinstance(key, ast.JoinedStr):
                        prefixes.add(key.values[0].value)  # type: ignore[attr-defined]
    return constants, prefixes


def built_prefixes() -> set[str]:
    """The constant start of every f-string of the code."""
    return {
        node.values[0].value
        for path in SOURCES
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant)
    }


def code_strings() -> set[str]:
    return {
        node.value
        for path in SOURCES
        if path.name != "sentences.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_key_said_in_the_code_is_declared() -> None:
    constants, prefixes = said_keys()
    assert constants - needed() == set()
    assert prefixes - set(FAMILIES) == set()


def test_every_declared_key_is_used_by_the_code() -> None:
    assert KEYS - code_strings() == set()
    assert set(FAMILIES) <= built_prefixes()


def test_families_list_the_values_the_code_builds_them_from() -> None:
    assert FAMILIES["menu."] == handlers.menu.CHOICES
    assert set(FAMILIES["social."]) == handlers.social.KINDS
    assert set(FAMILIES["service."]) == set(language.SERVICES)
    assert set(FAMILIES["mediator.booking_"]) == set(topics.APPOINTMENT)
    kinds = {kind for kind in FAMILIES["emergency."] if "." not in kind}
    assert kinds == set(language.EMERGENCY_KINDS)


def test_the_content_has_every_needed_key_in_every_language_and_no_other(content) -> None:
    assert check_sentences(content.texts) == []


def test_a_missing_translation_and_an_unused_key_are_errors(content) -> None:
    entries = {key: dict(variants) for key, variants in content.texts.entries.items()}
    del entries["handoff"]["en"]
    entries["handof"] = {"fr": "typo"}
    problems = check_sentences(dataclasses.replace(content.texts, entries=entries))
    messages = sorted(p.message for p in problems)
    assert len(messages) == 2 and all(p.severity == "error" for p in problems)
    assert "handoff.en: manquant" in messages[1] and "handof: aucun code" in messages[0]
