"""Field-level encryption of PHI (AES-256-GCM with key ids) and keyed blind indexes for lookups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
"""96-bit nonces are what GCM is specified for; random nonces are safe well past 2^32 messages per key."""
_LEGACY = b"\x01"
"""First format: the associated data named only a kind ("lead"), so values could be swapped between
columns and rows. Read only by the re-encryption that migration 0010 and `keys rotate` run."""
_BOUND = b"\x02"
"""Current format: the associated data is the column's name and the row's id."""


class KeyringError(ValueError):
    """The configured keys are malformed or a ciphertext names an unknown key."""


@dataclass(frozen=True)
class PhiColumn:
    """An encrypted column: each value is bound to this column and its row, so a copied value fails."""

    table: str
    column: str
    legacy_context: str
    """The associated data of the first format (before per-column binding)."""
    binary: bool = False
    """Holds bytes (a file's content), sealed with `seal_bytes`; text columns hold UTF-8."""

    def associated_data(self, row_id: object) -> bytes:
        return f"{self.table}.{self.column}/{row_id}".encode()


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts PHI fields; the first key encrypts, every key decrypts, so keys can rotate."""

    keys: dict[str, bytes]
    current_key_id: str
    _sealers: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)
    """One AESGCM object per key, built once (building one per value costs a key schedule)."""

    def __post_init__(self) -> None:
        self._sealers.update({key_id: AESGCM(key) for key_id, key in self.keys.items()})

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

    def seal(self, plaintext: str | None, *, column: PhiColumn, row_id: object) -> bytes | None:
        """Ciphertext `version|key id|.|nonce|sealed`, bound to `column` of row `row_id`."""
        if plaintext is None:
            return None
        return self.seal_bytes(plaintext.encode("utf-8"), column=column, row_id=row_id)

    def open(self, ciphertext: bytes | None, *, column: PhiColumn, row_id: object) -> str | None:
        """The plaintext of a value sealed for this column and row (InvalidTag for any other)."""
        opened = self.open_bytes(ciphertext, column=column, row_id=row_id)
        return None if opened is None else opened.decode("utf-8")

    def seal_bytes(self, plaintext: bytes | None, *, column: PhiColumn, row_id: object) -> bytes | None:
        """`seal` for bytes (a file's content): the same format, bound to `column` of row `row_id`."""
        if plaintext is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._sealers[self.current_key_id].encrypt(nonce, plaintext, column.associated_data(row_id))
        return _BOUND + self.current_key_id.encode() + b"." + nonce + sealed

    def open_bytes(self, ciphertext: bytes | None, *, column: PhiColumn, row_id: object) -> bytes | None:
        """The bytes of a value sealed for this column and row (InvalidTag for any other)."""
        if ciphertext is None:
            return None
        version, sealer, nonce, sealed = self._parts(ciphertext)
        if version != _BOUND:
            raise KeyringError(
                f"{column.table}.{column.column} holds a value sealed before per-column binding; "
                "run `leadrouter migrate` (or `leadrouter keys rotate`) to re-encrypt it"
            )
        return sealer.decrypt(nonce, sealed, column.associated_data(row_id))

    def is_current(self, ciphertext: bytes) -> bool:
        """Sealed under the current key in the current format (rotation skips these)."""
        ciphertext = bytes(ciphertext)
        return ciphertext[:1] == _BOUND and self.key_id_of(ciphertext) == self.current_key_id

    def key_id_of(self, ciphertext: bytes) -> str:
        """Which key sealed this ciphertext (rotation re-encrypts the ones not under the current key)."""
        return bytes(ciphertext)[1:].partition(b".")[0].decode()

    def reseal(self, ciphertext: bytes | None, *, column: PhiColumn, row_id: object) -> bytes | None:
        """The same plaintext sealed under the current key, bound to its column and row (a value of
        the first format is read with its column's legacy associated data)."""
        if ciphertext is None:
            return None
        version, sealer, nonce, sealed = self._parts(ciphertext)
        if version == _LEGACY:
            plaintext = sealer.decrypt(nonce, sealed, column.legacy_context.encode())
        else:
            plaintext = self.open_bytes(ciphertext, column=column, row_id=row_id)
        return self.seal_bytes(plaintext, column=column, row_id=row_id)

    def _parts(self, ciphertext: bytes) -> tuple[bytes, AESGCM, bytes, bytes]:
        ciphertext = bytes(ciphertext)
        version = ciphertext[:1]
        if version not in (_LEGACY, _BOUND):
            raise KeyringError("unknown ciphertext version")
        key_id, _, rest = ciphertext[1:].partition(b".")
        sealer = self._sealers.get(key_id.decode())
        if sealer is None:
            raise KeyringError(f"ciphertext was sealed with key {key_id.decode()!r}, which is not configured")
        return version, sealer, rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]


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
