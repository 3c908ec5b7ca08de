"""Follow-ups search again, filter, page on; a place said once serves later questions."""

from __future__ import annotations

from bot.conversations.checks import folded
from tests.conversations.conftest import lists_places_near, text_of


async def test_a_new_place_in_a_follow_up_searches_again(resident) -> None:
    async with resident() as r:
        first = await r.says("ou imprimer a bellevue")
        again = await r.says("et a recouvrance ?")
        corrected = await r.says("non je suis a saint marc")
    assert lists_places_near(first, "Bellevue", "print")
    assert lists_places_near(again, "Recouvrance", "print")
    assert lists_places_near(corrected, "Saint-Marc", "print")
    assert text_of(first) != text_of(again) != text_of(corrected)


async def test_another_service_keeps_the_place_and_open_now_filters_the_list(resident) -> None:
    async with resident() as r:
        await r.says("Je suis place de Strasbourg, il y a un cyber pas loin ?")
        scan = text_of(await r.says("et pour scanner ?"))
        now = await r.says("c'est ouvert maintenant ?")
    assert "à " in scan
    assert now.replies and all("Fermé" not in reply.text for reply in now.replies)


async def test_plus_pages_on_and_a_shared_location_answers_the_pending_question(resident) -> None:
    async with resident("telegram") as r:
        asked = await r.says("wifi gratuit svp")
        placed = text_of(await r.shares(48.4062, -4.4791))
        more = text_of(await r.says("plus"))
    assert asked.replies[0].location_button
    assert "wifi" in placed and "à " in placed  # no wifi place: said, then the nearest access
    assert more and more != placed


async def test_questions_about_the_list_answer_with_the_same_places(resident) -> None:
    async with resident() as r:
        listed = text_of(await r.says("atelier informatique debutant a saint pierre ?"))
        price = text_of(await r.says("et c'est gratuit ?"))
        saturday = text_of(await r.says("et le samedi ?"))
    first_place = listed.split(",")[0]
    assert price.startswith(first_place) and "Gratuit" in price
    assert saturday.startswith(first_place) and "samedi" in folded(saturday)


async def test_a_neighbourhood_said_once_serves_later_questions_for_a_day(resident) -> None:
    async with resident() as r:
        await r.says("bonjour jhabite a recouvrance")
        scan = text_of(await r.says("ou je peux scanner des papiers ?"))
        r.later(hours=25)
        forgotten = text_of(await r.says("et imprimer ?"))
    assert scan.startswith("Près de Recouvrance")
    assert "quel quartier" in forgotten


async def test_a_place_named_with_a_topic_serves_a_print_question(resident) -> None:
    async with resident() as r:
        await r.says("jhabite a lambezellec, qui peut maider pr mon compte ameli ?")
        printing = text_of(await r.says("et pr imprimer lattestation ?"))
    assert printing.startswith("Près de Lambézellec")


async def test_a_place_to_get_online_lists_computers_before_workshops(resident) -> None:
    async with resident() as r:
        found = await r.says("ou aller sur internet a bellevue")
    cards = [reply for reply in found.replies if reply.key == "place.card"]
    names = [card.text.split(",")[0] for card in cards]
    online = {p.nom for p in r.session.runtime.engine.knowledge.content.places
              if p.papi or "internet" in p.services_bot}  # fmt: skip
    assert names and all(name in online for name in names)


async def test_a_neighbouring_town_gets_the_nearest_places_of_brest_said_as_such(resident) -> None:
    async with resident() as r:
        record = await r.says("jhabite guipavas ya un papi pas loin ? jdois imprimer")
    assert record.replies[0].key == "place.outside_brest" and "Guipavas" in text_of(record)
    assert record.replies[1].key == "place.card"


async def test_the_1_euro_dialogue_reads_a_private_landlord_and_a_move(resident) -> None:
    async with resident() as r:
        await r.says("internet a 1 euro c pour qui")
        private = await r.says("non je suis locataire d un proprietaire prive, pas hlm")
    async with resident() as r:
        await r.says("jsui locataire bmh a kerourien, jai droit au net a 1 euro ?")
        moved = await r.says("Et si je déménage à Pontanézen ?")
    assert private.replies[0].key == "housing.not_tenant"
    assert moved.replies[0].key in ("housing.active", "housing.not_active")
    assert "Pontan" in text_of(moved)


async def test_asking_how_to_come_gives_each_places_access(resident) -> None:
    async with resident("telegram") as r:
        listed = text_of(await r.says("atelier informatique debutant a saint pierre ?"))
        access = text_of(await r.says("faut s'inscrire avant ?"))
    assert access.startswith(listed.split(",")[0])
    assert "Inscription" in access or "Accès" in access or "Rendez-vous" in access


async def test_naming_the_topic_again_repeats_its_advice(resident) -> None:
    async with resident("telegram") as r:
        await r.says("carte vitale perdue koi faire")
        again = await r.says("ah bon. c quoi le numero de la cpam alors")
    assert again.replies[0].key == "mediator.topic" and "36 46" in again.replies[0].text
