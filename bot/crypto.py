"""Protection of personal addresses: encrypted at rest, looked up by keyed hash, masked.

Keys are derived from SECRET_KEY with HKDF so one secret serves both purposes without
reusing key material. SECRET_KEY_PREVIOUS, when set, still decrypts and matches rows
written before a rotation (see README, "Key rotation").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

if TYPE_CHECKING:
    from bot.config import Settings


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aiguillage", info=purpose).derive(
        secret.encode()
    )


class AddressCipher:
    """Encrypts, decrypts and hashes addresses with keys derived from the secret(s)."""

    def __init__(self, secret_key: str, previous_key: str | None = None) -> None:
        secrets = [secret_key] + ([previous_key] if previous_key else [])
        self._fernet = MultiFernet(
            [Fernet(base64.urlsafe_b64encode(_derive(s, b"address-encryption"))) for s in secrets]
        )
        self._hash_keys = [_derive(s, b"address-lookup") for s in secrets]

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError("address cannot be decrypted with the configured keys") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the current key."""
        return self._fernet.rotate(token.encode()).decode()

    def lookup_hash(self, channel: str, value: str) -> str:
        """Keyed hash of an address under the current key, used to find a contact."""
        return self.lookup_hashes(channel, value)[0]

    def lookup_hashes(self, channel: str, value: str) -> list[str]:
        """Hashes under the current key first, then under the previous one."""
        data = f"{channel}:{value}".encode()
        return [hmac.new(k, data, hashlib.sha256).hexdigest() for k in self._hash_keys]


def cipher_for(settings: Settings) -> AddressCipher:
    """The cipher of a running configuration: current key, and the previous one if rotating."""
    return AddressCipher(settings.secret_key, settings.secret_key_previous)


def redact(text: str, value: str) -> str:
    """`text` with an address replaced by `•••` (a platform's error may quote the number)."""
    for form in (value, value.lstrip("+")):
        if len(form) >= 4:
            text = text.replace(form, "•••")
    return text


# argon2id at OWASP's recommended minimum (19 MiB, 2 passes): the library default (64 MiB)
# would more than double the gateway's memory while a mediator logs in.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """An argon2id hash of a mediator's password."""
    return HASHER.hash(password)
