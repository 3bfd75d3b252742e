"""The payload codec on its own: AES-GCM round trips, keys per region, rotation, and refusals."""

import base64
import os
import re

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.exceptions import ApplicationError

from dualpath import temporal_client, workflow_ids
from dualpath.codec import (
    ENCODING,
    KEY_ID,
    REFUSED,
    WORKFLOW_ID,
    EncryptionCodec,
    PayloadKeyError,
    PayloadRefused,
    PayloadUnreadable,
    key_region,
)
from dualpath.settings import DEV_PAYLOAD_KEY, DEV_PAYLOAD_KEY_ID, Settings

PATHWAY_ID = "0b6f6c36-6f0e-4a39-9d0c-2b7c1d1e5a11"
W1082 = workflow_ids.pathway(PATHWAY_ID, "1082")
W1084 = workflow_ids.pathway(PATHWAY_ID, "1084")
REGION_KEYS = {r: f"{r}.2026-01" for r in workflow_ids.REGIONS}


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _keys(**extra) -> dict[str, str]:
    return {"national.2026-01": _key(), **{k: _key() for k in REGION_KEYS.values()}, **extra}


def _codec(keys: dict[str, str] | None = None, regions: dict[str, str] | None = None) -> EncryptionCodec:
    return EncryptionCodec(keys or _keys(), "national.2026-01", REGION_KEYS if regions is None else regions)


def _for(codec: EncryptionCodec, workflow_id: str) -> EncryptionCodec:
    return codec.with_context(WorkflowSerializationContext(namespace="default", workflow_id=workflow_id))


def _payload(text: str = f'{{"pathway_id": "{PATHWAY_ID}", "note": "abstinent since May"}}') -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def test_workflow_ids_carry_the_region_and_legacy_ids_none():
    assert W1082 == f"pathway-1082-{PATHWAY_ID}"
    assert workflow_ids.stay(PATHWAY_ID, 2, "1083") == f"stay-1083-{PATHWAY_ID}-2"
    for build in (workflow_ids.referral, workflow_ids.meeting, workflow_ids.transition, workflow_ids.campaign):
        wid = build("7f0c", "1085")
        assert workflow_ids.region_of(wid) == "1085" and workflow_ids.without_region(wid).endswith("-7f0c")
    assert workflow_ids.referral("7f0c", None) == "referral-7f0c"
    for legacy in (f"pathway-{PATHWAY_ID}", f"stay-{PATHWAY_ID}-1", "codec-failure-1", "", None):
        assert workflow_ids.region_of(legacy) is None
    assert workflow_ids.pathway_id_of(W1082) == PATHWAY_ID
    assert workflow_ids.pathway_id_of(f"stay-1082-{PATHWAY_ID}-3") == PATHWAY_ID
    assert workflow_ids.pathway_id_of(f"pathway-{PATHWAY_ID}") == PATHWAY_ID
    with pytest.raises(ValueError, match="unknown region '9999'"):
        workflow_ids.pathway(PATHWAY_ID, "9999")


def test_the_regions_are_the_municipality_tables_regions():
    from dualpath.domain.municipalities import REGIONS

    assert set(workflow_ids.REGIONS) == set(REGIONS)


async def test_a_payload_round_trips_under_its_regions_key_bound_to_its_workflow():
    codec = _codec()
    original = _payload()
    [sealed] = await _for(codec, W1082).encode([original])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"1082.2026-01"
    assert sealed.metadata[WORKFLOW_ID] == W1082.encode()
    assert PATHWAY_ID.encode() not in sealed.data and b"json/plain" not in sealed.data
    assert await _for(codec, W1082).decode([sealed]) == [original]
    # Without a context (a client reading a description) it decodes too: the key names the region.
    assert await codec.decode([sealed]) == [original]
    # An activity of that workflow shares its context.
    activity = codec.with_context(
        ActivitySerializationContext(
            namespace="default",
            activity_id="1",
            activity_type="x",
            activity_task_queue="q",
            workflow_id=W1082,
            workflow_type="PathwayWorkflow",
            is_local=False,
        )
    )
    assert await activity.decode(await activity.encode([original])) == [original]


