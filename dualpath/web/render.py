"""Rendering: the Jinja2 environment, Danish dates, and the headers every page carries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from dualpath.api.errors import ApiError
from dualpath.domain import copenhagen, validation
from dualpath.web import labels

log = structlog.get_logger("dualpath.web")
COPENHAGEN = ZoneInfo("Europe/Copenhagen")

MONTHS = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]
WEEKDAYS = ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"]

# Pages may hold clinical content: never cached, never framed, scripts and
# styles only from this server.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def danish_date(d: date | datetime | None, weekday: bool = False) -> str:
    if d is None:
        return "–"
    if isinstance(d, datetime):
        d = copenhagen.local_date(d)
    text = f"{d.day}. {MONTHS[d.month - 1]} {d.year}"
    return f"{WEEKDAYS[d.weekday()]} {text}" if weekday else text


def short_date(d: date | datetime | None) -> str:
    if d is None:
        return "–"
    if isinstance(d, datetime):
        d = copenhagen.local_date(d)
    return f"{d.day:02d}.{d.month:02d}.{d.year}"


def danish_datetime(t: datetime | None) -> str:
    if t is None:
        return "–"
    local = t.astimezone(COPENHAGEN)
    return f"{danish_date(local.date())} kl. {local:%H:%M}"


def days_until(d: date) -> int:
    return (d - copenhagen.today()).days


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dualpath.web", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        dato=danish_date,
        kort_dato=short_date,
        tidspunkt=danish_datetime,
        ugedag_dato=lambda d: danish_date(d, weekday=True),
        dage=days_until,
    )
    env.globals.update(L=labels, today=copenhagen.today, new_key=lambda: uuid.uuid4().hex)
    return env


def page(
    request: Request, template: str, *, status: int = 200, canonical: str | None = None, **context: Any
) -> HTMLResponse:
    """A whole page. `canonical` is the address the page belongs at: after a boosted
    (htmx) form post, the browser's address bar shows it instead of the action's."""
    staff = getattr(request.state, "staff", None)
    context.setdefault("forms", {})
    context.setdefault("refusals", {})
    context.setdefault("notice", None)
    html = (
        environment()
        .get_template(template)
        .render(request=request, staff=staff, csrf=getattr(request.state, "csrf", ""), **context)
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if request.headers.get("hx-request"):
        if canonical is None and request.method == "GET":
            canonical = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response.headers["HX-Push-Url"] = canonical or "false"
    return response


def not_found(request: Request, what: str = "forløb") -> HTMLResponse:
    """The one answer for an object that does not exist and for one the staff member may not see."""
    return page(
        request,
        "error.html",
        status=404,
        title="Ikke fundet",
        message=f"Der er intet {what} med det id, som du har adgang til.",
    )


class AnsweredByTheApp(Exception):
    """An exception with its own answer, given by a handler on the app (a redirect to sign-in, a refused
    form: see session.install); a page route lets it through rather than drawing an error page."""


class PageRoute(APIRoute):
    """A page route: an unexpected error answers with a Danish HTML page (and is logged),
    not the API's JSON body. Sign-in redirects and refused forms pass through to their
    handlers (see session.install). An id in the address that is not one the engine makes
    (`…_id`: a UUID, domain/validation.py) is not found, before anything looks it up."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            if any(
                name.endswith("_id") and validation.id_problem(value) for name, value in request.path_params.items()
            ):
                return page(
                    request,
                    "error.html",
                    status=404,
                    title="Ikke fundet",
                    message="Der er intet med det id, som du har adgang til.",
                )
            try:
                return await handler(request)
            except (AnsweredByTheApp, HTTPException):
                raise
            except ApiError as exc:
                # Refused before the page could draw its form again (e.g. a form's malformed key).
                return page(
                    request, "error.html", status=exc.status, title="Formularen blev afvist", message=exc.body.message
                )
            except Exception:
                log.exception("page failed", path=request.url.path)
                return page(
                    request,
                    "error.html",
                    status=500,
                    title="Noget gik galt",
                    message="Siden kunne ikke vises på grund af en fejl hos os; den er logget. Prøv igen om lidt.",
                )

        return run
