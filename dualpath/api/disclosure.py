"""The disclosure policy: what each role may read of an answer, applied in one place.

Visibility (api/access.py) decides whether a caller may see an object at all;
this decides which of its fields and rows they read:

| role                        | reads                                                           |
|-----------------------------|-----------------------------------------------------------------|
| clinician, visitation       | everything of their own region's objects                        |
| municipality (with consent, | process state, SHARED fields, their own organisation's rows     |
| or on a named legal basis)  | (and those rows' OWNER fields); no region-side free text        |
| ops                         | process state only: no marked field, whatever its audience      |
| gp (a general practice)     | only the routes in `ROUTES` (refer; its own referrals' answers, |
|                             | with their REFERRER fields); every other route is refused (403) |

Fields are marked in the models themselves (domain/disclosure.py), so a new
answer that reuses a row carries its marks with it. Every route of the API is
registered through `Router`, which passes each answer through `disclose` with
the caller; the staff pages call those same route functions
(web/calls.py), so they read exactly what the API answers. A route whose caller
cannot be found fails closed rather than answer undisclosed.

A role may also be held to a list of routes (`ROUTES`): every other route, a new one
included, is refused to it with 403 before anything is read or done — at the API
(the authentication dependency, api/deps.py, so the codec server too) and at the pages
(`disclosed`, which the page handlers call).
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, routing
from fastapi.routing import APIRoute
from pydantic import BaseModel

from dualpath.api.auth import Role, Staff
from dualpath.api.errors import ApiError
from dualpath.domain.disclosure import Audience, Disclosure

# Set by the authentication dependency (api/deps.py) for routes that take no `staff` argument.
current_staff: ContextVar[Staff | None] = ContextVar("current_staff", default=None)

REGION_ROLES = (Role.clinician, Role.visitation)

# The audiences each role reads. OWNER fields are read by region staff, and by whoever
# belongs to the organisation the row names (see `_may_read`).
READS: dict[Role, frozenset[Audience]] = {
    Role.clinician: frozenset(Audience),
    Role.visitation: frozenset(Audience),
    Role.municipality: frozenset({Audience.shared}),
    Role.ops: frozenset(),
    # A general practice reads process state, and the REFERRER fields of the referrals it sent.
    Role.gp: frozenset(),
}

# The routes ("METHOD /template") a role may reach, for the roles held to a list; a role not named
# here reaches every route (and each route's own checks decide). A general practitioner refers and
# reads the answers to the referrals its practice sent: no pathway, worklist, list, report or codec.
ROUTES: dict[Role, frozenset[str]] = {
    Role.gp: frozenset({"POST /referrals", "GET /referrals/sent", "GET /referrals/{referral_id}/answer"})
}

# Roles that read only the rows their own organisation owns, where a row names its owner.
OWN_ROWS_ONLY = (Role.municipality, Role.gp)


def reaches(staff: Staff, routes: typing.Iterable[str]) -> bool:
    """Whether `staff` may reach a route known by `routes` (its "METHOD /template" keys)."""
    allowed = ROUTES.get(staff.role)
    return allowed is None or any(r in allowed for r in routes)


def refuse_unreachable(staff: Staff, routes: typing.Iterable[str]) -> None:
    """403, naming what the role may do, for a route outside the role's list (`ROUTES`)."""
    if not reaches(staff, routes):
        raise ApiError(
            403,
            "forbidden",
            f"role {staff.role.value} may not do this: it reaches only {', '.join(sorted(ROUTES[staff.role]))}",
            allowed=sorted(ROUTES[staff.role]),
        )


def disclose(value: Any, staff: Staff) -> Any:
    """`value` as `staff` may read it: marked fields they may not read withheld, rows not theirs left out."""
    if READS[staff.role] == frozenset(Audience):
        return value
    return _walk(value, staff)


