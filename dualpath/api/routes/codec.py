"""The codec server: the Temporal Web UI (and `temporal --codec-endpoint`) decode payloads here.

Temporal holds only ciphertext (dualpath/codec.py). The UI, configured with
`--ui-codec-endpoint http://<api>/codec`, POSTs `{"payloads": [{"metadata":
{k: base64}, "data": base64}]}` (the protobuf JSON form of
`temporal.api.common.v1.Payloads`) to `/codec/decode` and `/codec/encode`
from the browser, with the user's access token in `Authorization` when it is
set to pass it on, and the namespace in `X-Namespace`.

Only clinicians and ops may decode or encode (403 for everyone else, 401
without a token). Each decode is written to the `access_log` table (who,
role, organisation, action) before anything is returned, and logged with
structlog with the number of payloads — never their content. The UI does not
say which workflow a payload belongs to, so `pathway_id` stays empty here.

CORS: the browser calls from the UI's origin (`http://localhost:<ui port>`,
`http://127.0.0.1:<ui port>`); `CodecCors` answers those preflights, without
a token, for `/codec/*` only.
"""

from __future__ import annotations

import json

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from google.protobuf import json_format
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payloads

from dualpath.api.auth import Role, Staff
from dualpath.api.deps import Res, require
from dualpath.api.errors import ApiError
from dualpath.codec import EncryptionCodec, PayloadDecryptionError

log = structlog.get_logger("dualpath.access")

router = APIRouter(prefix="/codec", tags=["codec"])

PREFIX = "/codec/"
CORS_HEADERS = ["authorization", "content-type", "x-namespace"]


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
        raise ApiError(422, "invalid_input",
                       f'expected {{"payloads": [{{"metadata": {{…}}, "data": "<base64>"}}]}}: {exc}') from None


def _json(payloads) -> Response:
    body = {"payloads": [json_format.MessageToDict(p) for p in payloads]}
    return Response(json.dumps(body), media_type="application/json")


def _codec(res) -> EncryptionCodec:
    return EncryptionCodec.from_settings(res.settings)


@router.post("/decode", summary="Decode Temporal payloads (codec server protocol)")
async def decode(request: Request, res: Res, staff: Staff = require(Role.clinician, Role.ops)) -> Response:
    payloads = await _payloads(request)
    namespace = request.headers.get("x-namespace")
    # Recorded before anything is decoded: an access that cannot be logged does not happen.
    await res.pool.execute(
        "INSERT INTO access_log (subject, role, organisation, action) VALUES ($1, $2, $3, $4)",
        staff.subject, staff.role.value, staff.org, "temporal_payloads.decode",
    )
    log.info("access", action="temporal_payloads.decode", subject=staff.subject, role=staff.role.value,
             org=staff.org, payloads=len(payloads.payloads), namespace=namespace)
    try:
        decoded = await _codec(res).decode(payloads.payloads)
    except PayloadDecryptionError as exc:
        raise ApiError(422, "undecryptable_payload", str(exc)) from None
    return _json(decoded)


@router.post("/encode", summary="Encode Temporal payloads (codec server protocol)")
async def encode(request: Request, res: Res, staff: Staff = require(Role.clinician, Role.ops)) -> Response:
    payloads = await _payloads(request)
    log.info("codec encode", subject=staff.subject, role=staff.role.value, org=staff.org,
             payloads=len(payloads.payloads))
    return _json(await _codec(res).encode(payloads.payloads))
