"""Distress by kind, scams, social talk, and unknown messages that are never greetings."""

from __future__ import annotations

import json

import pytest

from bot.understanding import CLARIFY_BELOW
from tests.understanding_fixtures import shipped_understander


def understand(text: str):
    return shipped_understander().understand(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("on m'expulse demain", "eviction"),
        ("je vais me faire expulser", "eviction"),
        ("le proprio a changé les serrures je suis mis a la porte", "eviction"),
        ("l'huissier vient demain pour l'expulsion", "eviction"),
        ("mon copain me frappe", "violence"),
        ("mon mari m'a frappée hier soir j'ai peur de lui", "violence"),
        ("il va me tuer", "violence"),
        ("jveux plus vivre", "suicide"),
        ("jen peux plus de tout", "suicide"),
        ("je veux mourir", "suicide"),
        ("jai envie d'en finir", "suicide"),
        ("mon pere est tombe il repond plus", "medical"),
        ("Mon père est tombé dans la cuisine il répond plus, je fais quoi ???", "medical"),
        ("douleur terrible au ventre je suis seule", "medical"),
        ("il ne respire plus", "medical"),
        ("AVC", "medical"),
        ("je dors dehors ce soir", "homeless"),
        ("jai nulle part ou dormir ce soir", "homeless"),
        ("je suis a la rue avec mes enfants", "homeless"),
        ("un enfant est battu chez les voisins", "child"),
        ("la voisine frappe ses enfants tous les soirs", "child"),
        ("j'entends les enfants des voisins hurler, le petit a des bleus partout", "child"),
        ("my husband hits me", "violence"),
        ("I want to die", "suicide"),
    ],
)
def test_distress_by_kind(text, kind):
    result = understand(text)
    assert result.emergency == kind
    assert result.emergency  # truthy, as the former bool
    assert result.intent == "out_of_scope" and result.confidence >= CLARIFY_BELOW


@pytest.mark.parametrize(
    "text",
    [
        "pas urgent, juste une question sur la caf",
        "c'est pas une urgence mais ma box marche plus",
        "arrêt maladie pas payé par la cpam",
        "c'est où l'arrêt de bus pour la mairie de bellevue",
        "l'urgence de mon dossier caf, je dois le rendre vendredi",
        "mon ordi est tombé en panne",
        "mon telephone est tombe par terre",
        "mon ordi est tombé en panne il répond plus",
        "le site est tombé, il répond plus",
        "je veux en finir avec ce dossier caf",
        "j'habite au 17 rue de siam",
        "rien de grave, juste imprimer un papier",
        "le site de la caf est tombé il marche plus",
    ],
)
def test_look_alikes_are_not_distress(text):
    assert understand(text).emergency is None


@pytest.mark.parametrize(
    "text",
    [
        "votre colis n'a pas pu être livré, cliquez ici pour reprogrammer la livraison",
        "Colissimo: votre colis est en attente, frais de livraison 1,99e http://bit.ly/x",
        "j'ai recu un sms de la caf qui demande mes codes bancaires",
        "un mail d'ameli me demande mon numero de carte pour un remboursement, c'est louche",
        "on m'a appelé de la part de ma banque pour mon code secret",
        "sms de l'ANTS avec un lien pour payer ma carte grise, arnaque ?",
        "j'ai reçu un message des impots pour un remboursement avec un lien",
        "message de france travail il faut cliquer sur le lien sinon radiation",
        "amende impayée à régler sous 24h sur ce lien",
        "mail des impots remboursement 389 euros faut mettre mon mot de passe et mon rib c bon ?",
        "j'ai déjà donné mon code",
        "j'ai deja tout rempli",
        "sms Crit'Air : commandez votre vignette crit air obligatoire ici http://critair-fr.top",
    ],
)
def test_scams(text):
    result = understand(text)
    assert result.scam, text
    assert result.intent == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    [
        "j'ai oublié mon mot de passe ameli",
        "comment payer ma taxe foncière en ligne",
        "la caf me demande de rembourser un trop perçu",
        "je dois renouveler ma carte d'identité",
        "où imprimer mon attestation caf",
        "vous êtes des arnaqueurs",
        "ma banque m'envoie un code par sms et je sais pas où le mettre",
    ],
)
def test_not_scams(text):
    assert not understand(text).scam


