"""Safety first: scams get a warning, distress the right numbers and an urgent hand-off,
unclear messages one question then a person; honest, short, in the resident's language."""

from __future__ import annotations

import pytest

from bot.content.texts import folded
from tests.conversations.conftest import CONTENT, text_of


async def test_a_scam_gets_a_warning_and_never_a_list_of_things_to_hand_over(resident) -> None:
    async with resident() as r:
        warned = await r.says(
            "jai recu un sms de la caf qui me demande mon code bancaire cest normal"
        )
        already = await r.says("trop tard jai deja tout rempli et mis le code")
    text = folded(text_of(warned))
    assert "33700" in text and "cybermalveillance" in text and "jamais" in text
    assert "rib" not in text and "quel quartier" not in text and not warned.group_posts
    assert warned.replies[0].choices[0].value == "talk_to_human"  # a person is offered
    assert "banque" in folded(text_of(already)) and "opposition" in folded(text_of(already))


@pytest.mark.parametrize(
    ("message", "kind", "number"),
    [
        ("je vais me faire expulser demain, aidez moi", "eviction", "115"),
        ("mon copain me frappe jai peur il est dans lautre piece", "violence", "114"),
        ("jen peux plus de tout ca jveux plus vivre", "suicide", "3114"),
        ("un enfant est battu chez les voisins, je l'entends crier", "child", "119"),
        ("j'ai une douleur terrible au ventre, je suis seule", "medical", "15"),
        ("je dors dehors ce soir je sais pas ou aller", "homeless", "115"),
    ],
)
async def test_distress_gets_its_numbers_first_then_an_urgent_hand_off(
    resident, message: str, kind: str, number: str
) -> None:
    async with resident() as r:
        first = await r.says(message)
        after = await r.says("svp")
    lines = {line.number for line in CONTENT.emergencies[kind].lines}
    assert first.replies[0].key == f"emergency.{kind}" and number in lines
    assert number in first.replies[0].text and not first.replies[0].choices  # never a menu
    assert first.group_posts and first.group_posts[0].startswith("Nouveau ticket 🚨 URGENT")
    assert after.replies[0].key == f"emergency.{kind}.reminder"  # the numbers again


async def test_an_unclear_message_gets_one_question_then_a_person(resident) -> None:
    async with resident() as r:
        first = await r.says("hmm le truc de la dame la")
        second = await r.says("bah le truc quoi")
    assert first.replies[0].key == "clarify" and not first.group_posts
    assert second.group_posts and "répondre" in text_of(second)


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("tu es un robot ?", "social.bot_question"),
        ("merci", "social.thanks"),
        ("ok merci bcp", "social.thanks"),
    ],
)
async def test_honest_and_short(resident, message: str, key: str) -> None:
    async with resident() as r:
        record = await r.says(message)
    assert [reply.key for reply in record.replies] == [key] and not record.replies[0].choices
    if key == "social.bot_question":
        assert "robot" in text_of(record) and "PERSONNE" in text_of(record)


async def test_start_answers_and_shows_the_way_to_the_menu(resident) -> None:
    async with resident("telegram") as r:
        await r.says("STOP")
        silent = await r.says("allo")
        back = await r.says("START")
    assert not silent.replies
    assert "MENU" in text_of(back)


async def test_the_answer_is_in_the_language_the_resident_writes_in(resident) -> None:
    async with resident("telegram") as r:
        english = await r.says("hi, where can i print my boarding pass near the train station?")
        french = await r.says("et pour scanner un document pres de la gare ?")
    assert "away" in text_of(english)
    assert "à " in text_of(french) and "away" not in text_of(french)
