"""YAML files read with the line of every value, so problems can say `file:line`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.model import Problem

Path_ = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """A parsed YAML document and the 1-based line where each key path starts."""

    name: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, *path: str | int) -> int | None:
        """Line of the deepest known prefix of `path` (the value itself when it is known)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def error(self, path: Path_, message: str, severity: str = "error") -> None:
        """Record a problem located at `path`."""
        self.problems.append(Problem(self.name, self.line(*path), message, severity))


def load_yaml(content_dir: Path, name: str) -> YamlDoc:
    """Read `content_dir/name`; a missing file or a syntax error becomes a problem."""
    doc = YamlDoc(name, None)
    path = content_dir / name
    if not path.exists():
        doc.problems.append(Problem(name, None, "fichier manquant"))
        return doc
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    try:
        node = loader.get_single_node()
        if node is not None:
            _record_lines(node, (), doc.lines)
            doc.data = loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        doc.problems.append(Problem(name, line, f"YAML invalide: {reason}"))
    finally:
        loader.dispose()
    return doc


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            _record_lines(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            _record_lines(value, (*path, index), lines)


def as_mapping(doc: YamlDoc, path: Path_, value: Any) -> Mapping[str, Any]:
    """Return `value` if it is a mapping, else record a problem and return {}."""
    if isinstance(value, Mapping):
        return value
    doc.error(path, f"{'.'.join(map(str, path)) or 'document'}: un dictionnaire est attendu")
    return {}


def as_text(doc: YamlDoc, path: Path_, value: Any, required: bool = True) -> str:
    """Return `value` as stripped text; record a problem if required and missing or not text."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        if text or not required:
            return text
    elif value is None and not required:
        return ""
    doc.error(path, f"{'.'.join(map(str, path))}: texte obligatoire")
    return ""


def as_list(doc: YamlDoc, path: Path_, value: Any) -> list[Any]:
    """Return `value` if it is a list (None counts as empty), else record a problem."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    doc.error(path, f"{'.'.join(map(str, path))}: une liste est attendue")
    return []
