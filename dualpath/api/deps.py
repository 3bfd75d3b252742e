"""Annotated dependencies: who is calling, and the resources a route needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from temporalio.client import Client

from dualpath.api import access, auth, disclosure, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.errors import ApiError, invalid_token
from dualpath.eventstore import EventStore, ProjectionRunner
from dualpath.settings import Settings


@dataclass
class Resources:
    settings: Settings
    pool: asyncpg.Pool
    store: EventStore
    temporal: Client
    runner: ProjectionRunner


def _resources(request: Request) -> Resources:
    return request.app.state.resources


_bearer = HTTPBearer(auto_error=False, description="`dualpath token --role clinician --org region:1082`")


async def _current_staff(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Staff:
    if credentials is None:
        raise ApiError(
            401,
            "unauthenticated",
            "a bearer token is required (Authorization: Bearer <token>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        staff = auth.verify(_resources(request).settings, credentials.credentials)
    except auth.InvalidToken as exc:
        raise invalid_token(exc) from None
    request.state.staff = staff
    disclosure.current_staff.set(staff)
    route = getattr(request.scope.get("route"), "path", request.url.path)
    access.current_action.set(f"{request.method} {route}")
    # A role held to a list of routes (a general practice) is refused every other one here, the codec
    # server's included, before anything is read or done (api/disclosure.py, ROUTES).
    disclosure.refuse_unreachable(staff, [f"{request.method} {route}"])
    # A municipal read without the patient's consent names its legal basis (api/access.py).
    access.name_basis(staff, request.method, request.query_params.get(access.BASIS_PARAMETER))
    # The caller's Idempotency-Key, bound to this request (api/idempotency.py).
    key = request.headers.get("idempotency-key") if request.method not in ("GET", "HEAD", "OPTIONS") else None
    idempotency.bind(
        f"{staff.org}|{staff.subject}",
        key,
        request.method,
        request.url.path,
        request.url.query,
        await request.body() if key else b"",
        request.headers.get("content-type", ""),
    )
    return staff


CurrentStaff = Annotated[Staff, Depends(_current_staff)]
Res = Annotated[Resources, Depends(_resources)]

# A list's page: at most `limit` rows, from row `offset`.
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def require(*roles: Role):
    """A dependency that lets only `roles` through (403 names the roles allowed)."""

    def _check(staff: CurrentStaff) -> Staff:
        if staff.role not in roles:
            raise ApiError(
                403, "forbidden", f"role {staff.role.value} may not do this", allowed=[r.value for r in roles]
            )
        return staff

    return Depends(_check)
