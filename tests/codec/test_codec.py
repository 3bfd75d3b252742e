"""The payload codec on its own: AES-GCM round trips, fresh nonces, key rotation, and refusals."""

import base64
import os

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload

from dualpath import temporal_client
from dualpath.codec import ENCODING, KEY_ID, EncryptionCodec, PayloadDecryptionError, PayloadKeyError
from dualpath.settings import DEV_PAYLOAD_KEY, DEV_PAYLOAD_KEY_ID, Settings

PATHWAY_ID = "0b6f6c36-6f0e-4a39-9d0c-2b7c1d1e5a11"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _payload(text: str = f'{{"pathway_id": "{PATHWAY_ID}", "note": "abstinent since May"}}') -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_a_payload_round_trips_and_is_ciphertext_on_the_way():
    codec = EncryptionCodec({"k1": _key()}, "k1")
    original = _payload()
    [sealed] = await codec.encode([original])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"k1"
    assert PATHWAY_ID.encode() not in sealed.data and b"json/plain" not in sealed.data
    assert await codec.decode([sealed]) == [original]


async def test_each_encoding_uses_a_fresh_nonce():
    codec = EncryptionCodec({"k1": _key()}, "k1")
    first, second = await codec.encode([_payload(), _payload()])
    assert first.data[:12] != second.data[:12]
    assert first.data != second.data
    assert await codec.decode([first, second]) == [_payload(), _payload()]


async def test_after_rotation_new_payloads_use_the_new_key_and_old_ones_still_decode():
    old, new = _key(), _key()
    [before] = await EncryptionCodec({"2025-01": old}, "2025-01").encode([_payload()])
    rotated = EncryptionCodec({"2025-01": old, "2026-01": new}, "2026-01")
    [after] = await rotated.encode([_payload()])
    assert after.metadata[KEY_ID] == b"2026-01"
    assert await rotated.decode([before, after]) == [_payload(), _payload()]
    # Once the old key is dropped, what it sealed cannot be read: the error names the id.
    with pytest.raises(PayloadDecryptionError, match="unknown key id '2025-01'"):
        await EncryptionCodec({"2026-01": new}, "2026-01").decode([before])


async def test_a_payload_naming_an_unknown_key_id_is_refused_clearly():
    [sealed] = await EncryptionCodec({"k1": _key()}, "k1").encode([_payload()])
    sealed.metadata[KEY_ID] = b"k9"
    with pytest.raises(PayloadDecryptionError, match="unknown key id 'k9'"):
        await EncryptionCodec({"k1": _key()}, "k1").decode([sealed])


async def test_tampered_ciphertext_is_refused():
    codec = EncryptionCodec({"k1": _key()}, "k1")
    [sealed] = await codec.encode([_payload()])
    flipped = bytearray(sealed.data)
    flipped[20] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await codec.decode([tampered])


async def test_a_payload_relabelled_with_another_key_id_is_refused():
    # Both ids known, same key material even: the key id is bound to the ciphertext.
    key = _key()
    codec = EncryptionCodec({"a": key, "b": key}, "a")
    [sealed] = await codec.encode([_payload()])
    sealed.metadata[KEY_ID] = b"b"
    with pytest.raises(PayloadDecryptionError, match="failed authentication"):
        await codec.decode([sealed])


async def test_payloads_written_before_encryption_pass_through():
    codec = EncryptionCodec({"k1": _key()}, "k1")
    assert await codec.decode([_payload()]) == [_payload()]


def test_the_codec_refuses_a_short_key_and_a_current_id_without_a_key():
    with pytest.raises(PayloadKeyError, match="'k1' is 16 bytes"):
        EncryptionCodec({"k1": base64.b64encode(os.urandom(16)).decode()}, "k1")
    with pytest.raises(PayloadKeyError, match="'k2' is not among the keys"):
        EncryptionCodec({"k1": _key()}, "k2")


def test_settings_refuse_a_16_byte_key_and_an_unknown_current_id():
    with pytest.raises(ValidationError, match="payload key 'short' is 16 bytes; AES-256-GCM needs 32"):
        Settings(_env_file=None, payload_keys={"short": base64.b64encode(os.urandom(16)).decode()},
                 payload_key_id="short")
    with pytest.raises(ValidationError, match="payload key 'bad' is not valid base64"):
        Settings(_env_file=None, payload_keys={"bad": "not base64!"}, payload_key_id="bad")
    with pytest.raises(ValidationError, match="DUALPATH_PAYLOAD_KEY_ID 'k2' is not among the ids"):
        Settings(_env_file=None, payload_keys={"k1": _key()}, payload_key_id="k2")


def test_a_settings_error_does_not_echo_the_keys():
    secret = _key()
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, payload_keys={"k1": secret}, payload_key_id="k2")
    assert secret not in str(err.value)
    assert secret not in repr(Settings(_env_file=None, payload_keys={"k1": secret}, payload_key_id="k1"))


def test_settings_read_the_keys_as_json_from_the_environment(monkeypatch):
    a, b = _key(), _key()
    monkeypatch.setenv("DUALPATH_PAYLOAD_KEYS", f'{{"2025-01": "{a}", "2026-01": "{b}"}}')
    monkeypatch.setenv("DUALPATH_PAYLOAD_KEY_ID", "2026-01")
    s = Settings(_env_file=None)
    assert s.payload_keys == {"2025-01": a, "2026-01": b} and s.payload_key_id == "2026-01"


def test_production_refuses_the_development_payload_key():
    prod = dict(_env_file=None, environment="production", database_url="postgresql://x/y",
                oidc_issuer="https://idp", oidc_jwks_url="https://idp/jwks")
    with pytest.raises(ValidationError, match="production refuses the development payload key"):
        Settings(**prod)
    # Still listed for decoding next to a real current key: refused as well.
    with pytest.raises(ValidationError, match="production refuses the development payload key"):
        Settings(**prod, payload_keys={DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY, "prod-1": _key()},
                 payload_key_id="prod-1")
    Settings(**prod, payload_keys={"prod-1": _key()}, payload_key_id="prod-1")


async def test_the_data_converter_encrypts_with_the_settings_keys_and_encodes_failure_messages():
    settings = Settings(_env_file=None, payload_keys={"k1": _key()}, payload_key_id="k1")
    converter = temporal_client.data_converter(settings)
    [sealed] = await converter.encode([{"pathway_id": PATHWAY_ID}])
    assert sealed.metadata[KEY_ID] == b"k1"
    assert await converter.decode([sealed]) == [{"pathway_id": PATHWAY_ID}]
    # Another key set cannot read it.
    other = temporal_client.data_converter(Settings(_env_file=None, payload_keys={"k1": _key()}, payload_key_id="k1"))
    with pytest.raises(PayloadDecryptionError):
        await other.decode([sealed])

    from temporalio.api.failure.v1 import Failure
    from temporalio.exceptions import ApplicationError

    failure = Failure()
    await converter.encode_failure(ApplicationError(f"pathway {PATHWAY_ID} refused"), failure)
    assert failure.message == "Encoded failure"
    assert PATHWAY_ID.encode() not in failure.SerializeToString()
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
    decoded = await converter.decode_failure(failure)
    assert decoded.message == f"pathway {PATHWAY_ID} refused"
