"""Help by administrative topic: where to go, what to bring, national helplines."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.hours import parse_hours
from bot.content.model import Problem
from bot.content.yamlfile import YamlDoc, as_list, as_mapping, as_text, load_yaml

TOPICS_FILE = "aide_par_theme.yaml"
TOPICS = (
    "caf", "cpam", "ants", "impots", "france_travail", "retraite", "logement",
    "energie", "titre_sejour", "ecole", "banque", "msa", "other",
)  # fmt: skip
PLACE_KINDS = (
    "france_services", "conseiller_numerique", "aidants_connect", "guichet_organisme",
    "mairie", "papi", "mediateurs",
)  # fmt: skip
APPOINTMENT = ("oui", "non", "conseille")
PHONE = re.compile(
    r"^(0\d( ?\d\d){4}|0 ?[89]\d\d( ?\d\d\d){2}|\d\d ?\d\d|01 70 772 372|1\d\d?)$"
)  # national numbers, short codes (32 30) and emergency numbers (15, 112, 115)


@dataclass(frozen=True)
class Helpline:
    """A national phone line, with its hours and where the number comes from."""

    id: str
    name: str
    number: str
    horaires: str | None
    cost: str
    website: str | None
    source: str
    verified: date | None
    to_check: str | None = None  # why a curator must check it before residents hear it

    @property
    def shown(self) -> bool:
        """Is this line said to residents: verified on a date, and not flagged to check?"""
        return self.verified is not None and self.to_check is None


@dataclass(frozen=True)
class TopicHelp:
    """Who helps with one topic (caf, cpam...), what to bring, whether to book."""

    id: str
    name: str
    covers: str
    place_kinds: tuple[str, ...]
    desk: str | None
    documents: tuple[str, ...]
    appointment: str  # oui | non | conseille
    helplines: tuple[Helpline, ...]  # only the lines residents may hear (`Helpline.shown`)
    website: str | None
    source: str
    unverified: tuple[Helpline, ...] = ()  # named here, but kept from residents until checked


def load_topics(content_dir: Path) -> tuple[Mapping[str, TopicHelp], list[Problem]]:
    """Read aide_par_theme.yaml; every topic of TOPICS must be described, no other."""
    doc = load_yaml(content_dir, TOPICS_FILE)
    data = as_mapping(doc, (), doc.data or {})
    lines = helplines(doc, data)
    topics: dict[str, TopicHelp] = {}
    described = as_mapping(doc, ("themes",), data.get("themes"))
    for key, value in described.items():
        if key not in TOPICS:
            doc.error(("themes", key), f"thème inconnu {key!r} (attendus: {', '.join(TOPICS)})")
            continue
        topics[key] = _topic(doc, key, as_mapping(doc, ("themes", key), value), lines)
    for key in TOPICS:
        if key not in described and data:
            doc.error(("themes",), f"thème manquant: {key}")
    return topics, doc.problems


def helplines(doc: YamlDoc, data: Mapping[str, object]) -> dict[str, Helpline]:
    """The phone lines under `lignes:` of a YAML document, by id."""
    return {
        key: _helpline(doc, key, value)
        for key, value in as_mapping(doc, ("lignes",), data.get("lignes")).items()
    }


def _helpline(doc: YamlDoc, key: str, value: object) -> Helpline:
    path = ("lignes", key)
    data = as_mapping(doc, path, value)
    number = as_text(doc, (*path, "numero"), data.get("numero"))
    if number and not PHONE.match(number):
        doc.error((*path, "numero"), f"{key}: numéro de téléphone invalide {number!r}")
    horaires = as_text(doc, (*path, "horaires"), data.get("horaires"), required=False)
    if horaires:
        try:
            parse_hours(horaires)
        except ValueError as error:
            doc.error((*path, "horaires"), f"{key}: {error}")
    verified = data.get("verifie_le")
    if verified is not None and not isinstance(verified, date):
        doc.error((*path, "verifie_le"), f"{key}: verifie_le doit être une date AAAA-MM-JJ")
    to_check = as_text(doc, (*path, "a_verifier"), data.get("a_verifier"), required=False)
    if to_check:
        message = f"ligne {key} non dite aux habitants: {to_check}"
        doc.error((*path, "a_verifier"), message, "warning")
    elif verified is None:
        message = f"ligne {key} sans verifie_le: non dite aux habitants avant vérification"
        doc.error(path, message, "warning")
    return Helpline(
        id=key,
        name=as_text(doc, (*path, "nom"), data.get("nom")),
        number=number,
        horaires=horaires or None,
        cost=as_text(doc, (*path, "cout"), data.get("cout")),
        website=as_text(doc, (*path, "site"), data.get("site"), required=False) or None,
        source=as_text(doc, (*path, "source"), data.get("source")),
        verified=verified if isinstance(verified, date) else None,
        to_check=to_check or None,
    )


def _topic(
    doc: YamlDoc, key: str, data: Mapping[str, object], lines: Mapping[str, Helpline]
) -> TopicHelp:
    path = ("themes", key)
    kinds = [str(k) for k in as_list(doc, (*path, "ou_aller"), data.get("ou_aller"))]
    for index, kind in enumerate(kinds):
        if kind not in PLACE_KINDS:
            doc.error((*path, "ou_aller", index), f"{key}: type de lieu inconnu {kind!r}")
    appointment = as_text(doc, (*path, "rendez_vous"), data.get("rendez_vous"))
    if appointment and appointment not in APPOINTMENT:
        doc.error((*path, "rendez_vous"), f"{key}: rendez_vous doit être oui, non ou conseille")
    helplines = []
    for index, ref in enumerate(as_list(doc, (*path, "lignes"), data.get("lignes"))):
        if ref in lines:
            helplines.append(lines[ref])
        else:
            doc.error((*path, "lignes", index), f"{key}: ligne inconnue {ref!r}")
    documents = as_list(doc, (*path, "a_apporter"), data.get("a_apporter"))
    return TopicHelp(
        id=key,
        name=as_text(doc, (*path, "nom"), data.get("nom")),
        covers=as_text(doc, (*path, "couvre"), data.get("couvre")),
        place_kinds=tuple(kinds),
        desk=as_text(doc, (*path, "guichet"), data.get("guichet"), required=False) or None,
        documents=tuple(str(d) for d in documents),
        appointment=appointment,
        helplines=tuple(line for line in helplines if line.shown),
        unverified=tuple(line for line in helplines if not line.shown),
        website=as_text(doc, (*path, "site"), data.get("site"), required=False) or None,
        source=as_text(doc, (*path, "source"), data.get("source")),
    )
