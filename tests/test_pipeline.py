"""Each rule of the turn on its own (bot.conversation.pipeline), on stand-ins for the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from bot.conversation import pipeline
from bot.conversation.limits import Pace
from bot.conversation.pipeline import GO, RULES, STOP, TurnInProgress
from bot.understanding import Understood

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def understood(intent: str = "find_place", **changes: object) -> Understood:
    return Understood(intent, None, None, None, False, 0.9, **changes)  # type: ignore[arg-type]


class Repo:
    """Records what a rule asks of the repository."""

    def __init__(self) -> None:
        self.queued: list[object] = []
        self.attached: list[object] = []

    async def queue_reply(self, contact: object, reply: object, now: datetime) -> None:
        self.queued.append(reply)

    async def attach_to_ticket(self, message: object, ticket: object) -> None:
        self.attached.append((message, ticket))


def turn(text: str = "bonjour", said: Understood | None = None, **parts: object) -> TurnInProgress:
    texts = SimpleNamespace(say=lambda key, language: f"<{key}>")
    found = TurnInProgress(
        repo=parts.pop("repo", Repo()),  # type: ignore[arg-type]
        contact=parts.pop("contact", SimpleNamespace(opted_out=False, language="fr")),  # type: ignore[arg-type]
        conversation=parts.pop(  # type: ignore[arg-type]
            "conversation",
            SimpleNamespace(updated_at=NOW, step="find_place:list", slots={"a": 1}, menu={}),
        ),
        message=SimpleNamespace(text=text, payload={}),  # type: ignore[arg-type]
        ticket=parts.pop("ticket", None),  # type: ignore[arg-type]
        recent=1,
        tickets_today=0,
        now=NOW,
        content=SimpleNamespace(texts=texts),
        understander=parts.pop("understander", None),  # type: ignore[arg-type]
    )
    if said is not None:
        found.understood = said
    for name, value in parts.items():
        setattr(found, name, value)
    return found


def test_the_rules_run_in_the_documented_order() -> None:
    names = [rule.__name__ for rule in RULES]
    assert names == [
        "forget_stale", "understand", "opt_out", "language", "limits", "open_ticket", "limited",
    ]  # fmt: skip


async def test_forget_stale_drops_a_dialogue_a_day_old() -> None:
    fresh = turn()
    assert await pipeline.forget_stale(fresh) is GO and fresh.conversation.step
    old = SimpleNamespace(updated_at=NOW - timedelta(days=2), step="x:y", slots={1: 2}, menu={})
    stale = turn(conversation=old)
    await pipeline.forget_stale(stale)
    assert (old.step, old.slots, old.menu) == (None, {}, {})


async def test_understand_gives_a_pressed_button_the_last_word() -> None:
    reader = SimpleNamespace(understand=lambda text, pending: understood("out_of_scope"))
    pressed = turn(understander=reader)
    pressed.message.payload = {"choice": "greeting"}
    pressed.message.intent = None
    assert await pipeline.understand(pressed) is GO
    assert pressed.understood.menu_choice == "greeting"
    assert pressed.message.intent == "out_of_scope"


async def test_opt_out_lets_only_start_and_forget_through() -> None:
    out = SimpleNamespace(opted_out=True, language="fr")
    assert await pipeline.opt_out(turn(said=understood(), contact=out)) is STOP
    for action in ("start", "forget"):
        said = understood("privacy", privacy_action=action)
        assert await pipeline.opt_out(turn(said=said, contact=out)) is GO
    assert await pipeline.opt_out(turn(said=understood())) is GO


async def test_language_follows_the_words_but_not_on_a_privacy_word() -> None:
    english = turn(said=understood(language="en"))
    await pipeline.language(english)
    assert english.contact.language == "en"
    stop = turn(said=understood("privacy", language="en", privacy_action="stop"))
    await pipeline.language(stop)
    assert stop.contact.language == "fr"


async def test_limits_warn_once_and_privacy_words_always_pass(monkeypatch) -> None:
    async def warn(repo: object, message: object, recent: int) -> Pace:
        return Pace.WARN

    monkeypatch.setattr(pipeline, "pace_of", warn)
    flooding = turn(said=understood())
    assert await pipeline.limits(flooding) is GO
    assert flooding.pace is Pace.WARN and flooding.repo.queued[0].key == "limit.rate"
    stop = turn(said=understood("privacy", privacy_action="stop"))
    await pipeline.limits(stop)
    assert stop.pace is Pace.ANSWER and not stop.repo.queued


async def test_limited_stops_anything_but_an_answer() -> None:
    assert await pipeline.limited(turn(pace=Pace.ANSWER)) is GO
    assert await pipeline.limited(turn(pace=Pace.WARN)) is STOP
    assert await pipeline.limited(turn(pace=Pace.SILENCE)) is STOP


async def test_an_open_ticket_takes_the_message_but_menu_goes_back_to_the_bot() -> None:
    ticket = SimpleNamespace(left_at=None, last_activity_at=None)
    flooded = turn("encore moi", said=understood(), ticket=ticket, pace=Pace.SILENCE)
    assert await pipeline.open_ticket(flooded) is STOP
    assert flooded.repo.attached and ticket.last_activity_at == NOW
    assert not flooded.repo.queued  # a flood is neither posted nor answered
    menu = turn("Menu !", said=understood(), ticket=ticket)
    assert await pipeline.open_ticket(menu) is GO and ticket.left_at == NOW
    urgent = SimpleNamespace(left_at=None)
    said = understood("out_of_scope", emergency="medical")
    assert await pipeline.open_ticket(turn(said=said, ticket=urgent)) is GO
    assert urgent.left_at is None
    assert await pipeline.open_ticket(turn(said=understood())) is GO  # no ticket
