"""The language of residents: SMS lexicon, cue phrases, topics and services, from content/langue/.

Phrases stay raw text here; `bot.understanding` normalises and indexes them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.content.model import Problem

INTENTS = (
    "find_place",
    "housing_internet",
    "find_mediator",
    "talk_to_human",
    "greeting",
    "privacy",
    "out_of_scope",
)
TOPICS = (
    "caf",
    "cpam",
    "ants",
    "impots",
    "france_travail",
    "retraite",
    "logement",
    "energie",
    "titre_sejour",
    "ecole",
    "banque",
    "msa",
    "other",
)
SERVICES = ("internet", "print", "scan", "workshop", "wifi")
# Kinds of distress, each answered with its own numbers (15, 17, 3114, 119, 115…).
EMERGENCY_KINDS = ("medical", "violence", "suicide", "child", "eviction", "homeless")
# The signals the understanding's rules read; a cue file naming another concept is an error.
CONCEPTS = frozenset(
    {
        "stop", "stop_short", "start", "forget", "forget_short", "privacy_other",
        "emergency", "emergency_short", "not_emergency",
        "scam_report", "scam_sender", "scam_ask", "scam_pay", "scam_spam", "scam_done",
        "scam_after",
        "bye", "okay", "unknown", "fall", "unresponsive", "priority", "child_person",
        "child_harm", "file_status", "privacy_follow",
        "offer", "social_housing", "home", "cheap", "internet", "isp", "broken",
        "where", "place", "help", "human", "learn", "learn_weak", "greeting", "thanks",
        "about_service", "identity", "done", "want", "admin", "out_of_scope", "commerce",
        "open_now", "yes", "no", "preposition", "generic_place", "street", "not_a_place",
        "lives_at", "correction", "works_at",
    }
)  # fmt: skip
LANGUAGE_DIR = "langue"
TABLES = ("cues", "topics", "services", "weak_services", "examples", "emergencies")


@dataclass(frozen=True)
class Language:
    """Everything the understanding needs to read residents' messages, as raw phrases."""

    rewrites: Mapping[str, str] = field(default_factory=dict)  # "jsui" -> "je suis"
    common_words: frozenset[str] = frozenset()  # never fuzzy-corrected, never a place
    numbers: Mapping[str, int] = field(default_factory=dict)  # "deux" -> 2
    cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # concept -> phrases
    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    services: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # explicit wording
    weak_services: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # "cyber", "poste"
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # intent -> phrasings
    emergencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # kind -> phrases


@dataclass
class _Draft:
    """A language being read, file by file, before it is frozen."""

    rewrites: dict[str, str] = field(default_factory=dict)
    common_words: set[str] = field(default_factory=set)
    numbers: dict[str, int] = field(default_factory=dict)
    tables: dict[str, dict[str, tuple[str, ...]]] = field(
        default_factory=lambda: {k: {} for k in TABLES}
    )


def _scalar_pairs(node: Node, path: str, problems: list[Problem]) -> list[tuple[str, int]]:
    """The strings of a YAML list node with their 1-based line numbers."""
    if not isinstance(node, SequenceNode):
        problems.append(Problem(path, node.start_mark.line + 1, "expected a list of phrases"))
        return []
    pairs = []
    for item in node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, ScalarNode) or not str(item.value).strip():
            problems.append(Problem(path, line, "expected a non-empty phrase"))
            continue
        pairs.append((str(item.value).strip(), line))
    return pairs


def _mapping(node: Node | None, path: str, problems: list[Problem]) -> dict[str, Node]:
    """The keys of a YAML mapping node with their value nodes."""
    if node is None:
        return {}
    if not isinstance(node, MappingNode):
        problems.append(Problem(path, node.start_mark.line + 1, "expected a mapping"))
        return {}
    return {str(key.value): value for key, value in node.value}


