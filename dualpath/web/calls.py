"""How a page reaches the engine: by calling the API's own route functions.

Why call the route functions directly (rather than the JSON API over HTTP with
the user's token): the page handler runs in the same process as the API, so a
direct call goes through exactly the same code — the route's visibility check
(`visible_pathway`, written to the access log), its role check, its body model
and validators, `commands.update` (the workflow's validator and the engine's
refusals as `ApiError`) and the read-model queries — without a second HTTP hop,
a second authentication, or re-parsing JSON into models the pages then render.
Nothing is restated here: a rule changed in a route changes the page.

The one thing a direct call would skip is a role check FastAPI runs *before*
the function, declared as a default (`staff: Staff = require(Role.clinician)`).
`call` runs that declared dependency itself with the caller, so a role that
the API refuses is refused here with the same 403 and the same words; and
`permitted` asks the same dependency, so the pages offer a form only to roles
the API would let through.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import params

from dualpath.api.auth import Staff
from dualpath.api.deps import Resources
from dualpath.api.errors import ApiError


def _declared_checks(route: Callable[..., Any]) -> dict[str, Callable[[Staff], Any]]:
    """The role checks FastAPI runs before the route (`staff: Staff = require(...)`), by parameter name."""
    return {
        name: param.default.dependency
        for name, param in inspect.signature(route).parameters.items()
        if isinstance(param.default, params.Depends) and param.default.dependency is not None
    }


async def call(route: Callable[..., Awaitable[Any]], staff: Staff, res: Resources, **kwargs: Any) -> Any:
    """Call an API route function as the given staff member; raises the route's `ApiError`s."""
    checks = _declared_checks(route)
    for name in inspect.signature(route).parameters:
        if name in kwargs:
            continue
        if name in checks:
            # e.g. `staff: Staff = require(Role.clinician)`: the route's own role check.
            kwargs[name] = checks[name](staff)
        elif name == "staff":
            kwargs[name] = staff
        elif name == "res":
            kwargs[name] = res
    return await route(**kwargs)


def permitted(route: Callable[..., Any], staff: Staff) -> bool:
    """Whether the route's declared role check lets this staff member through."""
    return all(passes(check, staff) for check in _declared_checks(route).values())


def passes(check: Callable[[Staff], Any], staff: Staff) -> bool:
    """Whether a route's in-body role check (e.g. meetings' `_clinician`) lets this staff member through."""
    try:
        check(staff)
    except ApiError as exc:
        if exc.status == 403:
            return False
        raise
    return True
