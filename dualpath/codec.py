"""Every Temporal payload encrypted with AES-GCM, under a key of the workflow's region.

Workflow and activity inputs, results, update, signal and query arguments,
memos and (through `DefaultFailureConverterWithEncodedAttributes`) failure
messages and stack traces pass through `EncryptionCodec` on their way to the
Temporal server, so its database and the Web UI hold ciphertext only. Workflow
ids, task queues and search attributes are not payloads: they carry
pseudonymous ids and process state only.

Keys. Each region has keys of its own; a region's key ids start with its code
and a dot (`1082.2026-01`; `key_region`). Every other key id is national: the
shared key for workflows of no region and for workflows started before the
region was put in workflow ids (dualpath/workflow_ids.py). The codec server
(api/routes/codec.py) decodes a payload only for staff of the region its key
belongs to, so no region's staff reads another region's payloads, and nobody
but a logged break-glass reads a national one.

Which key. Temporal tells the codec the workflow id of each payload (its
serialization context: the target workflow for starts, signals, updates and
queries, the child for child workflows, the workflow for its activities), and
the id names the region. Encoding uses the region's current key; decoding uses
whichever key id the payload names, so keys rotate by adding a new id, making it
current, and keeping the old one listed until no open workflow needs it.

Each encrypted payload is

    metadata: encoding = binary/encrypted, encryption-key-id = <key id>,
              encryption-workflow-id = <workflow id>
    data:     12-byte random nonce || AES-256-GCM(serialized inner Payload)

with the key id and the workflow id as associated data, so a payload can be
neither relabelled with another key id nor moved to another workflow. Payloads
written before the workflow id was bound (national keys only) name no workflow
id and have the key id alone as associated data.

What the worker refuses. AES-GCM authenticates every command, so a command is
genuine only if it decrypts, under a key of the workflow's region, bound to the
workflow it arrives at. A payload that is not encrypted, or encrypted for
another workflow or region, or under an unknown key, or altered, is not passed
on: the codec replaces it with a `binary/refused` marker naming why, and the
payload converter refuses the marker when the value is read (`refusal`). So a
forged update is rejected with that reason (nothing reaches the history), a
forged signal is dropped (the SDK logs and drops a signal it cannot read), a
forged start fails its own workflow — and the workflow task never fails over
it, so the workflow goes on taking genuine commands. (Raising in the codec
instead would fail the whole workflow task, over and over.) An unknown key id
or altered data may also be a configuration fault (a retired key dropped too
early, different key material under one id): read inside the workflow, those
fail the workflow task, which is retried until the key is back, rather than
failing the workflow for good.
"""

from __future__ import annotations

import base64
import binascii
import copy
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import EncodingPayloadConverter, PayloadCodec, SerializationContext, WithSerializationContext
from temporalio.exceptions import ApplicationError

from dualpath.workflow_ids import REGIONS, region_of

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
WORKFLOW_ID = "encryption-workflow-id"
NONCE_BYTES = 12
KEY_BYTES = 32

REFUSED = b"binary/refused"
REFUSED_REASON = "refused-reason"
REFUSED_KIND = "refused-kind"

_REGION_KEY = re.compile(rf"^({'|'.join(REGIONS)})\.")


class PayloadKeyError(ValueError):
    """A payload key setting that cannot be used (names the key id, never the key)."""


class PayloadDecryptionError(ValueError):
    """An encrypted payload that cannot be decrypted: unknown key id, or altered data."""


class PayloadRefused(PayloadDecryptionError):
    """A payload the codec does not pass on, and why. `forged`: it cannot have come from a
    correctly configured process of ours (not encrypted, or encrypted for another workflow
    or region); else it may be a configuration fault (unknown key id, altered data)."""

    def __init__(self, message: str, *, forged: bool) -> None:
        super().__init__(message)
        self.forged = forged


class PayloadUnreadable(ValueError):
    """Raised reading a refused payload that may be a configuration fault: inside a workflow it
    fails the workflow task (retried until the key is back), an update is rejected, a signal dropped."""


def key_region(key_id: str) -> str | None:
    """The region a key id belongs to (`1082.2026-01` → "1082"); None for a national key."""
    match = _REGION_KEY.match(key_id)
    return match.group(1) if match else None


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


