"""The codec server: the Temporal Web UI (and `temporal --codec-endpoint`) decode payloads here.

Temporal holds only ciphertext (dualpath/codec.py), each payload under a key of
its workflow's region and bound to its workflow id. The UI, configured with
`--ui-codec-endpoint http://<api>/codec`, POSTs `{"payloads": [{"metadata":
{k: base64}, "data": base64}]}` (the protobuf JSON form of
`temporal.api.common.v1.Payloads`) to `/codec/decode` and `/codec/encode`
from the browser, with the user's access token in `Authorization` when it is
set to pass it on, and the namespace in `X-Namespace`.

Decode, who reads what (401 without a token):
- a clinician or visitation of region R: payloads under R's keys, that is of R's
  workflows; every other payload comes back as it came, still encrypted, so the
  UI shows ciphertext rather than an error;
- ops, municipality staff, everyone else: nothing is decoded (all comes back
  encrypted). National-key payloads (workflows of no region, and those started
  before the region was in the workflow id) are decoded for no one;
- break-glass: a subject named in `DUALPATH_BREAK_GLASS_SUBJECTS` who sends
  `X-Break-Glass-Reason` (why) and `X-Workflow-Id` (which workflow) gets that
  one workflow's payloads decoded, whatever their key — and only that
  workflow's: a payload bound to another workflow comes back encrypted.
  Break-glass headers from anyone else: 403; a break-glass without both: 422.
  With the CLI: `temporal workflow show -w <id> --codec-endpoint …/codec
  --codec-auth "Bearer $TOKEN" --codec-header "X-Workflow-Id=<id>"
  --codec-header "X-Break-Glass-Reason=<why>"`.

Each decode request is written to the `access_log` table before anything is
returned: one row per workflow whose payloads it held, `allowed` for those
decoded, `denied` for those withheld (object kind `workflow`, the workflow id,
the pathway when it is a pathway's or a stay's), and for a break-glass the
reason; a request of payloads bound to no workflow gets one row without an
object. It is logged with structlog too, with the number of payloads — never
their content.

Encode: refused (403) for everyone but break-glass. An encoded payload is an
authenticated command: the worker accepts whatever decrypts under the
workflow's key (that is what stops forged commands, finding 5 of issue 12), and
the actor is inside the payload. A clinician who could encode for their
region's workflows could send any command, as any actor, to any of them past
everything the API checks (role, consent, the pathway's state, idempotency) and
records. Staff act through the API. A break-glass encode is bound to the one
workflow named (`X-Workflow-Id`), under its region's key, and logged with its
reason like a decode: support staff repairing one workflow from the UI or the CLI.

CORS: the browser calls from the UI's origin (`http://localhost:<ui port>`,
`http://127.0.0.1:<ui port>`); `CodecCors` answers those preflights, without
a token, for `/codec/*` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from google.protobuf import json_format
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from dualpath import workflow_ids
from dualpath.api.access import LEGAL_BASIS
from dualpath.api.auth import Staff
from dualpath.api.deps import CurrentStaff, Res
from dualpath.api.disclosure import REGION_ROLES
from dualpath.api.errors import ApiError
from dualpath.codec import EncryptionCodec, PayloadDecryptionError, PayloadKeyError, label

log = structlog.get_logger("dualpath.access")

router = APIRouter(prefix="/codec", tags=["codec"])

PREFIX = "/codec/"
REASON_HEADER = "x-break-glass-reason"
WORKFLOW_HEADER = "x-workflow-id"
CORS_HEADERS = ["authorization", "content-type", "x-namespace", REASON_HEADER, WORKFLOW_HEADER]
REASON_MAX = 1000
BREAK_GLASS_BASIS = "break-glass: named support staff, stated reason"


class CodecCors:
    """CORS for the Temporal Web UI on `/codec/*` only; every other route stays same-origin."""

    def __init__(self, app: ASGIApp, *, ui_port: int) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=[f"http://localhost:{ui_port}", f"http://127.0.0.1:{ui_port}"],
            allow_methods=["POST"],
            allow_headers=CORS_HEADERS,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _payloads(request: Request) -> Payloads:
    try:
        return json_format.Parse(await request.body(), Payloads())
    except (json_format.ParseError, UnicodeDecodeError) as exc:
        raise ApiError(
            422, "invalid_input", f'expected {{"payloads": [{{"metadata": {{…}}, "data": "<base64>"}}]}}: {exc}'
        ) from None


def _json(payloads) -> Response:
    body = {"payloads": [json_format.MessageToDict(p) for p in payloads]}
    return Response(json.dumps(body), media_type="application/json")


def _codec(res) -> EncryptionCodec:
    return EncryptionCodec.from_settings(res.settings)


@dataclass(frozen=True)
class BreakGlass:
    workflow_id: str
    reason: str


def _header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    if value is None:
        return None
    try:
        # HTTP headers arrive as latin-1; the CLI sends UTF-8 (a Danish reason).
        value = value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return value.strip()


async def _break_glass(request: Request, res, staff: Staff, action: str) -> BreakGlass | None:
    """The break-glass the request asks for, if any: None without its headers; 403 for a subject not
    named in DUALPATH_BREAK_GLASS_SUBJECTS (the attempt is logged), 422 without both headers."""
    reason, workflow_id = _header(request, REASON_HEADER), _header(request, WORKFLOW_HEADER)
    if reason is None and workflow_id is None:
        return None
    if staff.subject not in res.settings.break_glass_subjects:
        await _log(
            res,
            staff,
            action,
            [(_storable(workflow_id, 300), "denied")],
            reason=_storable(reason, REASON_MAX),
            basis=None,
        )
        raise ApiError(
            403,
            "forbidden",
            "break-glass decoding is for named support staff "
            "(DUALPATH_BREAK_GLASS_SUBJECTS); this subject is not one of them",
        )
    problems = []
    if not reason:
        problems.append(f"X-Break-Glass-Reason: say why (at most {REASON_MAX} characters)")
    elif len(reason) > REASON_MAX or not reason.isprintable():
        problems.append(f"X-Break-Glass-Reason: printable text of at most {REASON_MAX} characters")
    if not workflow_id:
        problems.append("X-Workflow-Id: name the one workflow whose payloads you need")
    elif len(workflow_id) > 300 or not workflow_id.isprintable():
        problems.append("X-Workflow-Id: a workflow id (printable, at most 300 characters)")
    if problems:
        raise ApiError(422, "invalid_input", "a break-glass needs a reason and a workflow id: " + "; ".join(problems))
    assert reason and workflow_id
    return BreakGlass(workflow_id=workflow_id, reason=reason)


def _storable(text: str | None, limit: int) -> str | None:
    """Untrusted header text as the access log may keep it."""
    if not text:
        return None
    return text if len(text) <= limit and text.isprintable() else "(unprintable or too long)"


async def _log(
    res, staff: Staff, action: str, objects: list[tuple[str | None, str]], *, reason: str | None, basis: str | None
) -> None:
    """One access_log row per (workflow id or None, outcome)."""
    await res.pool.executemany(
        """INSERT INTO access_log (subject, role, organisation, action, pathway_id, legal_basis, object_kind,
                                   object_id, outcome, reason)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        [
            (
                staff.subject,
                staff.role.value,
                staff.org,
                action,
                workflow_ids.pathway_id_of(wid) if wid else None,
                basis if outcome == "allowed" else None,
                "workflow" if wid else None,
                wid,
                outcome,
                reason,
            )
            for wid, outcome in objects
        ],
    )


