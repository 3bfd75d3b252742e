"""Every Temporal payload encrypted with AES-GCM before it leaves the process.

Workflow and activity inputs, results, update and query arguments, memos and
(through `DefaultFailureConverterWithEncodedAttributes`) failure messages and
stack traces pass through `EncryptionCodec` on their way to the Temporal
server, so its database and the Web UI hold ciphertext only. Workflow ids,
task queues and search attributes are not payloads: they carry pseudonymous
ids and process state only.

Each encrypted payload is

    metadata: encoding = binary/encrypted, encryption-key-id = <key id>
    data:     12-byte random nonce || AES-256-GCM(serialized inner Payload)

with the key id as associated data, so a payload cannot be relabelled with
another key id. Encoding always uses the current key; decoding uses whichever
key the payload names, so keys rotate by adding a new id, making it current,
and keeping the old one listed until no open workflow needs it.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32


class PayloadKeyError(ValueError):
    """A payload key setting that cannot be used (names the key id, never the key)."""


class PayloadDecryptionError(ValueError):
    """An encrypted payload that cannot be decrypted: unknown key id, or altered data."""


def decode_key(key_id: str, b64: str) -> bytes:
    """The 32 raw bytes of one configured key, or a `PayloadKeyError` naming its id."""
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise PayloadKeyError(f"payload key {key_id!r} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise PayloadKeyError(
            f"payload key {key_id!r} is {len(raw)} bytes; AES-256-GCM needs {KEY_BYTES} "
            "(make one with: python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())')"
        )
    return raw


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Mapping[str, bytes | str], current_key_id: str) -> None:
        """`keys` maps key id → 32 raw bytes, or their base64 (as in the settings)."""
        self._ciphers: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            raw = decode_key(key_id, key) if isinstance(key, str) else key
            if len(raw) != KEY_BYTES:
                raise PayloadKeyError(f"payload key {key_id!r} is {len(raw)} bytes; AES-256-GCM needs {KEY_BYTES}")
            self._ciphers[key_id] = AESGCM(raw)
        if current_key_id not in self._ciphers:
            known = ", ".join(sorted(self._ciphers)) or "none"
            raise PayloadKeyError(f"the current payload key id {current_key_id!r} is not among the keys ({known})")
        self.current_key_id = current_key_id

    @classmethod
    def from_settings(cls, settings) -> "EncryptionCodec":
        return cls(settings.payload_keys, settings.payload_key_id)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.current_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        # Payloads written before encryption was switched on pass through, so
        # workflows already running keep working; everything new is encrypted.
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload encrypted with unknown key id {key_id!r}; known ids: {', '.join(sorted(self._ciphers))} "
                "(keep retired keys in DUALPATH_PAYLOAD_KEYS while any workflow may still need them)"
            )
        if len(payload.data) < NONCE_BYTES + 16:
            raise PayloadDecryptionError(f"encrypted payload (key id {key_id!r}) is too short to be genuine")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"encrypted payload (key id {key_id!r}) failed authentication: "
                "altered, or a different key under that id"
            ) from None
        inner = Payload()
        inner.ParseFromString(plain)
        return inner