def derive_region_key(master: bytes, region: str) -> bytes:
    """A region's key derived from another (HKDF-SHA256): for development keys only."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"dualpath payload key, region {region}".encode()
    ).derive(master)


@dataclass(frozen=True)
class Label:
    """What an encrypted payload says about itself, readable without any key."""

    key_id: str
    region: str | None  # the key's region; None for a national key
    workflow_id: str | None  # the workflow it is bound to; None for payloads written before binding


def label(payload: Payload) -> Label | None:
    """The key id, the key's region and the bound workflow id of an encrypted payload; None if not encrypted."""
    if payload.metadata.get("encoding") != ENCODING:
        return None
    key_id = payload.metadata.get(KEY_ID, b"").decode("utf-8", "replace")
    bound = payload.metadata.get(WORKFLOW_ID)
    return Label(
        key_id=key_id,
        region=key_region(key_id),
        workflow_id=bound.decode("utf-8", "replace") if bound is not None else None,
    )


def _aad(key_id: str, workflow_id: str | None) -> bytes:
    # Key ids hold no NUL (checked), so key id and workflow id cannot run into each other.
    return key_id.encode() if workflow_id is None else key_id.encode() + b"\x00" + workflow_id.encode()


def _region_name(region: str | None) -> str:
    return f"region {region}" if region else "the national key (no region)"


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    def __init__(
        self, keys: Mapping[str, bytes | str], current_key_id: str, region_key_ids: Mapping[str, str] | None = None
    ) -> None:
        """`keys` maps key id → 32 raw bytes, or their base64 (as in the settings);
        `current_key_id` is the current national key; `region_key_ids` maps each
        region to its current key id (a region missing there cannot be encoded for)."""
        self._ciphers: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            if not key_id or "\x00" in key_id or not key_id.isprintable():
                raise PayloadKeyError(f"payload key id {key_id!r} must be printable text")
            raw = decode_key(key_id, key) if isinstance(key, str) else key
            if len(raw) != KEY_BYTES:
                raise PayloadKeyError(f"payload key {key_id!r} is {len(raw)} bytes; AES-256-GCM needs {KEY_BYTES}")
            self._ciphers[key_id] = AESGCM(raw)
        known = ", ".join(sorted(self._ciphers)) or "none"
        if current_key_id not in self._ciphers:
            raise PayloadKeyError(f"the current payload key id {current_key_id!r} is not among the keys ({known})")
        if key_region(current_key_id) is not None:
            raise PayloadKeyError(
                f"the current national payload key id {current_key_id!r} names a region; "
                "a national key id must not start with a region code and a dot"
            )
        self._current: dict[str | None, str] = {None: current_key_id}
        for region, key_id in (region_key_ids or {}).items():
            if region not in REGIONS:
                raise PayloadKeyError(
                    f"unknown region {region!r} for payload key {key_id!r} (the regions: {', '.join(REGIONS)})"
                )
            if key_id not in self._ciphers:
                raise PayloadKeyError(
                    f"the current payload key id {key_id!r} of region {region} is not among the keys ({known})"
                )
            if key_region(key_id) != region:
                raise PayloadKeyError(
                    f"the current payload key id {key_id!r} of region {region} must start with "
                    f"'{region}.' (a region's key ids name the region)"
                )
            self._current[region] = key_id
        self._workflow_id: str | None = None

    @classmethod
    def from_settings(cls, settings) -> EncryptionCodec:
        keys, national, regions = settings.payload_keyring()
        return cls(keys, national, regions)

    @property
    def current_key_id(self) -> str:
        """The current national key id."""
        return self._current[None]

    def current_key_id_for(self, region: str | None) -> str:
        try:
            return self._current[region]
        except KeyError:
            raise PayloadKeyError(
                f"no current payload key for region {region} (DUALPATH_PAYLOAD_KEY_IDS names none)"
            ) from None

    def with_context(self, context: SerializationContext) -> EncryptionCodec:
        """This codec for the payloads of one workflow (Temporal's serialization context)."""
        clone = copy.copy(self)
        clone._workflow_id = getattr(context, "workflow_id", None) or None
        return clone

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p, self._workflow_id) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decode_one(p) for p in payloads]

    def _decode_one(self, payload: Payload) -> Payload:
        try:
            return self.open(payload, self._workflow_id)
        except PayloadRefused as refused:
            return Payload(
                metadata={
                    "encoding": REFUSED,
                    REFUSED_REASON: str(refused).encode(),
                    REFUSED_KIND: b"forged" if refused.forged else b"unreadable",
                }
            )

    def encrypt(self, payload: Payload, workflow_id: str | None = None) -> Payload:
        """Sealed under the current key of `workflow_id`'s region and bound to it; without a
        workflow id, under the current national key and bound to none."""
        key_id = self.current_key_id_for(region_of(workflow_id)) if workflow_id else self.current_key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), _aad(key_id, workflow_id))
        metadata = {"encoding": ENCODING, KEY_ID: key_id.encode()}
        if workflow_id:
            metadata[WORKFLOW_ID] = workflow_id.encode()
        return Payload(metadata=metadata, data=nonce + sealed)

    def open(self, payload: Payload, workflow_id: str | None = None) -> Payload:
        """The inner payload, if it is genuine for `workflow_id` (any workflow when None);
        else `PayloadRefused` saying why."""
        found = label(payload)
        if found is None:
            encoding = payload.metadata.get("encoding", b"").decode("utf-8", "replace")
            raise PayloadRefused(
                f"payload refused: not encrypted (encoding {encoding!r}); every command must be "
                "encrypted with a payload key of the workflow's region",
                forged=True,
            )
        key_id, bound = found.key_id, found.workflow_id
        if bound is not None and region_of(bound) != found.region:
            raise PayloadRefused(
                f"payload refused: key {key_id!r} is not a key of {_region_name(region_of(bound))}, "
                f"the region of workflow {bound}",
                forged=True,
            )
        if bound is None and found.region is not None:
            raise PayloadRefused(
                f"payload refused: key {key_id!r} of region {found.region} on a payload bound to no workflow",
                forged=True,
            )
        if workflow_id is not None:
            if bound is not None and bound != workflow_id:
                raise PayloadRefused(
                    f"payload refused: encrypted for workflow {bound}, not for {workflow_id}", forged=True
                )
            if bound is None and region_of(workflow_id) is not None:
                raise PayloadRefused(
                    f"payload refused: under the national key {key_id!r} and bound to no workflow, "
                    f"but workflow {workflow_id} belongs to region {region_of(workflow_id)}",
                    forged=True,
                )
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadRefused(
                f"payload encrypted with unknown key id {key_id!r}; known ids: {', '.join(sorted(self._ciphers))} "
                "(keep retired keys in DUALPATH_PAYLOAD_KEYS while any workflow may still need them)",
                forged=False,
            )
        if len(payload.data) < NONCE_BYTES + 16:
            raise PayloadRefused(f"encrypted payload (key id {key_id!r}) is too short to be genuine", forged=False)
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, _aad(key_id, bound))
        except InvalidTag:
            raise PayloadRefused(
                f"encrypted payload (key id {key_id!r}) failed authentication: "
                "altered, or a different key under that id",
                forged=False,
            ) from None
        inner = Payload()
        inner.ParseFromString(plain)
        return inner


def refusal(payload: Payload) -> Exception:
    """The error reading a refused payload raises: an `ApplicationError` (PayloadRefused) for one that
    cannot be genuine — it rejects an update, fails a forged start — else `PayloadUnreadable`."""
    reason = payload.metadata.get(REFUSED_REASON, b"payload refused").decode("utf-8", "replace")
    if payload.metadata.get(REFUSED_KIND) == b"forged":
        return ApplicationError(reason, type="PayloadRefused", non_retryable=True)
    return PayloadUnreadable(reason)


class RefusedPayloadConverter(EncodingPayloadConverter):
    """Reads the codec's `binary/refused` markers: by refusing them (see `refusal`)."""

    @property
    def encoding(self) -> str:
        return REFUSED.decode()

    def to_payload(self, value: Any) -> Payload | None:
        return None

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        raise refusal(payload)


class PayloadConverter(PydanticPayloadConverter):
    """The pydantic payload converter, and refused payloads refused."""

    def __init__(self) -> None:
        super().__init__()
        self._set_converters(*self.converters.values(), RefusedPayloadConverter())
