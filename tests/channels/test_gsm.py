"""GSM-7 rendering of SMS replies: what stays, what is transliterated, what it costs."""

from __future__ import annotations

import pytest

from bot.messages import Choice, Reply
from bot.rendering.gsm import is_gsm7, render_sms, segment_count, split_body, to_gsm7

TRANSLITERATIONS = [
    ("GSM-7 accents stay", "Où est la médiathèque ? À côté", "Où est la médiathèque ? A coté"),
    (
        "circumflexes lose their accent",
        "fenêtre, île, hôpital, août",
        "fenetre, ile, hopital, aout",
    ),
    ("lowercase cedilla is not GSM-7", "garçon, Ça", "garcon, Ça"),
    ("ligatures are spelled out", "cœur, Œuvre", "coeur, OEuvre"),
    ("typographic apostrophe", "l’accès", "l'accès"),
    ("guillemets and their spaces", "« PAPI »", '"PAPI"'),
    ("non-breaking spaces", "10\u00a0h\u202f: ouvert", "10 h : ouvert"),
    ("dashes and ellipsis", "lundi – mardi…", "lundi - mardi..."),
    ("emoji are dropped with their space", "📍 Bellevue 👍🏽", "Bellevue"),
    ("extension table kept", "5 € [x] {y} ~ ^ | \\", "5 € [x] {y} ~ ^ | \\"),
    ("numero sign", "n° 12", "no 12"),
]


@pytest.mark.parametrize(
    ("original", "expected"),
    [c[1:] for c in TRANSLITERATIONS],
    ids=[c[0] for c in TRANSLITERATIONS],
)
def test_to_gsm7(original: str, expected: str) -> None:
    assert to_gsm7(original) == expected
    assert is_gsm7(expected)


SEGMENTS = [
    ("empty", "", 0),
    ("160 GSM-7 characters fit one", "a" * 160, 1),
    ("161 need two", "a" * 161, 2),
    ("306 fit two", "a" * 306, 2),
    ("307 need three", "a" * 307, 3),
    ("euro signs count two septets", "€" * 80, 1),
    ("81 euro signs need two segments", "€" * 81, 2),
    ("an escape is not cut between segments", "a" * 152 + "€" + "a" * 8, 2),
    ("one UCS-2 character: 70 per segment", "ê" * 70, 1),
    ("71 UCS-2 characters need two", "ê" * 71, 2),
    ("134 UCS-2 fit two", "ê" * 134, 2),
    ("emoji are two UTF-16 units", "👍" * 35, 1),
]


@pytest.mark.parametrize(
    ("text", "segments"), [c[1:] for c in SEGMENTS], ids=[c[0] for c in SEGMENTS]
)
def test_segment_count(text: str, segments: int) -> None:
    assert segment_count(text) == segments


def test_split_body_cuts_at_line_breaks_then_spaces() -> None:
    lines = [f"ligne {n:04d} " + "x" * 40 for n in range(80)]
    bodies = split_body("\n".join(lines))
    assert len(bodies) == 3
    assert all(len(body) <= 1600 for body in bodies)
    assert "\n".join(bodies) == "\n".join(lines)
    words = split_body("mot " * 500)
    assert [len(body) for body in words] == [1599, 400]


def test_render_sms_numbers_choices_in_gsm7() -> None:
    reply = Reply(
        "Que cherchez-vous ? 🙂",
        choices=(Choice("Un lieu près de chez moi", "find_place"), Choice("Être aidé", "human")),
    )
    assert render_sms(reply) == ["Que cherchez-vous ?\n1. Un lieu près de chez moi\n2. Etre aidé"]
