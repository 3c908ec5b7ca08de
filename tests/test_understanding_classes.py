"""The classes of error of issue 13, each with messages in new words (not the held-out ones)."""

from __future__ import annotations

import pytest

from tests.understanding_fixtures import shipped_understander


def understand(text: str):
    return shipped_understander().understand(text)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # privacy questions about what we keep and who reads it
        ("vous conservez ce que j'écris ?", "privacy"),
        ("qui lit mes messages ici ?", "privacy"),
        ("is this recorded?", "privacy"),
        # rule 6 still holds: the privacy of the 1 € offer is about the offer
        ("avec internet à 1 euro qui voit ce que je fais ?", "housing_internet"),
        # a STOP to the robot while asking for a person
        ("stop les messages automatiques, je veux parler à quelqu'un", "talk_to_human"),
        ("STOP", "privacy"),
        # equipment at a mairie is a place, not a procedure
        ("la mairie de Bellevue a des ordinateurs pour le public ?", "find_place"),
        ("je sais faire, pas besoin d'aide, juste scanner mon dossier CAF", "find_place"),
        # a commercial box is not a procedure nor the 1 € offer
        ("une box pas chère, je touche le RSA, orange ou bouygues ?", "out_of_scope"),
        ("locataire HLM, je paie 35 euros chez SFR, y a moins cher ?", "housing_internet"),
        ("je cherche un hlm pour moi et mes 3 enfants comment faire la demande", "find_mediator"),
        # wishes are greetings; a question about this number too
        ("joyeux noël à toute l'équipe", "greeting"),
        ("c'est qui ce numéro ? on me l'a donné à la médiathèque", "greeting"),
        # distress with a procedure asked: the procedure, with the distress flagged
        ("on est à la rue depuis lundi, aidez-moi à faire ma demande de logement social",
         "find_mediator"),
    ],
)  # fmt: skip
def test_error_classes(text, intent):
    assert understand(text).intent == intent


def test_distress_with_a_procedure_keeps_the_flag():
    result = understand("mon mari violent a gardé mon passeport, qui peut m'aider à le refaire ?")
    assert (result.intent, result.topic, result.emergency) == ("find_mediator", "ants", "violence")


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("pas besoin d'imprimer, juste le wifi svp à bellevue", "wifi"),
        ("non pas scanner, imprimer, à kerourien", "print"),
        ("j'arrive pas à imprimer chez moi, où aller à bellevue", "print"),
    ],
)
def test_a_refused_service_gives_way(text, service):
    assert understand(text).service == service


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("je travaille au CCAS, une dame doit imprimer, où aller vers Kerourien ?", "Kerourien"),
        ("éducateur au foyer de Kérinou, un jeune doit scanner, où à Bellevue ?", "Bellevue"),
        ("je veux apprendre skype pour parler à ma fille au Canada, vers Bellevue", "Bellevue"),
    ],
)
def test_the_writers_workplace_and_far_countries_are_not_the_place(text, near):
    result = understand(text)
    assert result.near is not None and result.near.text == near


def test_a_new_sentence_is_not_a_name():
    result = understand("plus d'internet à la maison. On cherche un ordi près de Bellevue")
    assert result.near is not None and result.near.text == "Bellevue"


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("où imprimer près du CHU Morvan", "chu-morvan"),
        ("wifi vers l'hopital de la cavale blanche", "chu-cavale-blanche"),
        ("un ordi pas loin d'Océanopolis ?", "oceanopolis"),
        ("imprimer à la gare", "gare"),
        ("wifi près du port de commerce", "port-de-commerce"),
        ("je suis à la fac Segalen, où scanner ?", "fac-segalen"),
        ("atelier numérique vers l'arrêt de tram place de Strasbourg", "tram-place-de-strasbourg"),
        # typos of names, one word or several (length-aware threshold)
        ("imprimer a kerdern", "keredern"),
        ("un ordi ouvert ce matin a st piere", "saint-pierre"),
        ("wifi pres de la cavale blanch", "chu-cavale-blanche"),
        ("ou imprimer vers pen ar kreach", "pen-ar-creac-h"),
        ("ou scanner a recouvranse", "recouvrance"),
    ],
)
def test_landmarks_and_typos_resolve(text, entry):
    near = understand(text).near
    assert near is not None and near.entry is not None and near.entry.id == entry


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("wifi gratuit à Guipavas ?", "guipavas"),
        ("espace numérique Plougastel adresse", "plougastel-daoulas"),
        ("j'habite au Relecq-Kerhuon, où imprimer ?", "le-relecq-kerhuon"),
        ("atelier email debutant gouesnou", "gouesnou"),
    ],
)
def test_neighbouring_towns_are_captured_and_marked_outside(text, town):
    near = understand(text).near
    assert near is not None and near.entry is not None
    assert (near.entry.id, near.entry.kind) == (town, "commune_voisine")


@pytest.mark.parametrize("text", ["je veux imprimer a la maison", "imprimer a partir de mon tel"])
def test_everyday_words_are_not_fuzzy_places(text):
    assert understand(text).near is None


def test_every_landmark_and_town_has_a_source():
    from bot.content import load_content
    from tests.understanding_fixtures import ROOT

    gazetteer = load_content(ROOT / "content").gazetteer
    added = [e for e in gazetteer if e.kind in ("repere", "commune_voisine")]
    assert len([e for e in added if e.kind == "commune_voisine"]) >= 4
    rows = (ROOT / "content" / "gazetteer.csv").read_text("utf-8")
    assert all(f"{e.id}," in rows for e in added)


@pytest.mark.parametrize(
    ("text", "intent", "social"),
    [
        ("t un robot ou une vraie personne ?", "greeting", "bot_question"),
        ("are you an AI?", "greeting", "bot_question"),
        ("et vous gardez les messages combien de temps ?", "privacy", None),
        ("et vous les gardez longtemps mes messages ?", "privacy", None),
    ],
)
def test_questions_about_us(text, intent, social):
    result = understand(text)
    assert (result.intent, result.social) == (intent, social)


@pytest.mark.parametrize("text", ["how do I subscribe?", "comment je m'abonne ?"])
def test_a_question_about_subscribing_is_not_a_start(text):
    assert understand(text).privacy_action is None


def test_someone_else_calling_back_is_not_a_request_for_a_person():
    assert understand("je lui ai pas encore donné, il doit rappeler").intent != "talk_to_human"
    assert understand("rappelez moi svp").intent == "talk_to_human"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("j'ai besoin d'imprimer des papiers et d'aide pour la caf, le plus urgent c'est la caf",
         "find_mediator"),
        ("ma carte vitale à refaire mais d'abord je dois scanner mon passeport à bellevue",
         "find_place"),
    ],
)  # fmt: skip
def test_the_most_urgent_need_is_answered_first(text, intent):
    assert understand(text).intent == intent