@pytest.mark.parametrize(
    ("text", "social"),
    [
        ("merci", "thanks"),
        ("ok merci", "thanks"),
        ("thx", "thanks"),
        ("super merci", "thanks"),
        ("parfait", "thanks"),
        ("d'accord", "thanks"),
        ("ok", "thanks"),
        ("tu es un robot ?", "bot_question"),
        ("c'est automatique ?", "bot_question"),
        ("je parle à une vraie personne ?", "bot_question"),
        ("are you a bot", "bot_question"),
        ("bonjour", "hello"),
        ("salut", "hello"),
        ("bonsoir madame", "hello"),
        ("au revoir", "bye"),
        ("bonne journée", "bye"),
        ("bonne année à toute l'équipe", "thanks"),
    ],
)
def test_social_talk(text, social):
    result = understand(text)
    assert (result.intent, result.social) == ("greeting", social)


@pytest.mark.parametrize(
    "text",
    [
        "bonjour où imprimer à bellevue",
        "merci, et pour la caf qui peut m'aider ?",
        "ok je veux parler à quelqu'un",
        "salut, internet à 1 euro c'est où ?",
    ],
)
def test_a_real_request_is_not_social(text):
    result = understand(text)
    assert result.intent != "greeting" and result.social is None


@pytest.mark.parametrize(
    "text",
    [
        "salam alikoum svp aidez moi moi pas comprendre papier",
        "bonjour monsieur mon voisin fait du bruit toute la nuit et le chien aboie",
        "xkcd blorp",
        "hier je suis allé voir mon cousin à quimper",
    ],
)
def test_unknown_messages_are_never_confident_greetings(text):
    result = understand(text)
    assert result.intent != "greeting" or result.confidence < CLARIFY_BELOW
    assert result.social is None or result.intent == "greeting"


@pytest.mark.parametrize(
    "text", ["coucou ca marche comment", "bonsoir c'est quoi ce service", "aide", "menu"]
)
def test_asking_what_we_do_is_a_greeting_without_social_talk(text):
    result = understand(text)
    assert (result.intent, result.social) == ("greeting", None)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where can I print my CV", "en"),
        ("are you a bot", "en"),
        ("I need help with my residence permit renewal", "en"),
        ("ou imprimer a bellevue", "fr"),
        ("jsui en hlm a pontan jai droit au net a 1€ ?", "fr"),
        ("merci", "fr"),
        ("ok", None),
        ("1", None),
        ("hello", None),
        ("STOP", None),
    ],
)
def test_language_when_the_words_say_it(text, language):
    assert understand(text).language == language


def _emergency_set() -> list[dict]:
    from tests.understanding_fixtures import ROOT

    path = ROOT / "tests" / "data" / "emergencies.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


def test_emergency_set_recall_is_one_and_look_alikes_stay_quiet():
    cases = _emergency_set()
    distress = [c for c in cases if c["emergency"]]
    missed = [c["text"] for c in distress if not understand(c["text"]).emergency]
    assert not missed  # recall 1.0
    wrong_kind = [c["text"] for c in distress if understand(c["text"]).emergency != c["emergency"]]
    assert not wrong_kind
    alarms = [c["text"] for c in cases if not c["emergency"] and understand(c["text"]).emergency]
    assert not alarms


@pytest.mark.parametrize(
    "name", ["heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl", "heldout4.jsonl",
             "heldout5.jsonl", "heldout6.jsonl", "heldout7.jsonl", "dev.jsonl", "extra.jsonl"],
)  # fmt: skip
def test_every_labelled_emergency_is_flagged(name):
    from tests.understanding_fixtures import ROOT

    path = ROOT / "tests" / "data" / name
    cases = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    missed = [
        c["text"] for c in cases if c.get("emergency") and not understand(c["text"]).emergency
    ]
    assert not missed
