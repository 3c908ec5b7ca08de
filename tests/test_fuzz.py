"""Property-based tests: random texts never break the understanding, random signed forms
never break the SMS webhook (a 200 with the message stored, or a 400 with nothing)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.channels import sms
from bot.content.language import INTENTS
from bot.gateway.intake import MAX_ADDRESS, MAX_PLATFORM_ID
from bot.gateway.server import RUNTIME
from bot.store.models import Message
from bot.understanding import Pending, Understander
from tests.channels.test_gateway import PUBLIC, platforms
from tests.fake_twilio import signature

# Residents' texts: any character, with French words and accents more likely.
WORDS = st.sampled_from(["papi", "caf", "bellevue", "STOP", "1", "wifi", "près", "de", "?", "🙂"])
TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(WORDS, st.text(max_size=8)), max_size=30).map(" ".join),
)
PENDING = st.one_of(
    st.none(),
    st.builds(Pending, st.sampled_from(["menu", "where", "yes_no"]), st.just(("a", "b"))),
)


@pytest.fixture(scope="module")
def understander() -> Understander:
    from bot.content import load_content
    from tests.harness import CONTENT_DIR  # the shipped content, loaded once

    return Understander.from_content(load_content(CONTENT_DIR))


@settings(max_examples=150, deadline=None)
@given(text=TEXTS, pending=PENDING)
def test_understanding_never_raises_and_stays_in_bounds(understander, text, pending) -> None:
    understood = understander.understand(text, pending)
    assert understood.intent in INTENTS and len(INTENTS) == 7
    assert 0.0 <= understood.confidence <= 1.0
    if understood.near is not None:
        assert understood.near.text in text


FIELDS = st.sampled_from(["MessageSid", "From", "To", "Body", "AccountSid", "NumMedia", "x"])
FORMS = st.dictionaries(FIELDS, TEXTS, max_size=6)


@pytest.fixture
async def gateway(tmp_path):
    async with platforms(tmp_path) as p, p.gateway():
        yield p


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(form=FORMS)
async def test_signed_random_forms_get_200_or_400_never_a_crash(gateway, form) -> None:
    headers = {"X-Twilio-Signature": signature(PUBLIC + sms.INBOUND_PATH, form)}
    before = await inbound_rows(gateway)
    response = await gateway.client.post(sms.INBOUND_PATH, data=form, headers=headers)
    after = await inbound_rows(gateway)
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if 0 < len(sid) <= MAX_PLATFORM_ID and 0 < len(sender) <= MAX_ADDRESS:
        assert response.status == 200
        if ":" not in form["From"]:  # `x:…` is another Twilio channel's (whatsapp:), not SMS
            assert form["MessageSid"] in after  # stored now, or already by an earlier example
    else:
        assert response.status == 400
        assert after == before


async def inbound_rows(gateway) -> list[str]:  # noqa: ANN001
    """Platform ids of the stored inbound messages."""
    async with gateway.client.app[RUNTIME].database.session() as session:
        query = select(Message.platform_id).where(Message.direction == "in")
        return sorted((await session.execute(query)).scalars())
