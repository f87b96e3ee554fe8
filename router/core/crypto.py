"""Field-level encryption of PHI (AES-256-GCM with key ids) and keyed blind indexes for lookups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PHI_CONTEXT = "lead"
"""Associated data of lead PHI ciphertexts: a value sealed for a lead cannot be replayed elsewhere."""
_NONCE_BYTES = 12
"""96-bit nonces are what GCM is specified for; random nonces are safe well past 2^32 messages per key."""
_VERSION = b"\x01"


class KeyringError(ValueError):
    """The configured keys are malformed or a ciphertext names an unknown key."""


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts PHI fields; the first key encrypts, every key decrypts, so keys can rotate."""

    keys: dict[str, bytes]
    current_key_id: str

    @classmethod
    def from_config(cls, spec: str) -> FieldCipher:
        """Build from `id:base64key,id2:base64key2` (the first is the current key)."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            key_id, _, encoded = part.partition(":")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError as exc:
                raise KeyringError(f"PHI key {key_id!r} is not valid base64") from exc
            if not key_id or len(key) != 32 or ":" in key_id or "." in key_id:
                raise KeyringError(f"PHI key {key_id!r} must be `id:base64(32 bytes)`")
            keys[key_id] = key
            order.append(key_id)
        if not order:
            raise KeyringError("no PHI key configured")
        return cls(keys=keys, current_key_id=order[0])

    def encrypt(self, plaintext: str | None, *, context: str) -> bytes | None:
        """Ciphertext `version|key id|.|nonce|sealed`; context binds it to its column (no swapping)."""
        if plaintext is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        key_id = self.current_key_id.encode()
        sealed = AESGCM(self.keys[self.current_key_id]).encrypt(
            nonce, plaintext.encode("utf-8"), context.encode()
        )
        return _VERSION + key_id + b"." + nonce + sealed

    def decrypt(self, ciphertext: bytes | None, *, context: str) -> str | None:
        """The plaintext of a field encrypted by `encrypt` under any configured key."""
        if ciphertext is None:
            return None
        ciphertext = bytes(ciphertext)
        if ciphertext[:1] != _VERSION:
            raise KeyringError("unknown ciphertext version")
        key_id, _, rest = ciphertext[1:].partition(b".")
        key = self.keys.get(key_id.decode())
        if key is None:
            raise KeyringError(f"ciphertext was sealed with key {key_id.decode()!r}, which is not configured")
        nonce, sealed = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]
        return AESGCM(key).decrypt(nonce, sealed, context.encode()).decode("utf-8")

    def key_id_of(self, ciphertext: bytes) -> str:
        """Which key sealed this ciphertext (rotation re-encrypts the ones not under the current key)."""
        return bytes(ciphertext)[1:].partition(b".")[0].decode()

    def reencrypt(self, ciphertext: bytes | None, *, context: str) -> bytes | None:
        """The same plaintext sealed under the current key."""
        return self.encrypt(self.decrypt(ciphertext, context=context), context=context)


def generate_key() -> str:
    """A fresh base64 AES-256 key for the keys configuration."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


@dataclass(frozen=True)
class BlindIndex:
    """Keyed HMAC-SHA256 of normalized phone/email: equality lookups without storing the value."""

    key: bytes

    @classmethod
    def from_config(cls, encoded: str) -> BlindIndex:
        key = base64.b64decode(encoded)
        if len(key) < 16:
            raise KeyringError("the blind index key must be at least 16 bytes")
        return cls(key=key)

    def digest(self, value: str | None, *, kind: str) -> bytes | None:
        """The index of a normalized value; `kind` keeps a phone and an email with equal text apart."""
        if not value:
            return None
        return hmac.new(self.key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
