"""Intents, slots, safety (STOP, emergencies) and context of the understanding."""

from __future__ import annotations

import pytest

from bot.understanding import CLARIFY_BELOW, Pending
from tests.understanding_fixtures import shipped_understander


def understand(text: str, pending: Pending | None = None):
    return shipped_understander().understand(text, pending)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("ou c le papi le + pres de kerourien", "find_place"),
        ("where can I print my CV", "find_place"),
        ("cours d'informatique pour apprendre a envoyer des mails", "find_place"),
        ("imprimer mon attestation CAF", "find_place"),
        ("j'ai besoin d'un ordinateur pour ma demande de logement", "find_place"),
        ("j'ai pas d'ordi pour faire ma demande d'APL", "find_mediator"),
        ("je vis en logement social, internet pour pas cher ?", "housing_internet"),
        ("jai pas internet a la maison, ou aller pour envoyer un mail", "find_place"),
        ("jsui en hlm a pontan jai droit au net a 1€ ?", "housing_internet"),
        ("locataire HLM, comment avoir internet pas cher chez moi", "housing_internet"),
        ("g un pb avec la caf", "find_mediator"),
        ("qui peut m'aider pour ma declaration d'impots, j'ai pas d'ordi", "find_mediator"),
        ("I need help with my residence permit renewal", "find_mediator"),
        ("je veux parler a un conseiller", "talk_to_human"),
        ("rappelez moi svp", "talk_to_human"),
        ("Bonjour", "greeting"),
        ("merci grâce à vous j'ai fait mon dossier CAF", "greeting"),
        ("what can you do?", "greeting"),
        ("STOP", "privacy"),
        ("supprimez mes données", "privacy"),
        ("ma box orange ne marche plus", "out_of_scope"),
        ("il pleut demain ?", "out_of_scope"),
        ("qsdfghjk", "out_of_scope"),
        ("🙂🙂", "out_of_scope"),
    ],
)
def test_intents(text, intent):
    assert understand(text).intent == intent


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("aide pour mon apl", "caf"),
        ("carte vitale perdue", "cpam"),
        ("besoin d'aide pour ma carte grise", "ants"),
        ("je comprends rien a mon avis d'imposition", "impots"),
        ("m'actualiser sur pole emploi", "france_travail"),
        ("dossier de retraite carsat", "retraite"),
        ("demande de logement social, qui m'aide ?", "logement"),
        ("aide pour le chèque énergie", "energie"),
        ("renouveler mon titre de séjour sur l'ANEF", "titre_sejour"),
        ("je narrive pas sur pronote", "ecole"),
        ("mon appli bancaire bloque le virement", "banque"),
        ("dossier msa en ligne", "msa"),
        ("contester une amende antai, qui peut m'aider", "other"),
        ("j'ai besoin d'aide pour une démarche en ligne", "other"),
    ],
)
def test_topics(text, topic):
    result = understand(text)
    assert (result.intent, result.topic) == ("find_mediator", topic)


@pytest.mark.parametrize(
    ("text", "service", "open_now"),
    [
        ("ou aller sur un ordi a bellevue", "internet", False),
        ("imprimer 2 pages ce soir", "print", True),
        ("scanner un document maintenant", "scan", True),
        ("atelier tablette le samedi", "workshop", False),
        ("wifi gratuit today", "wifi", True),
        ("horaires du papi de bellevue", None, False),
        ("scan + impression possible ?", "scan", False),
        ("venir avec mon ordi portable pour le wifi a la mediatheque", "wifi", False),
    ],
)
def test_service_and_open_now(text, service, open_now):
    result = understand(text)
    assert (result.intent, result.service, result.open_now) == ("find_place", service, open_now)


@pytest.mark.parametrize(
    ("text", "near", "entry"),
    [
        ("ou imprimer a Bellevue", "Bellevue", "bellevue"),
        ("un papi vers pontan ?", "pontan", "pontanezen"),
        ("wifi pres de la rue de Siam", "rue de Siam", None),
        ("imprimer ce matin 29200", "29200", "cp-29200"),
        ("un ordi a la gare de brest", "gare de brest", None),
        ("papi a brest", None, None),
        ("internet a 1 euro a Kerourien", "Kerourien", "kerourien"),
        ("wifi a pontanzen", "pontanzen", "pontanezen"),
        ("imprimer a Kerinou, non pardon a Bellevue", "Bellevue", "bellevue"),
        ("j'habite a Kerinou, ou scanner pres de la rue de Siam", "rue de Siam", None),
        ("internet a 1 euro, j'habite a Kerourien", "Kerourien", "kerourien"),
        ("un papi a Pen ar Creach ?", "Pen ar Creach", "pen-ar-creac-h"),
    ],
)
def test_near_is_copied_as_written(text, near, entry):
    result = understand(text)
    assert (result.near.text if result.near else None) == near
    if entry:
        assert result.near.entry is not None and result.near.entry.id == entry


def test_slots_only_for_their_intents():
    result = understand("mon chien est perdu vers Bellevue, maintenant")
    assert (result.intent, result.near, result.open_now) == ("out_of_scope", None, False)


