"""Curators' edits of content/: each written, validated like `content check`, undone on error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot.content.csvfile import read_rows, write_rows
from bot.content.formats.common import phone
from bot.content.loader import Content, check_content
from bot.content.places import COMPLEMENT_COLUMNS, COMPLEMENTS_FILE, PLACES_FILE, STALE_AFTER
from bot.content.schema import load_schema
from bot.content.stops import is_stop

FAQ_FILE = "faq.yaml"


@contextmanager
def validated(content_dir: Path, *names: str) -> Iterator[list[str]]:
    """Around an edit of `names`: the errors of `content check` after it (files restored)."""
    paths = [content_dir / name for name in names]
    backup = {path: path.read_bytes() if path.exists() else None for path in paths}
    errors: list[str] = []
    try:
        yield errors
    except ValueError as error:
        errors.append(str(error))
    if not errors:
        content, problems = check_content(content_dir)
        if content is None:
            errors += [str(p) for p in problems if p.severity == "error"]
    if errors:
        for path, data in backup.items():
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(data)


def _edit_place(content_dir: Path, place_id: str, change: Callable[[dict[str, str]], None]) -> None:
    schema = load_schema(content_dir)
    _, rows = read_rows(content_dir / PLACES_FILE)
    places = [row for _, row in rows]
    row = next((r for r in places if r["id"] == place_id), None)
    if row is None:
        raise ValueError(f"lieu inconnu: {place_id}")
    change(row)
    write_rows(content_dir / PLACES_FILE, schema.columns, places)


def _verified(content_dir: Path, place_id: str, note: str, today: date) -> None:
    _, rows = read_rows(content_dir / COMPLEMENTS_FILE)
    sides = [row for _, row in rows]
    for side in sides:
        if side["id"] == place_id:
            side["verifie_le"] = today.isoformat()
            side["notes"] = f"{side['notes']}; {note}" if side["notes"] else note
    write_rows(content_dir / COMPLEMENTS_FILE, COMPLEMENT_COLUMNS, sides)


def fix_place(
    content_dir: Path, place_id: str, horaires: str, telephone: str, who: str, today: date
) -> list[str]:
    """Set a place's hours and phone (empty leaves it), mark it verified; [] or the errors."""
    with validated(content_dir, PLACES_FILE, COMPLEMENTS_FILE) as errors:
        number = phone(telephone) if telephone.strip() else ""
        if telephone.strip() and not number:
            raise ValueError(f"numéro de téléphone invalide: {telephone!r}")

        def change(row: dict[str, str]) -> None:
            if horaires.strip():
                row["horaires"] = horaires.strip()
            if number:
                row["telephone"] = number
            row["date_maj"] = today.isoformat()

        _edit_place(content_dir, place_id, change)
        _verified(content_dir, place_id, f"horaires/téléphone revus par {who} le {today}", today)
    return errors


def promote_faq(
    content_dir: Path, question: str, answer: str, topic: str | None, who: str, today: date
) -> list[str]:
    """Add a mediator's answer to content/faq.yaml, with who and when; [] or the errors."""
    with validated(content_dir, FAQ_FILE) as errors:
        path = content_dir / FAQ_FILE
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        entries = list((data or {}).get("faq") or [])
        if not question.strip() or not answer.strip():
            raise ValueError("question et réponse obligatoires")
        entries.append(
            {
                "question": question.strip(),
                "reponse": answer.strip(),
                "theme": topic,
                "source": f"réponse d'un médiateur, promue par {who}",
                "verifie_le": today,
            }
        )
        header = "# Questions fréquentes promues depuis les réponses des médiateurs (inbox).\n"
        text = yaml.safe_dump({"faq": entries}, allow_unicode=True, sort_keys=False)
        path.write_text(header + text, encoding="utf-8")
    return errors


@dataclass(frozen=True)
class Stale:
    """Something residents are told that nobody has checked for 12 months."""

    kind: str  # lieu | ligne
    id: str
    name: str
    since: date | None


def stale_items(content: Content, today: date) -> list[Stale]:
    """Places and helplines not verified for 12 months, oldest first; unverified lines too."""
    found = [
        Stale("lieu", p.id, p.nom, p.verifie_le)
        for p in content.places
        if not is_stop(p) and p.verifie_le and today - p.verifie_le > STALE_AFTER
    ]
    lines = {
        line.id: line
        for topic in content.topics.values()
        for line in (*topic.helplines, *topic.unverified)
    }
    for line in lines.values():
        if line.verified is None or line.to_check or today - line.verified > STALE_AFTER:
            found.append(Stale("ligne", line.id, line.name, line.verified))
    return sorted(found, key=lambda s: (s.since or date.min, s.id))
