"""Idempotency-Key: one namespace for every command, bound to the request it first named.

A caller (organisation and subject) sends `Idempotency-Key: <key>` with a
command; the staff pages send the form's hidden `idem` field the same way.
The key names *one* request: its method, path and body.

- The first request with a key writes the binding — (caller, key) → a hash
  of the method, path, query and body — to PostgreSQL (`idempotency_keys`)
  before its command is sent, so the binding survives an API restart.
- A repeat with the same request gets the first outcome: the ids that make a
  command single in Temporal (an update's id, a started workflow's id) follow
  from the key (`derived_id`), and Temporal answers a repeated id with the
  first outcome instead of applying it again.
- The same key with another request is refused with 422 (`claim`): silently
  returning the first outcome would hide that the second command (another
  patient's referral, a medication stop) never happened.

Everything that sends a command goes through here: `commands.run` (and
`commands.update` under it) for updates, `commands.start` for a new process,
whose id the route derives from the key (referrals, transitions, campaigns,
meetings).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

import asyncpg
from fastapi import Header

from dualpath.api.errors import ApiError

NAMESPACE = uuid.UUID("0b7a3f7e-2a55-4f0e-9d0c-6a0f6c1d2e11")
KEY_MAX = 200
_KEY_FORM = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces (as the IETF draft's examples)

# The header as a route that starts a process declares it (for the API's description: `bind` reads it).
Key = Annotated[
    str | None,
    Header(
        max_length=KEY_MAX,
        description="Send the same key again (a retry after a timeout) to get the first answer; nothing is done twice",
    ),
]


@dataclass
class Binding:
    caller: str  # "region:1082|subject"
    key: str
    route: str  # "POST /pathways/…/consents": said back when a key is reused elsewhere
    fingerprint: str  # sha256 of method, path, query and body
    claimed: bool = False


# The current request's binding (None: no key sent, or not a command).
current: ContextVar[Binding | None] = ContextVar("idempotency_binding", default=None)


def _canonical(body: bytes, content_type: str) -> bytes:
    """JSON compared by meaning (key order and spacing do not matter); anything else byte for byte."""
    if body and "json" in content_type.lower():
        try:
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
        except (ValueError, RecursionError):
            pass
    return body


def check_key(key: str) -> str:
    if not _KEY_FORM.match(key):
        raise ApiError(
            422,
            "invalid_input",
            f"Idempotency-Key: 1 to {KEY_MAX} printable ASCII characters without spaces (a UUID is a good key)",
        )
    return key


def bind(
    caller: str, key: str | None, method: str, path: str, query: str, body: bytes, content_type: str = ""
) -> Binding | None:
    """Make `key` the current request's binding (None without a key)."""
    if not key:
        current.set(None)
        return None
    check_key(key)
    digest = hashlib.sha256()
    for part in (
        method.upper().encode(),
        path.encode(),
        urlencode(sorted(parse_qsl(query))).encode(),
        _canonical(body, content_type),
    ):
        digest.update(len(part).to_bytes(8, "big") + part)
    binding = Binding(caller=caller, key=key, route=f"{method.upper()} {path}", fingerprint=digest.hexdigest())
    current.set(binding)
    return binding


def bind_form(staff, path: str, pairs: list[tuple[str, str]]):
    """A staff page's form: its `idem` field is the key, the form (less its CSRF token) the body.
    Returns the token to reset the binding with (`current.reset`)."""
    key = next((v for k, v in reversed(pairs) if k == "idem"), "").strip()
    body = urlencode([(k, v) for k, v in pairs if k != "csrf"]).encode()
    token = current.set(None)
    if key:
        bind(f"{staff.org}|{staff.subject}", key, "POST", path, "", body)
    return token


def derived_id(purpose: str) -> str | None:
    """An id that follows from the current key (None without one): the same key and purpose, the same id.
    `purpose` names what the id is for, e.g. "referral" or "update|pathway-…|move_phase"."""
    binding = current.get()
    if binding is None:
        return None
    return str(uuid.uuid5(NAMESPACE, f"{binding.caller}|{binding.key}|{purpose}"))


async def claim(pool: asyncpg.Pool) -> None:
    """Bind the current key to its request before the command is sent; 422 if it is bound to another."""
    binding = current.get()
    if binding is None or binding.claimed:
        return
    inserted = await pool.fetchval(
        """INSERT INTO idempotency_keys (caller, key, fingerprint, route) VALUES ($1, $2, $3, $4)
           ON CONFLICT (caller, key) DO NOTHING RETURNING true""",
        binding.caller,
        binding.key,
        binding.fingerprint,
        binding.route,
    )
    if not inserted:
        # A second statement: it sees a row a concurrent first request has just committed.
        row = await pool.fetchrow(
            "SELECT fingerprint, route FROM idempotency_keys WHERE caller = $1 AND key = $2",
            binding.caller,
            binding.key,
        )
        if row is not None and row["fingerprint"] != binding.fingerprint:
            where = "with a different body" if row["route"] == binding.route else f"for {row['route']}"
            raise ApiError(
                422,
                "idempotency_key_reused",
                f"this Idempotency-Key was already used {where}: a key names one request, and a repeat must be "
                "that request unchanged (it then gets the first outcome). Nothing was done: send this request "
                "with a new Idempotency-Key",
            )
    binding.claimed = True
