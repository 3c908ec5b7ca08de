"""Classes of error the blind conversation set blind4 showed, each with messages in new words."""

from __future__ import annotations

import pytest

from bot.understanding import Pending
from tests.understanding_fixtures import shipped_understander


def understand(text: str, pending: Pending | None = None):
    return shipped_understander().understand(text, pending)


@pytest.mark.parametrize(
    "text",
    [
        # a child in danger told indirectly: an adult hitting a child, bruises, blows
        "le monsieur d'en face cogne sa gamine, elle pleure tout le temps",
        "ma voisine gifle son bébé, je l'entends à travers le mur",
        "le petit de l'étage a des bleus sur les bras, les parents hurlent",
        "my neighbour hits his kids every night",
        "il tabasse son fils quand il a bu",
    ],
)
def test_a_child_in_danger_told_indirectly(text):
    assert understand(text).emergency == "child"


@pytest.mark.parametrize(
    "text",
    [
        "petite faute de frappe dans mon dossier caf pour mon fils",
        "je me bats pour mon fils avec la caf",
        "mon fils regarde les bleus ce soir",
        "le petit crie tout le temps, un atelier parents ?",
    ],
)
def test_child_look_alikes_are_no_emergency(text):
    assert understand(text).emergency is None


@pytest.mark.parametrize(
    "text",
    [
        "t'es qui toi ? une personne ?",
        "qui me répond là, un humain ?",
        "c'est quelqu'un qui répond ou une machine ?",
        "who are you? a human?",
    ],
)
def test_who_answers_is_a_question_about_the_bot(text):
    result = understand(text)
    assert (result.intent, result.social) == ("greeting", "bot_question")


def test_a_person_asked_after_who_are_you_is_still_asked():
    assert understand("vous etes qui ? je veux parler à un humain").intent == "talk_to_human"


@pytest.mark.parametrize(
    ("text", "service", "entry"),
    [
        ("du wifi gratis pres de l'arret strasbourg ?", "wifi", "tram-place-de-strasbourg"),
        ("imprimer à côté du tram saint exupery", "print", "tram-saint-exupery"),
        ("internet gratos au niveau de l'arret octroi", "internet", "tram-octroi"),
    ],
)
def test_places_near_a_tram_stop(text, service, entry):
    result = understand(text)
    assert (result.intent, result.service) == ("find_place", service)
    assert result.near is not None and result.near.entry is not None
    assert result.near.entry.id == entry


def test_the_tram_itself_is_still_out_of_scope():
    assert understand("le tram est en panne ce matin ?").intent == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "scam"),
    [
        # a site that looked official took money, and asks again: a scam after the fact
        ("j'ai payé 30 euros sur un site pour mon permis, ça avait l'air officiel, et là ils "
         "redemandent des frais", True),
        ("un faux site des impots m'a pris mon rib", True),
        ("ils se faisaient passer pour la caf sur internet, j'ai réglé 20 €", True),
        # a real body asking for money or a password on its own site is a procedure
        ("la caf m'a fait payer un trop perçu, ils demandent encore 80 €", False),
        ("je dois payer sur le site de l'ants pour ma carte grise ?", False),
    ],
)  # fmt: skip
def test_a_scam_told_after_the_fact(text, scam):
    assert understand(text).scam is scam


@pytest.mark.parametrize(
    ("text", "action"),
    [
        # follow-ups about what is kept and who gets it: privacy questions
        ("et mes messages à la mediatrice, vous les gardez aussi ?", None),
        ("vous partagez mes infos avec pole emploi ?", None),
        ("et vous les transmettez aux impots ?", None),
        # everything sent, erased
        ("supprimez tout ce que je vous ai écrit svp", "forget"),
        ("vous pouvez effacer mes conversations", "forget"),
    ],
)
def test_privacy_follow_ups(text, action):
    result = understand(text)
    assert (result.intent, result.privacy_action) == ("privacy", action)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("je veux reprendre contact avec le mediateur", "talk_to_human"),
        ("supprimer mon compte caf", "find_mediator"),
    ],
)
def test_privacy_look_alikes(text, intent):
    assert understand(text).intent == intent


@pytest.mark.parametrize(
    ("text", "topic", "file_status"),
    [
        # a personal file to look into: the procedure, flagged (the bot sees no file)
        ("ma demande de logement social en est où svp", "logement", True),
        ("vous pouvez vérifier mon dossier de retraite ? toujours rien", "retraite", True),
        ("mon dossier ANEF n'avance pas, vous pouvez regarder ?", "titre_sejour", True),
        ("comment faire ma demande de RSA", "caf", False),
        # a helpline asked: the procedure with its topic
        ("c koi le tel de la caf", "caf", False),
        ("le numéro des impots svp", "impots", False),
    ],
)
def test_a_personal_file_or_a_helpline(text, topic, file_status):
    result = understand(text)
    assert (result.intent, result.topic, result.file_status) == (
        "find_mediator",
        topic,
        file_status,
    )


def test_file_status_only_with_a_procedure():
    assert understand("c'est ouvert la médiathèque ? vous pouvez regarder").file_status is False


@pytest.mark.parametrize(
    "text",
    [
        "ma fille s'est cognée contre la table, elle a une bosse",
        "mon fils a battu son record au foot",
    ],
)
def test_a_bump_or_a_record_is_no_child_in_danger(text):
    assert understand(text).emergency is None


def test_an_adult_beating_a_child():
    assert understand("il a battu sa fille hier soir").emergency == "child"