def _phrase_table(
    node: Node,
    path: str,
    known: Collection[str],
    what: str,
    problems: list[Problem],
) -> dict[str, tuple[str, ...]]:
    """A `name: [phrases]` mapping whose names must be in `known`."""
    table: dict[str, tuple[str, ...]] = {}
    for key_node, value in node.value if isinstance(node, MappingNode) else []:
        name = str(key_node.value)
        if name not in known:
            line = key_node.start_mark.line + 1
            problems.append(Problem(path, line, f"unknown {what} {name!r}"))
            continue
        phrases = [text for text, _ in _scalar_pairs(value, path, problems)]
        table[name] = table.get(name, ()) + tuple(phrases)
    if not isinstance(node, MappingNode):
        problems.append(Problem(path, node.start_mark.line + 1, f"expected {what}: [phrases]"))
    return table


def _read_lexicon(node: Node, path: str, problems: list[Problem]) -> dict[str, str]:
    """The `sms: standard` rewrites, refusing duplicates."""
    rewrites: dict[str, str] = {}
    for key_node, value in node.value if isinstance(node, MappingNode) else []:
        line = key_node.start_mark.line + 1
        source, target = str(key_node.value).strip().lower(), str(value.value).strip()
        if not isinstance(value, ScalarNode) or not source or not target:
            problems.append(Problem(path, line, "expected `sms form: standard form`"))
        elif source in rewrites:
            problems.append(Problem(path, line, f"duplicate rewrite {source!r}"))
        else:
            rewrites[source] = target
    return rewrites


def _merge(language: _Draft, sections: dict[str, Node], path: str, problems: list[Problem]) -> None:
    """Add one file's sections to the language being built."""
    for section, node in sections.items():
        line = node.start_mark.line + 1
        if section == "rewrites":
            for source, target in _read_lexicon(node, path, problems).items():
                if source in language.rewrites:
                    problems.append(Problem(path, line, f"rewrite {source!r} defined twice"))
                language.rewrites[source] = target
        elif section == "common_words":
            words = [w.lower() for w, _ in _scalar_pairs(node, path, problems)]
            language.common_words.update(words)
        elif section == "numbers":
            for word, value in _mapping(node, path, problems).items():
                if not (isinstance(value, ScalarNode) and str(value.value).isdigit()):
                    problems.append(Problem(path, value.start_mark.line + 1, "expected a number"))
                    continue
                language.numbers[word.lower()] = int(value.value)
        elif section in TABLES:
            known = {
                "cues": CONCEPTS,
                "topics": TOPICS,
                "services": SERVICES,
                "weak_services": SERVICES,
                "examples": INTENTS,
                "emergencies": EMERGENCY_KINDS,
            }[section]
            what = {
                "cues": "concept",
                "topics": "topic",
                "examples": "intent",
                "emergencies": "kind of emergency",
            }.get(section, "service")
            for name, phrases in _phrase_table(node, path, known, what, problems).items():
                table = language.tables[section]
                table[name] = table.get(name, ()) + phrases
        else:
            problems.append(Problem(path, line, f"unknown section {section!r}"))


def load_language(content_dir: Path) -> tuple[Language, list[Problem]]:
    """Read every `content/langue/*.yaml` file; problems carry file and line."""
    problems: list[Problem] = []
    building = _Draft()
    folder = Path(content_dir) / LANGUAGE_DIR
    files = sorted(folder.glob("*.yaml"))
    if not files:
        problems.append(Problem(str(folder), None, "no language file (*.yaml) found"))
    for file in files:
        path = str(file)
        try:
            root = yaml.compose(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problems.append(Problem(path, mark.line + 1 if mark else None, f"bad YAML: {error}"))
            continue
        _merge(building, _mapping(root, path, problems), path, problems)
    for topic in TOPICS:
        if topic != "other" and files and not building.tables["topics"].get(topic):
            problems.append(Problem(str(folder), None, f"topic {topic!r} has no keyword"))
    language = Language(
        rewrites=MappingProxyType(building.rewrites),
        common_words=frozenset(building.common_words),
        numbers=MappingProxyType(building.numbers),
        **{k: MappingProxyType(building.tables[k]) for k in TABLES},
    )
    return language, problems
