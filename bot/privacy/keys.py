"""Key rotation: every stored address re-encrypted and re-hashed under the current key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import AddressCipher
from bot.store.models import Contact, OutboxItem


@dataclass(frozen=True)
class Rotated:
    """How many contacts and outbox rows were rewritten."""

    contacts: int
    outbox: int


async def rotate_keys(session: AsyncSession, cipher: AddressCipher) -> Rotated:
    """Rewrite addresses with SECRET_KEY; rows under SECRET_KEY_PREVIOUS are read with it."""
    contacts = list((await session.execute(select(Contact))).scalars())
    for contact in contacts:
        value = cipher.decrypt(contact.address_encrypted)
        contact.address_encrypted = cipher.encrypt(value)
        contact.address_hash = cipher.lookup_hash(contact.channel, value)
    outbox = list((await session.execute(select(OutboxItem))).scalars())
    for item in outbox:
        item.recipient_encrypted = cipher.rotate(item.recipient_encrypted)
    return Rotated(len(contacts), len(outbox))