def _walk(value: Any, staff: Staff) -> Any:
    if isinstance(value, BaseModel):
        return _model(value, staff)
    if isinstance(value, list):
        return [_walk(v, staff) for v in value if _keeps_row(v, staff)]
    if isinstance(value, tuple):
        return tuple(_walk(v, staff) for v in value if _keeps_row(v, staff))
    if isinstance(value, dict):
        return {k: _walk(v, staff) for k, v in value.items()}
    return value


def _keeps_row(row: Any, staff: Staff) -> bool:
    owner = getattr(type(row), "disclosure_owner", None)
    if owner is None or staff.role not in OWN_ROWS_ONLY:
        return True
    return getattr(row, owner) == staff.org


def _model(model: BaseModel, staff: Staff) -> BaseModel:
    updates: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        current = getattr(model, name)
        mark = next((m for m in info.metadata if isinstance(m, Disclosure)), None)
        if mark is None:
            new = _walk(current, staff)
        elif not _may_read(mark, staff, model):
            new = withheld(info.annotation, current)
        elif mark.clinical_keys and isinstance(current, dict) and staff.role not in REGION_ROLES:
            new = {k: v for k, v in current.items() if k not in mark.clinical_keys}
        else:
            new = _walk(current, staff)
        if new is not current:
            updates[name] = new
    return model.model_copy(update=updates) if updates else model


def _may_read(mark: Disclosure, staff: Staff, model: BaseModel) -> bool:
    if mark.audience in READS[staff.role]:
        return True
    if mark.audience == Audience.referrer:
        return getattr(model, mark.owner_field, None) == staff.org
    return (
        mark.audience == Audience.owner
        and staff.role == Role.municipality
        and getattr(model, mark.owner_field, None) == staff.org
    )


def withheld(annotation: Any, current: Any) -> Any:
    """What a withheld field reads as: None where the field allows it, else an empty container."""
    if type(None) in typing.get_args(annotation):
        return None
    if isinstance(current, list):
        return []
    if isinstance(current, dict):
        return {}
    raise TypeError(f"a disclosure-marked field must allow None or be a list or dict, not {annotation!r}")


def _caller(args: tuple, kwargs: dict) -> Staff:
    for value in (*kwargs.values(), *args):
        if isinstance(value, Staff):
            return value
    staff = current_staff.get()
    if staff is None:
        raise RuntimeError("an answer with no known caller cannot be disclosed")
    return staff


def disclosed(route: Callable[..., Any], routes: frozenset[str] = frozenset()) -> Callable[..., Any]:
    """The route, answering through `disclose`. Its signature (dependencies, body) is the route's own.
    `routes` are its "METHOD /template" keys: a caller held to a list of routes it is not on is
    refused before the route runs (the pages call these functions directly)."""

    @functools.wraps(route)
    async def answer(*args: Any, **kwargs: Any) -> Any:
        staff = _caller(args, kwargs)
        refuse_unreachable(staff, routes)
        result = await route(*args, **kwargs)
        return disclose(result, staff)

    # Resolved now, so that FastAPI and web/calls.py read real types, not the strings of
    # `from __future__ import annotations` (whose module globals are the route's, not ours).
    answer.__signature__ = inspect.signature(route, eval_str=True)  # type: ignore[attr-defined]
    return answer


class Router(APIRouter):
    """An APIRouter whose every route answers through the disclosure policy.

    The decorated module-level function is the disclosed one, so the staff pages,
    which call route functions directly, get the same answers as the API.
    """

    # The same keywords as APIRouter's, passed through whole.
    def api_route(  # type: ignore[override]
        self, path: str, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().api_route(path, **kwargs)
        keys = frozenset(f"{method.upper()} {self.prefix}{path}" for method in kwargs.get("methods") or ["GET"])

        def decorator(route: Callable[..., Any]) -> Callable[..., Any]:
            answer = disclosed(route, keys)
            register(answer)
            return answer

        return decorator


def api_routes(app: Any) -> list[APIRoute]:
    """Every route of the app's API (the staff pages and FastAPI's own documents left out)."""
    found = []
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            found.append(route)
    return found


def answers_through_policy(route: APIRoute) -> bool:
    return getattr(route.endpoint, "__wrapped__", None) is not None