async def test_workflows_of_no_region_use_the_national_key():
    codec = _codec()
    legacy = f"pathway-{PATHWAY_ID}"
    [sealed] = await _for(codec, legacy).encode([_payload()])
    assert sealed.metadata[KEY_ID] == b"national.2026-01"
    assert await _for(codec, legacy).decode([sealed]) == [_payload()]
    [unbound] = await codec.encode([_payload()])
    assert unbound.metadata[KEY_ID] == b"national.2026-01" and WORKFLOW_ID not in unbound.metadata


async def test_each_encoding_uses_a_fresh_nonce():
    codec = _for(_codec(), W1082)
    first, second = await codec.encode([_payload(), _payload()])
    assert first.data[:12] != second.data[:12]
    assert await codec.decode([first, second]) == [_payload(), _payload()]


async def test_after_rotation_a_region_encodes_with_its_new_key_and_old_payloads_still_decode():
    keys = _keys()
    [before] = await _for(_codec(keys), W1082).encode([_payload()])
    rotated_keys = {**keys, "1082.2026-07": _key()}
    rotated = _for(_codec(rotated_keys, {**REGION_KEYS, "1082": "1082.2026-07"}), W1082)
    [after] = await rotated.encode([_payload()])
    assert before.metadata[KEY_ID] == b"1082.2026-01" and after.metadata[KEY_ID] == b"1082.2026-07"
    assert await rotated.decode([before, after]) == [_payload(), _payload()]
    # Once the old key is dropped, what it sealed cannot be read: the error names the id.
    dropped = {k: v for k, v in rotated_keys.items() if k != "1082.2026-01"}
    with pytest.raises(PayloadRefused, match=re.escape("unknown key id '1082.2026-01'")):
        _codec(dropped, {**REGION_KEYS, "1082": "1082.2026-07"}).open(before, W1082)


def test_a_plaintext_payload_is_refused_not_passed_through():
    with pytest.raises(PayloadRefused, match="not encrypted") as refused:
        _codec().open(_payload(), W1082)
    assert refused.value.forged


def test_a_payload_for_another_region_or_workflow_is_refused():
    codec = _codec()
    sealed = codec.encrypt(_payload(), W1084)
    with pytest.raises(PayloadRefused, match=f"encrypted for workflow {W1084}, not for {W1082}"):
        codec.open(sealed, W1082)
    # Another pathway of the same region: bound to its own workflow, so refused as well.
    other = workflow_ids.pathway("11111111-2222-3333-4444-555555555555", "1082")
    with pytest.raises(PayloadRefused, match="encrypted for workflow"):
        codec.open(codec.encrypt(_payload(), other), W1082)
    # A national payload in a region's workflow.
    with pytest.raises(PayloadRefused, match="belongs to region 1082"):
        codec.open(codec.encrypt(_payload()), W1082)
    # The binding cannot be rewritten: it is authenticated with the data.
    moved = Payload()
    moved.CopyFrom(sealed)
    moved.metadata[WORKFLOW_ID] = W1082.encode()
    moved.metadata[KEY_ID] = b"1082.2026-01"
    with pytest.raises(PayloadRefused, match="failed authentication"):
        codec.open(moved, W1082)


async def test_the_codec_never_raises_in_a_workflow_it_marks_what_it_refuses():
    # Raising would fail the workflow task over and over; the converter refuses the marker instead.
    [marked] = await _for(_codec(), W1082).decode([_payload()])
    assert marked.metadata["encoding"] == REFUSED
    converter = temporal_client.data_converter(Settings(_env_file=None)).payload_converter
    with pytest.raises(ApplicationError, match="not encrypted") as refused:
        converter.from_payloads([marked])
    assert refused.value.type == "PayloadRefused" and refused.value.non_retryable


