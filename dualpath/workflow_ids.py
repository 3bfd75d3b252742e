"""Every workflow id, built in one place: `<kind>-<region>-<object id>`.

A workflow that belongs to a region carries the region's code in its id:

    pathway-1082-<pathway_id>          the ambulatory pathway
    stay-1082-<pathway_id>-<number>    an inpatient stay of that pathway
    referral-1082-<referral_id>
    meeting-1082-<meeting_id>
    transition-1082-<transition_id>
    campaign-1082-<campaign_id>
    coordinated-1082-<course_id>       the coordinated course after integrated care

The region decides which payload key encrypts the workflow's payloads
(dualpath/codec.py): the codec is told the workflow id of each payload
(Temporal's serialization context) and reads the region from it with
`region_of`. The region is process state, not identity: it is also a search
attribute, and the object ids stay pseudonymous uuids.

A workflow of no region (a referral whose municipality routes nowhere) and
every workflow started before the region was put in the id keep the legacy
form `<kind>-<object id>`; `region_of` gives None for them, and their
payloads use the national key, which no region's staff may decode.

Event-store stream ids are not workflow ids: they keep their own form,
`<kind>-<object id>` without a region (`pathway_stream`, …, below), so that
the streams written before regions existed go on.

Workflows started by another workflow choose the new form behind
`workflow.patched(REGION_IN_WORKFLOW_ID)`, so that recorded histories replay
with the ids they ran with. The API addresses a workflow by its new-form id
and falls back to the legacy form for one started before (`resolve`).
"""

from __future__ import annotations

import re
import uuid

# The five regions (dualpath/domain/data/municipalities.json; a test checks they agree).
REGIONS: tuple[str, ...] = ("1081", "1082", "1083", "1084", "1085")
KINDS: tuple[str, ...] = ("pathway", "stay", "referral", "meeting", "transition", "campaign", "coordinated")

# The patch under which a workflow starts its children (and names its siblings) with new-form ids.
REGION_IN_WORKFLOW_ID = "region-in-workflow-id"

_NEW_FORM = re.compile(rf"^({'|'.join(KINDS)})-({'|'.join(REGIONS)})-(.+)$")


def _build(kind: str, object_id: str, region: str | None) -> str:
    assert kind in KINDS, kind
    if not region:
        return legacy(kind, object_id)
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r} for a {kind} workflow id; the regions are {', '.join(REGIONS)}")
    return f"{kind}-{region}-{object_id}"


def legacy(kind: str, object_id: str) -> str:
    """The id without a region: a workflow of no region, or one started before regions were in ids."""
    return f"{kind}-{object_id}"


def pathway(pathway_id: str, region: str | None) -> str:
    return _build("pathway", pathway_id, region)


def stay(pathway_id: str, number: int, region: str | None) -> str:
    return _build("stay", f"{pathway_id}-{number}", region)


def referral(referral_id: str, region: str | None) -> str:
    return _build("referral", referral_id, region)


def meeting(meeting_id: str, region: str | None) -> str:
    return _build("meeting", meeting_id, region)


def transition(transition_id: str, region: str | None) -> str:
    return _build("transition", transition_id, region)


def campaign(campaign_id: str, region: str | None) -> str:
    return _build("campaign", campaign_id, region)


def coordinated(course_id: str, region: str | None) -> str:
    return _build("coordinated", course_id, region)


# -- event-store stream ids: `<kind>-<object id>`, never with a region; they must never change ------


def pathway_stream(pathway_id: str) -> str:
    return f"pathway-{pathway_id}"


def stay_stream(pathway_id: str, number: int) -> str:
    return f"stay-{pathway_id}-{number}"


def referral_stream(referral_id: str) -> str:
    return f"referral-{referral_id}"


def meeting_stream(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def transition_stream(transition_id: str) -> str:
    return f"transition-{transition_id}"


def campaign_stream(campaign_id: str) -> str:
    return f"campaign-{campaign_id}"


def coordinated_stream(course_id: str) -> str:
    return f"coordinated-{course_id}"


# -- the staff register: one workflow per staff member, keyed by their token's subject -------------


def staff_member(subject: str) -> str:
    """`staff-<uuid5 of the subject>`: a subject may be an e-mail address or a name-like login, and workflow ids
    are not encrypted, so the id carries a pseudonym of it (the same one every time). No region: a staff
    member's payloads (subject, organisation, team, role; never the name) use the national key."""
    return f"staff-{uuid.uuid5(_STAFF_NAMESPACE, subject)}"


def staff_stream(subject: str) -> str:
    """The staff member's event stream in PostgreSQL (`staff-<subject>`; the event store is not Temporal)."""
    return f"staff-{subject}"


_STAFF_NAMESPACE = uuid.UUID("5f0b5d6e-3c1a-4d8e-9a7b-2d1f0c6e8a41")


def region_of(workflow_id: str | None) -> str | None:
    """The region a workflow belongs to, from its id; None for the legacy form and any other id."""
    match = _NEW_FORM.match(workflow_id or "")
    return match.group(2) if match else None


def without_region(workflow_id: str) -> str:
    """The legacy form of a new-form id (the id itself when it has no region)."""
    match = _NEW_FORM.match(workflow_id)
    return f"{match.group(1)}-{match.group(3)}" if match else workflow_id


def pathway_id_of(workflow_id: str) -> str | None:
    """The pathway a pathway's or a stay's workflow id names (either form), for the access log;
    None for other kinds."""
    legacy_id = without_region(workflow_id)
    if legacy_id.startswith("pathway-"):
        return legacy_id.removeprefix("pathway-")
    if legacy_id.startswith("stay-") and legacy_id.rpartition("-")[2].isdigit():
        return legacy_id.removeprefix("stay-").rpartition("-")[0]
    return None


# -- the API: which form a workflow has ---------------------------------------------------

_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 100_000


async def resolve(client, workflow_id: str) -> str:
    """The id the workflow runs under: `workflow_id` (new form) if Temporal knows it, else its
    legacy twin if Temporal knows that, else `workflow_id`. Remembered per process: an object's
    workflow never changes its id."""
    legacy_id = without_region(workflow_id)
    if legacy_id == workflow_id:
        return workflow_id
    known = _RESOLVED.get(workflow_id)
    if known is not None:
        return known
    from temporalio.service import RPCError, RPCStatusCode

    for candidate in (workflow_id, legacy_id):
        try:
            await client.get_workflow_handle(candidate).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                continue
            return workflow_id  # Temporal away: the command itself will say so
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        _RESOLVED[workflow_id] = candidate
        return candidate
    return workflow_id


async def handle(client, workflow_id: str, **kwargs):
    """A handle on the workflow with this (new-form) id, or on its legacy twin (see `resolve`)."""
    return client.get_workflow_handle(await resolve(client, workflow_id), **kwargs)
