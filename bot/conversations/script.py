"""Conversation files: one JSON conversation a line, validated before anything runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHANNELS = ("sms", "telegram")
ACTIONS = ("say", "location", "mediator_reply")
SERVICES = ("print", "scan", "internet", "wifi", "workshop")
BOOLEAN_KEYS = ("reply", "handoff", "heard", "no_places", "asks", "resident_gets")
LIST_KEYS = ("mentions_any", "mentions_all", "mentions_none")
EXPECT_KEYS = (*BOOLEAN_KEYS, *LIST_KEYS, "places_near", "service", "max_segments")


class ScriptError(Exception):
    """Problems of a conversation file, each as `file:line: problem`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Step:
    """One turn: what happens (`action`, `value`) and what must hold after it."""

    action: str  # "say" | "location" | "mediator_reply"
    value: Any  # the text, or (lat, lon)
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    id: str
    channel: str
    about: str
    steps: tuple[Step, ...]
    line: int


def load_conversations(path: Path) -> list[Conversation]:
    """Every conversation of `path`; raises ScriptError naming each bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ScriptError([f"{path}: cannot read: {error}"]) from error
    conversations, problems, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            conversation = parse_conversation(line, number)
        except ValueError as error:
            problems.append(f"{path}:{number}: {error}")
            continue
        if conversation.id in seen:
            problems.append(f"{path}:{number}: id {conversation.id!r} appears twice")
        seen.add(conversation.id)
        conversations.append(conversation)
    if not conversations and not problems:
        problems.append(f"{path}: no conversation in the file")
    if problems:
        raise ScriptError(problems)
    return conversations


def parse_conversation(line: str, number: int) -> Conversation:
    """One conversation from its JSON line; ValueError says what is wrong."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("a conversation is a JSON object")
    ident, channel, turns = data.get("id"), data.get("channel"), data.get("turns")
    if not isinstance(ident, str) or not ident:
        raise ValueError("`id` must be a non-empty string")
    if channel not in CHANNELS:
        raise ValueError(f"`channel` must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if not isinstance(turns, list) or not turns:
        raise ValueError("`turns` must be a non-empty list")
    steps = tuple(parse_step(turn, index, channel) for index, turn in enumerate(turns, 1))
    return Conversation(ident, channel, str(data.get("about", "")), steps, number)


def parse_step(turn: Any, index: int, channel: str) -> Step:
    """One turn; ValueError names the turn and the problem."""
    where = f"turn {index}"
    if not isinstance(turn, dict):
        raise ValueError(f"{where}: a turn is a JSON object")
    actions = [a for a in ACTIONS if a in turn]
    if len(actions) != 1:
        raise ValueError(f"{where}: exactly one of {', '.join(ACTIONS)} is needed")
    unknown = set(turn) - {*ACTIONS, "expect"}
    if unknown:
        raise ValueError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    action = actions[0]
    value = turn[action]
    if action == "location":
        value = _point(value, f"{where}: `location`")
        if channel != "telegram":
            raise ValueError(f"{where}: a shared location is for telegram conversations")
    elif not isinstance(value, str):
        raise ValueError(f"{where}: `{action}` must be a string")
    expect = turn.get("expect", {})
    if not isinstance(expect, dict):
        raise ValueError(f"{where}: `expect` must be an object")
    return Step(action, value, _expectations(expect, where))


def _expectations(expect: dict[str, Any], where: str) -> dict[str, Any]:
    for key, value in expect.items():
        if key not in EXPECT_KEYS:
            raise ValueError(f"{where}: unknown expectation {key!r}")
        if key in BOOLEAN_KEYS and not isinstance(value, bool):
            raise ValueError(f"{where}: `{key}` must be true or false")
        if key in LIST_KEYS and not (
            isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        ):
            raise ValueError(f"{where}: `{key}` must be a non-empty list of strings")
        if key == "service" and value not in SERVICES:
            raise ValueError(f"{where}: `service` must be one of {', '.join(SERVICES)}")
        if key == "max_segments" and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{where}: `max_segments` must be a whole number above 0")
    if "places_near" in expect:
        expect = {**expect, "places_near": _point(expect["places_near"], f"{where}: places_near")}
    return expect


def _point(value: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError(f"{where} must be [LAT, LON]")
    lat, lon = float(value[0]), float(value[1])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"{where} is not a point on Earth")
    return lat, lon
