"""The 1 €/month accompanied internet offer in social housing, and where it is active."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.followups import says_any
from bot.content.model import Problem
from bot.content.texts import folded
from bot.content.yamlfile import YamlDoc, as_list, as_mapping, as_text, load_yaml

HOUSING_FILE = "internet_habitat_social.yaml"


@dataclass(frozen=True)
class Sector:
    """A social-housing sector whose tenants voted for the offer, and the year of the vote."""

    id: str
    name: str
    quartier: str | None  # gazetteer id of the administrative quartier, when sourced
    vote_year: int
    places: tuple[str, ...]  # gazetteer ids a resident may name for this sector
    notes: str
    source: str


@dataclass(frozen=True)
class Question:
    """A question residents ask after the answer ("comment je m'abonne ?"), and its answer.

    `cues` are word beginnings ("abonn" finds "abonner", "m'abonne", "mabonne") or phrases."""

    id: str
    cues: tuple[str, ...]
    answer: str
    after_answer_only: bool = False  # at the start, these words ask the main question

    def asked_in(self, text: str) -> bool:
        """Whether `text` asks this question."""
        return says_any(text, self.cues)


@dataclass(frozen=True)
class HousingOffer:
    """What the offer is, who can have it, how to subscribe, and what to do elsewhere."""

    name: str
    price_eur: float
    price_date: date
    operator: str
    landlord: str
    includes: tuple[str, ...]
    eligibility: str
    how_to_subscribe: str
    contacts: tuple[str, ...]
    accompaniment: tuple[str, ...]
    elsewhere: tuple[str, ...]
    sources: tuple[str, ...]
    verified: date
    sectors: tuple[Sector, ...]
    questions: tuple[Question, ...] = ()

    def question_in(self, text: str, answered: bool = True) -> Question | None:
        """The first question of the content that `text` asks, if any (before the answer,
        only those that make sense then)."""
        asked = (q for q in self.questions if answered or not q.after_answer_only)
        return next((q for q in asked if q.asked_in(text)), None)

    def sectors_for(self, gazetteer_id: str) -> tuple[Sector, ...]:
        """Sectors a gazetteer entry (sub-neighbourhood, quartier) names or contains."""
        return tuple(
            s for s in self.sectors if gazetteer_id in s.places or gazetteer_id == s.quartier
        )


def load_housing(
    content_dir: Path, gazetteer_ids: Collection[str]
) -> tuple[HousingOffer | None, list[Problem]]:
    """Read internet_habitat_social.yaml; sector references must exist in the gazetteer."""
    doc = load_yaml(content_dir, HOUSING_FILE)
    data = as_mapping(doc, (), doc.data or {})
    offer = as_mapping(doc, ("offre",), data.get("offre"))
    sectors = tuple(
        _sector(doc, index, as_mapping(doc, ("secteurs", index), value), gazetteer_ids)
        for index, value in enumerate(as_list(doc, ("secteurs",), data.get("secteurs")))
    )
    ids = [s.id for s in sectors]
    for index, sector_id in enumerate(ids):
        if sector_id in ids[:index]:
            doc.error(("secteurs", index, "id"), f"identifiant de secteur en double: {sector_id}")
    price, price_date, verified = (
        offer.get("prix_mensuel_eur"),
        offer.get("prix_date"),
        offer.get("verifie_le"),
    )
    if not isinstance(price, int | float) or isinstance(price, bool) or price <= 0:
        doc.error(("offre", "prix_mensuel_eur"), "prix_mensuel_eur: nombre positif attendu")
    for key, value in (("prix_date", price_date), ("verifie_le", verified)):
        if not isinstance(value, date):
            doc.error(("offre", key), f"{key}: date AAAA-MM-JJ attendue")
    texts = {
        key: as_text(doc, ("offre", key), offer.get(key))
        for key in ("nom", "operateur", "bailleur", "pour_qui", "comment_souscrire")
    }
    lists = {
        key: tuple(str(v) for v in as_list(doc, ("offre", key), offer.get(key)))
        for key in ("inclus", "contacts", "accompagnement", "sources")
    }
    elsewhere = tuple(str(v) for v in as_list(doc, ("ailleurs",), data.get("ailleurs")))
    for key in ("inclus", "contacts", "sources"):
        if not lists[key] and offer:
            doc.error(("offre", key), f"{key}: au moins une entrée est attendue")
    if (
        any(p.severity == "error" for p in doc.problems)
        or not isinstance(price, int | float)
        or not isinstance(price_date, date)
        or not isinstance(verified, date)
    ):
        return None, doc.problems  # the checks above recorded why
    return HousingOffer(
        name=texts["nom"],
        price_eur=float(price),
        price_date=price_date,
        operator=texts["operateur"],
        landlord=texts["bailleur"],
        includes=lists["inclus"],
        eligibility=texts["pour_qui"],
        how_to_subscribe=texts["comment_souscrire"],
        contacts=lists["contacts"],
        accompaniment=lists["accompagnement"],
        elsewhere=elsewhere,
        sources=lists["sources"],
        verified=verified,
        sectors=sectors,
        questions=_questions(doc, data),
    ), doc.problems


def _questions(doc: YamlDoc, data: Mapping[str, object]) -> tuple[Question, ...]:
    """The `questions:` list: id, mots (word beginnings or phrases), reponse."""
    found = []
    for index, value in enumerate(as_list(doc, ("questions",), data.get("questions"))):
        path = ("questions", index)
        item = as_mapping(doc, path, value)
        cues = tuple(folded(str(c)) for c in as_list(doc, (*path, "mots"), item.get("mots")))
        if not cues:
            doc.error((*path, "mots"), "mots: au moins un mot ou une expression est attendu")
        answer = as_text(doc, (*path, "reponse"), item.get("reponse"))
        ident = as_text(doc, (*path, "id"), item.get("id"))
        found.append(Question(ident, cues, answer, bool(item.get("apres_reponse_seulement"))))
    return tuple(found)


def _sector(
    doc: YamlDoc, index: int, data: Mapping[str, object], gazetteer_ids: Collection[str]
) -> Sector:
    path = ("secteurs", index)
    year = data.get("annee_vote")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        doc.error((*path, "annee_vote"), "annee_vote: année attendue (ex. 2014)")
        year = 0
    quartier = as_text(doc, (*path, "quartier"), data.get("quartier"), required=False)
    places = [str(p) for p in as_list(doc, (*path, "lieux"), data.get("lieux"))]
    for ref_index, ref in enumerate([quartier, *places]):
        if ref and ref not in gazetteer_ids:
            where = (*path, "quartier") if ref_index == 0 else (*path, "lieux", ref_index - 1)
            doc.error(where, f"référence inconnue dans gazetteer.csv: {ref!r}")
    return Sector(
        id=as_text(doc, (*path, "id"), data.get("id")),
        name=as_text(doc, (*path, "nom"), data.get("nom")),
        quartier=quartier or None,
        vote_year=year,
        places=tuple(places),
        notes=as_text(doc, (*path, "notes"), data.get("notes"), required=False),
        source=as_text(doc, (*path, "source"), data.get("source")),
    )