def _may_decode(staff: Staff, glass: BreakGlass | None, found) -> bool:
    if glass is not None:
        if found.workflow_id is not None:
            return found.workflow_id == glass.workflow_id
        # Written before payloads named their workflow: its key's region must be the workflow's.
        return found.region == workflow_ids.region_of(glass.workflow_id)
    return staff.role in REGION_ROLES and found.region is not None and found.region == staff.org_code


@router.post("/decode", summary="Decode Temporal payloads (codec server protocol)")
async def decode(request: Request, res: Res, staff: CurrentStaff) -> Response:
    payloads = await _payloads(request)
    namespace = request.headers.get("x-namespace")
    action = "temporal_payloads.decode"
    glass = await _break_glass(request, res, staff, "temporal_payloads.break_glass_decode")
    if glass is not None:
        action = "temporal_payloads.break_glass_decode"
    labels = [label(p) for p in payloads.payloads]
    decide = [found is not None and _may_decode(staff, glass, found) for found in labels]
    # Recorded before anything is decoded: an access that cannot be logged does not happen.
    outcomes: dict[str | None, str] = {}
    for found, yes in zip(labels, decide):
        if found is not None:
            key = found.workflow_id
            outcomes[key] = "allowed" if yes or outcomes.get(key) == "allowed" else "denied"
    if not outcomes:
        outcomes[None] = "denied"
    await _log(
        res,
        staff,
        action,
        list(outcomes.items()),
        reason=glass.reason if glass else None,
        basis=BREAK_GLASS_BASIS if glass else LEGAL_BASIS[staff.role],
    )
    log.info(
        "access",
        action=action,
        subject=staff.subject,
        role=staff.role.value,
        org=staff.org,
        payloads=len(payloads.payloads),
        decoded=sum(decide),
        namespace=namespace,
        workflow_id=glass.workflow_id if glass else None,
    )
    codec = _codec(res)
    out = []
    for payload, found, yes in zip(payloads.payloads, labels, decide):
        if not yes or found is None:
            out.append(payload)  # not the caller's to read: back as it came
            continue
        try:
            out.append(codec.open(payload, found.workflow_id))
        except PayloadDecryptionError as exc:
            raise ApiError(422, "undecryptable_payload", str(exc)) from None
    return _json(out)


@router.post("/encode", summary="Encode Temporal payloads (codec server protocol)")
async def encode(request: Request, res: Res, staff: CurrentStaff) -> Response:
    payloads = await _payloads(request)
    glass = await _break_glass(request, res, staff, "temporal_payloads.break_glass_encode")
    if glass is None:
        raise ApiError(
            403,
            "forbidden",
            "encoding makes a command the worker accepts as genuine: staff act "
            "through the API; only a named break-glass subject may encode, for one "
            "workflow (X-Workflow-Id) with a reason (X-Break-Glass-Reason)",
        )
    await _log(
        res,
        staff,
        "temporal_payloads.break_glass_encode",
        [(glass.workflow_id, "allowed")],
        reason=glass.reason,
        basis=BREAK_GLASS_BASIS,
    )
    log.info(
        "codec encode",
        subject=staff.subject,
        role=staff.role.value,
        org=staff.org,
        payloads=len(payloads.payloads),
        workflow_id=glass.workflow_id,
    )
    codec = _codec(res)
    try:
        return _json([codec.encrypt(p, glass.workflow_id) for p in payloads.payloads])
    except PayloadKeyError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
