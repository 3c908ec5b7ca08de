"""Each route on its own (bot.conversation.routing), and the intent table of handlers/."""

from __future__ import annotations

import handlers
from bot.conversation import routing
from bot.conversation.routing import Situation
from bot.intents import Intent
from bot.messages import Location
from bot.understanding import Understood


def said(intent: str = "find_place", confidence: float = 0.9, **changes: object) -> Understood:
    return Understood(intent, None, None, None, False, confidence, **changes)  # type: ignore[arg-type]


def situation(understood: Understood, **changes: object) -> Situation:
    parts: dict[str, object] = {
        "understood": understood, "text": "", "dialogue": None, "expect": None,
        "location": None, "media_only": False, "content": None,
    }  # fmt: skip
    parts.update(changes)
    return Situation(**parts)  # type: ignore[arg-type]


def test_every_intent_has_exactly_one_handler() -> None:
    assert set(handlers.ROUTES) == set(Intent)
    assert handlers.route("talk_to_human") is handlers.fallback
    assert handlers.route("no such intent") is handlers.fallback
    assert handlers.intents_of(handlers.menu) == {Intent.GREETING}


def test_safety_comes_first() -> None:
    urgent = situation(said("privacy", privacy_action="stop", emergency="medical"))
    assert routing.route(urgent).handler is handlers.privacy
    assert routing.route(situation(said(emergency="medical"))).handler is handlers.EMERGENCY
    assert routing.emergency(situation(said())) is None


def test_media_alone_is_told_what_the_bot_reads() -> None:
    assert routing.route(situation(said(), media_only=True)).handler is handlers.MEDIA
    assert routing.media(situation(said())) is None


def test_a_scam_keeps_its_own_dialogue_step() -> None:
    routed = routing.scam(situation(said(scam=True), dialogue="scam:warned"))
    assert routed is not None and (routed.handler, routed.step) == (handlers.SCAM, "warned")
    other = routing.scam(situation(said(scam=True), dialogue="find_place:list"))
    assert other is not None and other.step is None
    assert routing.scam(situation(said())) is None


def test_a_pressed_intent_button_wins_over_the_dialogue() -> None:
    pressed = situation(said(menu_choice="greeting"), dialogue="find_place:list")
    assert routing.route(pressed).handler is handlers.menu
    assert routing.menu_choice(situation(said(menu_choice="2"))) is None


def test_an_answer_continues_the_dialogue_on_screen() -> None:
    answer = situation(said("greeting", answer="yes"), dialogue="housing_internet:ask")
    routed = routing.route(answer)
    assert (routed.handler, routed.step) == (handlers.housing_internet, "ask")
    assert routing.dialogue(situation(said())) is None  # no dialogue pending


def test_a_sure_new_request_starts_afresh() -> None:
    new = situation(said("privacy", 0.95), dialogue="find_place:list")
    assert routing.dialogue(new) is None


def test_location_social_clarify_and_the_intent_table() -> None:
    here = situation(said("greeting"), location=Location(48.39, -4.48))
    assert routing.route(here).handler is handlers.find_place
    assert routing.route(situation(said(social="thanks"))).handler is handlers.SOCIAL
    assert routing.route(situation(said("greeting", 0.1))).handler is handlers.CLARIFY
    assert routing.route(situation(said("find_mediator"))).handler is handlers.find_mediator


def test_the_intents_are_the_understandings_labels() -> None:
    from bot.content.language import INTENTS

    assert set(INTENTS) == set(Intent)
