"""Repository tests, run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from bot.messages import Address, InboundMessage, Location, Reply
from bot.store.intake_rows import store_inbound
from bot.store.models import Message
from bot.store.repository import Repository

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
ALICE = Address("sms", "+33612345642")
CHANNELS = ("sms", "telegram")


def inbound(platform_id: str, text_: str = "bonjour", address: Address = ALICE) -> InboundMessage:
    return InboundMessage(address, text_, platform_id, NOW)


async def test_contact_is_found_by_address_and_stored_encrypted(database, cipher):
    async with database.session() as session:
        repo = Repository(session, cipher)
        created = await repo.get_or_create_contact(ALICE, NOW)
        await session.commit()
    async with database.session() as session:
        repo = Repository(session, cipher)
        found = await repo.find_contact(ALICE)
        assert found is not None and found.id == created.id
        assert repo.address_of(found) == ALICE
        assert await repo.find_contact(Address("telegram", ALICE.value)) is None
        raw = (await session.execute(text("SELECT * FROM contacts"))).all()
        assert "612345642" not in repr(raw)


async def stored(session, cipher, *messages: InboundMessage) -> list[int | None]:
    """The ids `store_inbound` gives messages (None: not stored), in the session's transaction."""
    connection = await session.connection()
    return [s and s[0] for s in await store_inbound(connection, cipher, messages, NOW)]


async def test_inbound_is_stored_once_per_platform_id(database, cipher):
    async with database.session() as session:
        repo = Repository(session, cipher)
        [first] = await stored(session, cipher, inbound("SM1"))
        [again] = await stored(session, cipher, inbound("SM1"))
        located = InboundMessage(ALICE, "", "SM2", NOW, location=Location(48.39, -4.48))
        [other] = await stored(session, cipher, located)
        await session.commit()
        assert first is not None and again is None and other is not None
        assert (await session.get(Message, other)).payload == {"location": [48.39, -4.48]}
        assert [m.id for m in await repo.unprocessed_inbound()] == [first, other]


async def test_conversation_state_survives_a_new_session(database, cipher):
    async with database.session() as session:
        repo = Repository(session, cipher)
        contact = await repo.get_or_create_contact(ALICE, NOW)
        conversation = await repo.conversation(contact, NOW)
        conversation.step = "housing_internet:ask_tenant"
        conversation.slots = {"near": "Pontanézen"}
        await session.commit()
    async with database.session() as session:
        repo = Repository(session, cipher)
        contact = await repo.find_contact(ALICE)
        conversation = await repo.conversation(contact, NOW)
        assert conversation.step == "housing_internet:ask_tenant"
        assert conversation.slots == {"near": "Pontanézen"}


async def test_outbox_claim_retry_and_send(database, cipher):
    async with database.session() as session:
        repo = Repository(session, cipher)
        contact = await repo.get_or_create_contact(ALICE, NOW)
        await repo.queue_reply(contact, Reply("Bonjour !", key="menu"), NOW)
        await session.commit()
    lease = timedelta(minutes=2)
    async with database.session() as session:
        repo = Repository(session, cipher)
        claimed = await repo.claim_due(NOW, 10, lease, CHANNELS)
        await session.commit()
        assert [c.address for c in claimed] == [ALICE] and claimed[0].attempts == 1
        assert claimed[0].payload == {"text": "Bonjour !", "key": "menu"}
        assert await repo.claim_due(NOW, 10, lease, CHANNELS) == []  # claimed rows are leased
        await repo.mark_retry(claimed[0].id, "HTTP 500", NOW + timedelta(seconds=5))
        await session.commit()
        assert await repo.claim_due(NOW, 10, lease, CHANNELS) == []
        again = await repo.claim_due(NOW + timedelta(seconds=5), 10, lease, CHANNELS)
        assert again[0].attempts == 2
        await repo.mark_sent({again[0].id: "SM-out-1"}, NOW)
        await session.commit()
        assert await repo.claim_due(NOW + timedelta(hours=1), 10, lease, CHANNELS) == []
        item = await repo.outbox_item(again[0].id)
        assert item.status == "sent" and item.platform_id == "SM-out-1"


async def test_nothing_is_claimed_for_an_opted_out_contact_but_a_bypass(database, cipher):
    async with database.session() as session:
        repo = Repository(session, cipher)
        contact = await repo.get_or_create_contact(ALICE, NOW)
        await repo.set_opted_out(contact, True)
        await repo.queue_reply(contact, Reply("menu"), NOW)
        await repo.queue_reply(contact, Reply("Vous ne recevrez plus"), NOW, bypass_opt_out=True)
        await session.commit()
        claimed = await repo.claim_due(NOW, 10, timedelta(minutes=1), CHANNELS)
        assert [c.payload["text"] for c in claimed] == ["Vous ne recevrez plus"]


async def test_erasure_removes_everything_about_a_person(database, cipher):
    async with database.session() as session:
        repo = Repository(session, cipher)
        contact = await repo.get_or_create_contact(ALICE, NOW)
        [message_id] = await stored(session, cipher, inbound("SM9", "aidez moi"))
        message = await session.get(Message, message_id)
        ticket = await repo.open_ticket(contact, "asked_for_human", NOW, topic="caf")
        await repo.attach_to_ticket(message, ticket)
        await repo.queue_reply(contact, Reply("Une personne va vous répondre"), NOW)
        bob = await repo.get_or_create_contact(Address("sms", "+33700000001"), NOW)
        await stored(session, cipher, inbound("SM10", "salut", bob_address := repo.address_of(bob)))
        await session.commit()
        assert await repo.open_ticket_of(contact.id) is not None
        await repo.erase_contact(contact)
        await session.commit()
        assert await repo.find_contact(ALICE) is None
        for table in ("tickets", "outbox", "conversations"):
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0
        remaining = (await session.execute(select(Message))).scalars().all()
        assert [m.text for m in remaining] == ["salut"] and bob_address.value == "+33700000001"
