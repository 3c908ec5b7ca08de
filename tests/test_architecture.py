"""The import rules of ARCHITECTURE.md, read from the tree: channels are thin, and no
arrow runs back up between packages (no cycle among bot's packages and handlers)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a channel never sees: the core is reached through bot.backend only.
CHANNELS_NEVER = (
    "bot.conversation", "bot.store", "bot.gateway", "bot.mediation", "bot.inbox", "handlers",
)  # fmt: skip


def modules() -> Iterator[tuple[str, Path]]:
    for folder in ("bot", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def package(module: str) -> str | None:
    """The unit arrows are drawn between: `handlers`, or bot's first-level module/package."""
    parts = module.split(".")
    if parts[0] == "handlers":
        return "handlers"
    return ".".join(parts[:2]) if parts[0] == "bot" and len(parts) > 1 else None


def test_no_channel_imports_the_core() -> None:
    for name, path in modules():
        if name.startswith("bot.channels"):
            wrong = {m for m in imports(path) if m.startswith(CHANNELS_NEVER)}
            assert not wrong, f"{name} imports {sorted(wrong)}: use bot.backend"


def arrows() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in modules():
        source = package(name)
        for target in map(package, imports(path)):
            if source and target and target != source:
                graph.setdefault(source, set()).add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for after in graph.get(node, ()):
            if after not in index:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_arrow_runs_back_up() -> None:
    assert cycles(arrows()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