async def test_an_unknown_key_id_or_altered_data_is_unreadable_not_forged():
    # Possibly a key retired too early: inside a workflow this fails the task (retried) until it is back.
    codec = _for(_codec(), W1082)
    [sealed] = await codec.encode([_payload()])
    unknown = Payload()
    unknown.CopyFrom(sealed)
    unknown.metadata[KEY_ID] = b"1082.2019-01"
    flipped = bytearray(sealed.data)
    flipped[20] ^= 0x01
    tampered = Payload(metadata=dict(sealed.metadata), data=bytes(flipped))
    converter = temporal_client.data_converter(Settings(_env_file=None)).payload_converter
    for payload, why in ((unknown, "unknown key id '1082.2019-01'"), (tampered, "failed authentication")):
        [marked] = await codec.decode([payload])
        with pytest.raises(PayloadUnreadable, match=why):
            converter.from_payloads([marked])


def test_key_ids_name_their_region():
    assert key_region("1082.2026-01") == "1082"
    assert key_region("development") is None and key_region("2026-01") is None and key_region("1082-x") is None


def test_the_codec_refuses_keys_that_do_not_fit():
    with pytest.raises(PayloadKeyError, match="'k1' is 16 bytes"):
        EncryptionCodec({"k1": base64.b64encode(os.urandom(16)).decode()}, "k1")
    with pytest.raises(PayloadKeyError, match="'k2' is not among the keys"):
        EncryptionCodec({"k1": _key()}, "k2")
    with pytest.raises(PayloadKeyError, match=re.escape("must start with '1084.'")):
        EncryptionCodec({"n": _key(), "1082.a": _key()}, "n", {"1084": "1082.a"})
    with pytest.raises(PayloadKeyError, match="names a region"):
        EncryptionCodec({"1082.a": _key()}, "1082.a")
    with pytest.raises(PayloadKeyError, match="no current payload key for region 1083"):
        EncryptionCodec({"n": _key()}, "n").encrypt(_payload(), workflow_ids.pathway(PATHWAY_ID, "1083"))


def test_settings_refuse_a_16_byte_key_and_an_unknown_current_id():
    with pytest.raises(ValidationError, match="payload key 'short' is 16 bytes; AES-256-GCM needs 32"):
        Settings(
            _env_file=None, payload_keys={"short": base64.b64encode(os.urandom(16)).decode()}, payload_key_id="short"
        )
    with pytest.raises(ValidationError, match="payload key 'bad' is not valid base64"):
        Settings(_env_file=None, payload_keys={"bad": "not base64!"}, payload_key_id="bad")
    with pytest.raises(ValidationError, match="DUALPATH_PAYLOAD_KEY_ID 'k2' is not among the ids"):
        Settings(_env_file=None, payload_keys={"k1": _key()}, payload_key_id="k2")
    with pytest.raises(ValidationError, match="of region 1082 is not among the keys"):
        Settings(
            _env_file=None, payload_keys={"k1": _key()}, payload_key_id="k1", payload_key_ids={"1082": "1082.2026-01"}
        )


def test_a_settings_error_does_not_echo_the_keys():
    secret = _key()
    with pytest.raises(ValidationError) as err:
        Settings(_env_file=None, payload_keys={"k1": secret}, payload_key_id="k2")
    assert secret not in str(err.value)
    assert secret not in repr(Settings(_env_file=None, payload_keys={"k1": secret}, payload_key_id="k1"))


def test_settings_read_the_keys_as_json_from_the_environment(monkeypatch):
    a, b, c = _key(), _key(), _key()
    monkeypatch.setenv("DUALPATH_PAYLOAD_KEYS", f'{{"2025-01": "{a}", "2026-01": "{b}", "1082.2026-01": "{c}"}}')
    monkeypatch.setenv("DUALPATH_PAYLOAD_KEY_ID", "2026-01")
    monkeypatch.setenv("DUALPATH_PAYLOAD_KEY_IDS", '{"1082": "1082.2026-01"}')
    monkeypatch.setenv("DUALPATH_BREAK_GLASS_SUBJECTS", '["support-anna"]')
    s = Settings(_env_file=None)
    assert s.payload_keys == {"2025-01": a, "2026-01": b, "1082.2026-01": c} and s.payload_key_id == "2026-01"
    assert s.break_glass_subjects == ["support-anna"]
    keys, national, regions = s.payload_keyring()
    assert national == "2026-01" and regions["1082"] == "1082.2026-01"
    # Development: the regions not configured get a key derived from the development key.
    assert regions["1084"] == "1084.development" and len(keys["1084.development"]) == 32