STOP_VARIANTS = [
    "stop", "STOP", "Stop.", "stop!", "STOP SMS", "stop sms", "Stop svp", "stop merci",
    "STOP STOP", "stoooop", "stopp", "arrêt", "arret", "ARRET", "arreter", "arrêtez",
    "desinscription", "désinscription", "me désinscrire", "je veux me desinscrire",
    "ne plus recevoir", "je ne veux plus recevoir vos messages", "je veux plus de sms",
    "plus de messages svp", "unsubscribe", "UNSUBSCRIBE", "please unsubscribe me",
    "merci mais ne me contactez plus", "ne m'envoyez plus rien", "arrêtez de m'écrire",
    "arretez les sms", "laissez moi tranquille", "stop the messages", "don't text me again",
    "remove me from your list", "fin", "END", "cancel", "désabonner", "me desabonner",
    "STOP svp merci", "stop aux messages", "je souhaite ne plus être contacté",
    "merci de ne plus m ecrire", "cessez de m'envoyer des messages", "sotp", "plus jamais",
    "je ne souhaite plus être contacté", "je veux plus de ce service", "STP ARRETEZ",
    "je veux plus que vous m'envoyez des messages", "jveux pu de vos sms",
    "pa besoin de vos message merci", "j'en ai marre de vos sms",
    "je ne veux plus être dérangé", "retirez moi de votre liste", "arret", "arrêt svp",
    "je veux plus recevoir de sms de relance", "STOP facture",
]  # fmt: skip


@pytest.mark.parametrize("text", STOP_VARIANTS)
def test_every_stop_variant_is_honoured(text):
    result = understand(text)
    assert (result.intent, result.privacy_action) == ("privacy", "stop")


@pytest.mark.parametrize(
    "text",
    [
        "Le wifi à 1€/mois, on peut arrêter quand on veut ?",
        "le bus s'arrête où pour aller au papi de bellevue",
        "j'ai arrêté de travailler, je dois m'inscrire à france travail",
        "je reçois plus les sms de la caf",
        "je dois me réinscrire à pôle emploi, aidez moi",
        "arrêt maladie",
        "mon arrêt de travail",
        "arret de bus",
        "je veux plus recevoir la facture papier de mon internet à 1€",
    ],
)
def test_stop_inside_other_sentences_does_not_misfire(text):
    assert understand(text).intent != "privacy"


def test_cardiac_arrest_is_an_emergency_not_a_stop():
    result = understand("arret cardiaque")
    assert (result.intent, result.emergency) == ("out_of_scope", "medical")


@pytest.mark.parametrize(
    "text",
    ["START", "start", "reprendre", "unstop", "je souhaite recevoir de nouveau vos messages"],
)
def test_start(text):
    assert understand(text).privacy_action == "start"


@pytest.mark.parametrize(
    "text",
    ["OUBLIE", "oubliez moi", "supprimer mes données", "effacez mon numéro", "delete my data",
     "RGPD supprimez mes infos", "oubliez mon numero", "effacez toutes mes infos svp",
     "supprime mon compte"],
)  # fmt: skip
def test_forget(text):
    result = understand(text)
    assert (result.intent, result.privacy_action) == ("privacy", "forget")


@pytest.mark.parametrize(
    "text",
    ["mon dossier caf bouge plus depuis 3 mois", "prise de sang remboursee par ameli ?",
     "je veux en finir avec ce dossier caf", "mon telephone est tombe par terre"],
)  # fmt: skip
def test_not_an_emergency(text):
    assert not understand(text).emergency


@pytest.mark.parametrize(
    ("text", "intent", "slot"),
    [("demande logement hlm a bellevue svp aide", "find_mediator", "logement"),
     ("carte identite perimee jy arrive pas", "find_mediator", "ants"),
     ("merci la mediatrice m a bien aidee pour la caf", "greeting", None),
     ("pole emploi m inscrit a un atelier en visio je sais pas me connecter", "find_mediator",
      "france_travail"),
     ("pas d ordi chez moi, ou en utiliser un pour ma caf", "find_place", "internet"),
     ("plus de forfait, ou capter le wifi", "find_place", "wifi"),
     ("mon hlm a des moisissures", "out_of_scope", None),
     ("a quoi tu sers", "greeting", None),
     ("need human help please", "talk_to_human", None)],
)  # fmt: skip
def test_boundary_classes(text, intent, slot):
    result = understand(text)
    assert result.intent == intent
    assert slot in (None, result.topic, result.service)


def test_forgotten_password_is_not_forget():
    assert understand("j'ai oublié mon numéro fiscal").intent == "find_mediator"


@pytest.mark.parametrize(
    "text",
    ["mon mari fait un malaise", "crise cardiaque", "il ne respire plus", "overdose",
     "je vais me suicider", "j'ai très mal à la poitrine", "my friend can't breathe",
     "ma fille a perdu connaissance", "mon mari est tombé il ne bouge plus", "elle fait une crise",
     "il a du mal a respirer", "douleur poitrine", "je veux mourir", "AVC", "il saigne beaucoup",
     "mon fils a pris trop de medicaments", "jen ai marre de vivre", "my dad collapsed"],
)  # fmt: skip
def test_medical_emergency(text):
    result = understand(text)
    assert result.intent == "out_of_scope"
    assert result.emergency in ("medical", "suicide")


