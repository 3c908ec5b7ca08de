"""Every sentence the bot says, keyed, in French with optional other languages."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.content.model import Problem
from bot.content.yamlfile import YamlDoc, as_mapping, load_yaml

TEXTS_FILE = "textes.yaml"
DEFAULT_LANG = "fr"
LANGUAGES = ("fr", "en")
SMS_MAX = 306  # two GSM-7 segments; a text longer than this before filling is flagged
_SEPARATORS = re.compile(r"[\W_]+")


def folded(text: str) -> str:
    """Lower case, no accents, runs of spaces and punctuation made one space."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", bare).strip()


@dataclass(frozen=True)
class Texts:
    """Keyed sentences; `say` fills the `{placeholders}`."""

    entries: Mapping[str, Mapping[str, str]]

    def say(self, key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
        """The sentence `key` in `lang` (French when missing), filled with `values`."""
        variants = self.entries[key]
        template = variants.get(lang) or variants[DEFAULT_LANG]
        return template.format(**values)

    def placeholders(self, key: str) -> frozenset[str]:
        """The names of the `{placeholders}` of the French sentence `key`."""
        return placeholders_of(self.entries[key][DEFAULT_LANG])

    def __contains__(self, key: object) -> bool:
        return key in self.entries


def placeholders_of(template: str) -> frozenset[str]:
    """Names used as `{name}` in a template; raise ValueError on malformed braces."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            if not name.isidentifier():
                raise ValueError(f"marqueur invalide {{{name}}}")
            names.add(name)
    return frozenset(names)


def load_texts(content_dir: Path) -> tuple[Texts, list[Problem]]:
    """Read textes.yaml: `key: {fr: "...", en: "..."}`; check languages and placeholders."""
    doc = load_yaml(content_dir, TEXTS_FILE)
    entries: dict[str, dict[str, str]] = {}
    for key, variants in as_mapping(doc, (), doc.data or {}).items():
        variants = as_mapping(doc, (key,), variants)
        texts = {lang: value for lang, value in variants.items() if isinstance(value, str)}
        for lang in variants:
            if lang not in LANGUAGES or lang not in texts:
                doc.error((key, lang), f"{key}.{lang}: langue inconnue ou texte vide")
        if not texts.get(DEFAULT_LANG, "").strip():
            doc.error((key,), f"{key}: le texte en français (fr) est obligatoire")
            continue
        _check_placeholders(doc, key, texts)
        entries[key] = texts
    return Texts(entries), doc.problems


def _check_placeholders(doc: YamlDoc, key: str, texts: Mapping[str, str]) -> None:
    try:
        expected = placeholders_of(texts[DEFAULT_LANG])
    except ValueError as error:
        doc.error((key, DEFAULT_LANG), f"{key}.fr: {error}")
        return
    if len(texts[DEFAULT_LANG]) > SMS_MAX:
        doc.error((key, "fr"), f"{key}.fr: plus de {SMS_MAX} caractères (SMS)", "warning")
    for lang, template in texts.items():
        if lang == DEFAULT_LANG:
            continue
        try:
            names = placeholders_of(template)
        except ValueError as error:
            doc.error((key, lang), f"{key}.{lang}: {error}")
            continue
        if names != expected:
            doc.error(
                (key, lang),
                f"{key}.{lang}: marqueurs {sorted(names)} différents de fr {sorted(expected)}",
            )
