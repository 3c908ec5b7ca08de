"""WhatsApp's approved templates (Twilio's Content API): which reply, by its sentence key,
may leave as which template when the person's 24-hour window is closed.

Read by `content check` (with the rest of the base) and by the WhatsApp channel when it
starts. Imports nothing but the YAML reader and the sentence registry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.content.model import Problem
from bot.content.sentences import needed
from bot.content.yamlfile import as_mapping, as_text, load_yaml

TEMPLATES_FILE = "whatsapp_modeles.yaml"
CONTENT_SID = re.compile(r"HX[0-9a-f]{32}")  # Twilio's Content SIDs
PLACEHOLDER = re.compile(r"[1-9][0-9]?")  # {{1}}, {{2}}… in the approved template


@dataclass(frozen=True)
class Template:
    """An approved template: its Content SID and the JSON of its variables."""

    content_sid: str
    variables: str  # ContentVariables, e.g. '{"1": "Aiguillage Brest"}'


def load_whatsapp_templates(content_dir: Path) -> tuple[dict[str, Template], list[Problem]]:
    """Read whatsapp_modeles.yaml: `modeles`, sentence key → `content_sid` and `variables`."""
    if not (content_dir / TEMPLATES_FILE).exists():
        return {}, []  # no WhatsApp templates: outside the window nothing leaves
    doc = load_yaml(content_dir, TEMPLATES_FILE)
    data = as_mapping(doc, (), doc.data or {})
    templates: dict[str, Template] = {}
    keys = needed()
    for key, entry in as_mapping(doc, ("modeles",), data.get("modeles") or {}).items():
        path = ("modeles", key)
        if key not in keys:
            doc.error(path, f"{key}: clé de phrase inconnue (voir bot/content/sentences.py)")
        entry = as_mapping(doc, path, entry)
        sid = as_text(doc, (*path, "content_sid"), entry.get("content_sid"))
        if sid and not CONTENT_SID.fullmatch(sid):
            doc.error((*path, "content_sid"), f"{key}: content_sid HX suivi de 32 hexadécimaux")
        variables = as_mapping(doc, (*path, "variables"), entry.get("variables") or {})
        values = {}
        for name, value in variables.items():
            text = as_text(doc, (*path, "variables", name), value)
            if not PLACEHOLDER.fullmatch(str(name)):
                doc.error((*path, "variables", name), f"{key}: variable {name!r}: 1, 2, 3…")
            values[str(name)] = text
        templates[key] = Template(sid, json.dumps(values, ensure_ascii=False))
    return ({} if doc.problems else templates), doc.problems