def test_menu_choice_by_number_or_word():
    menu = Pending("menu", ("find_place", "housing_internet", "find_mediator"))
    assert understand("2", menu).menu_choice == "housing_internet"
    assert understand("deux", menu).menu_choice == "housing_internet"
    assert understand("le 3 svp", menu).menu_choice == "find_mediator"
    assert understand("un", menu).menu_choice == "find_place"
    assert understand("7", menu).menu_choice is None
    assert understand("STOP", menu).privacy_action == "stop"


@pytest.mark.parametrize(
    ("text", "answer"),
    [("oui", "yes"), ("Ouais", "yes"), ("yes", "yes"), ("oui merci", "yes"), ("ok", "yes"),
     ("non", "no"), ("nan", "no"), ("no", "no"), ("non merci", "no"), ("pas du tout", "no")],
)  # fmt: skip
def test_yes_no_answers_a_pending_question(text, answer):
    result = understand(text, Pending("yes_no"))
    assert result.answer == answer
    assert result.confidence >= CLARIFY_BELOW


def test_yes_without_a_pending_question_is_no_answer():
    assert understand("oui").answer is None


@pytest.mark.parametrize(
    ("text", "near"),
    [("Bellevue", "Bellevue"), ("pontan", "pontan"), ("à Kerinou", "Kerinou"),
     ("rue de Siam", "rue de Siam"), ("Kerzudal", "Kerzudal")],
)  # fmt: skip
def test_bare_place_after_where(text, near):
    result = understand(text, Pending("where"))
    assert result.near is not None and result.near.text == near
    assert result.confidence >= CLARIFY_BELOW


def test_low_confidence_for_unclear_messages():
    assert understand("qsdfghjk").confidence < CLARIFY_BELOW
    assert understand("ou imprimer a bellevue").confidence >= CLARIFY_BELOW
    assert understand("STOP").confidence > 0.9


def test_confidence_is_a_probability():
    for text in ["", "   ", "?", "a", "bonjour", "stop", "1"]:
        assert 0.0 <= understand(text).confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "intent", "topic"),
    [
        # apostrophes left out in SMS: "dimpots" is "d'impots", "lassurance" is "l'assurance"
        ("jai un souci avec ma declaration dimpots", "find_mediator", "impots"),
        ("lassurance maladie me rembourse pas", "find_mediator", "cpam"),
        ("mon dossier dapl bloque", "find_mediator", "caf"),
        ("comment faire ma demande de carte didentite", "find_mediator", "ants"),
        # "avc" is SMS for "avec", not a stroke, inside a sentence
        ("g un pb avc lassurance maladie", "find_mediator", "cpam"),
        # other bodies' messages are not ours: no STOP
        ("je n'ai plus de message de la CAF depuis 2 mois", "find_mediator", "caf"),
        ("je ne recois plus les mails de pole emploi", "find_mediator", "france_travail"),
    ],
)
def test_sms_elisions_and_look_alikes(text, intent, topic):
    understood = understand(text)
    assert (understood.intent, understood.topic, understood.emergency) == (intent, topic, None)


@pytest.mark.parametrize("text", ["AVC", "mon pere fait un AVC", "je crois qu elle a un avc"])
def test_a_stroke_is_an_emergency(text):
    assert understand(text).emergency


@pytest.mark.parametrize(
    ("text", "answer"),
    [("je sais pas", "unknown"), ("jsp", "unknown"), ("aucune idée", "unknown"),
     ("je sais pas si c'est bmh", "unknown"), ("I don't know", "unknown"),
     ("ah si c brest metropole habitat", "yes"), ("oui", "yes"), ("non merci", "no")],
)  # fmt: skip
def test_yes_no_or_unknown(text, answer):
    assert understand(text, Pending("yes_no")).answer == answer


@pytest.mark.parametrize(
    ("text", "service", "open_now"),
    [("c ouvert la ?", None, True), ("et pour scanner ?", "scan", False),
     ("is it open now?", None, True), ("et imprimer ?", "print", False)],
)  # fmt: skip
def test_follow_ups_while_places_are_on_screen(text, service, open_now):
    result = understand(text, Pending("menu", ("a",), place=True))
    assert (result.service, result.open_now) == (service, open_now)


@pytest.mark.parametrize(
    ("text", "place"),
    [("bonjour j'habite à Pontanezen", "pontanezen"), ("on est à saint-martin", "saint-martin"),
     ("nous on habite bellevue, un souci avec la caf", "bellevue")],
)  # fmt: skip
def test_a_place_is_remembered_whatever_the_intent(text, place):
    result = understand(text)
    assert result.place is not None and result.place.entry is not None
    assert result.place.entry.id == place


def test_no_place_without_a_gazetteer_entry():
    assert understand("merci beaucoup").place is None