def test_development_needs_no_configuration_and_derives_a_distinct_key_per_region():
    keys, national, regions = Settings(_env_file=None).payload_keyring()
    assert national == DEV_PAYLOAD_KEY_ID
    assert regions == {r: f"{r}.development" for r in workflow_ids.REGIONS}
    derived = {keys[i] for i in regions.values()}
    assert len(derived) == 5 and base64.b64decode(DEV_PAYLOAD_KEY) not in derived


def _prod(**extra) -> Settings:
    return Settings(
        _env_file=None,
        environment="production",
        database_url="postgresql://x/y",
        oidc_issuer="https://idp",
        oidc_jwks_url="https://idp/jwks",
        **extra,
    )


def test_production_needs_a_key_per_region_and_refuses_the_development_keys():
    with pytest.raises(ValidationError, match="production refuses the development payload key"):
        _prod()
    # Still listed for decoding next to a real current key: refused as well.
    with pytest.raises(ValidationError, match="production refuses the development payload key"):
        _prod(
            payload_keys={DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY, **_keys()},
            payload_key_id="national.2026-01",
            payload_key_ids=REGION_KEYS,
        )
    # A region key derived from the development key, configured by hand: refused.
    dev_1082 = Settings(_env_file=None).payload_keyring()[0]["1082.development"]
    with pytest.raises(ValidationError, match="production refuses the development payload key"):
        _prod(
            payload_keys={**_keys(), "1082.dev": base64.b64encode(dev_1082).decode()},
            payload_key_id="national.2026-01",
            payload_key_ids={**REGION_KEYS, "1082": "1082.dev"},
        )
    with pytest.raises(ValidationError, match="names none for 1083, 1084, 1085"):
        _prod(
            payload_keys=_keys(),
            payload_key_id="national.2026-01",
            payload_key_ids={r: REGION_KEYS[r] for r in ("1081", "1082")},
        )
    keys, _, regions = _prod(
        payload_keys=_keys(), payload_key_id="national.2026-01", payload_key_ids=REGION_KEYS
    ).payload_keyring()
    assert regions == REGION_KEYS and not any(k.endswith(".development") for k in keys)


async def test_the_data_converter_encrypts_with_the_settings_keys_and_encodes_failure_messages():
    settings = Settings(_env_file=None, payload_keys={"k1": _key()}, payload_key_id="k1")
    converter = temporal_client.data_converter(settings)
    pathway = converter.with_context(WorkflowSerializationContext(namespace="default", workflow_id=W1082))
    [sealed] = await pathway.encode([{"pathway_id": PATHWAY_ID}])
    assert sealed.metadata[KEY_ID] == b"1082.development"
    assert await pathway.decode([sealed]) == [{"pathway_id": PATHWAY_ID}]
    # Another key set cannot read it.
    other = temporal_client.data_converter(Settings(_env_file=None, payload_keys={"k1": _key()}, payload_key_id="k1"))
    [sealed_national] = await converter.encode(["x"])
    with pytest.raises(PayloadUnreadable, match="failed authentication"):
        await other.decode([sealed_national])

    from temporalio.api.failure.v1 import Failure

    failure = Failure()
    await pathway.encode_failure(ApplicationError("refused: abstinent since May"), failure)
    assert failure.message == "Encoded failure"
    assert b"abstinent" not in failure.SerializeToString()
    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
    decoded = await pathway.decode_failure(failure)
    assert decoded.message == "refused: abstinent since May"
