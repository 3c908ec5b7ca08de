"""The kind of a place (France services, médiathèque, mairie...), for referrals and counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from bot.content.model import Problem
from bot.content.places import Place
from bot.content.topics import TOPICS_FILE, TopicHelp

# The kinds `ou_aller` of aide_par_theme.yaml names, read from the national fields.
KIND_BY_DISPOSITIF = {
    "France Services": "france_services",
    "Conseillers numériques": "conseiller_numerique",
    "Aidants Connect": "aidants_connect",
}


def place_kinds(place: Place) -> frozenset[str]:
    """Every `ou_aller` kind this place is: france_services, mairie, papi, mediatheque..."""
    kinds = {KIND_BY_DISPOSITIF[d] for d in place.dispositifs if d in KIND_BY_DISPOSITIF}
    if "MUNI" in place.typologie or place.nom.lower().startswith("mairie"):
        kinds.add("mairie")
    if place.papi:
        kinds.add("papi")
    if "médiathèque" in place.nom.lower() or "mediatheque" in place.nom.lower():
        kinds.add("mediatheque")
    return frozenset(kinds)


def main_kind(place: Place) -> str:
    """One kind for counting: the most specific of `place_kinds`, else 'autre'."""
    kinds = place_kinds(place)
    order = ("france_services", "mairie", "mediatheque", "conseiller_numerique",
             "aidants_connect", "papi")  # fmt: skip
    return next((kind for kind in order if kind in kinds), "autre")


def counts_by_kind_and_quartier(places: Iterable[Place]) -> Counter[tuple[str, str]]:
    """How many places of each kind in each quartier ('?' when the quartier is not sourced)."""
    return Counter((main_kind(p), p.quartier or "?") for p in places)


PLACE_KINDS_CHECKED = (
    "france_services", "conseiller_numerique", "aidants_connect", "mairie", "papi",
)  # fmt: skip


def check_referrals(topics: Mapping[str, TopicHelp], places: Iterable[Place]) -> list[Problem]:
    """A warning for each `ou_aller` kind of a topic that no place of that kind carries."""
    carried = {(kind, topic) for p in places for kind in place_kinds(p) for topic in p.themes}
    problems = []
    for topic in topics.values():
        for kind in topic.place_kinds:
            if kind in PLACE_KINDS_CHECKED and (kind, topic.id) not in carried:
                message = (
                    f"{topic.id}: ou_aller '{kind}', mais aucun lieu de ce type n'a ce thème "
                    "(lieux_complements.csv)"
                )
                problems.append(Problem(TOPICS_FILE, None, message, "warning"))
    return problems
