"""Signing in to the staff pages: the same tokens and roles as the API, kept in a cookie.

- The cookie holds the very bearer token the API takes (a `dualpath token` in
  development; the OIDC provider's token in production) and is checked with
  the same `auth.verify`. It is HttpOnly, SameSite=Strict, Path=/ (Secure over
  https and in production) and is accepted by the HTML pages only: the JSON API
  keeps asking for `Authorization: Bearer` and ignores the cookie.
- CSRF: SameSite=Strict keeps other sites' requests from carrying the cookie;
  on top of that every form carries a per-session token (an HMAC of the
  session's token under the server secret, so nothing is stored and it changes
  with each sign-in), and a POST whose Origin is another site is refused.
- Development (`settings.environment == "development"`): `/sign-in` lists the
  roles of `dualpath token` to pick; picking one issues a development token
  into the cookie. Production: no development sign-in; the page says that
  sign-in goes through the OIDC provider. FOLLOW-UP (not testable here): the
  OIDC authorisation-code redirect flow (`/sign-in/oidc` → provider →
  `/sign-in/callback`, which puts the provider's access token in this cookie).
- Sign-out ends the session server-side at once: the token's hash goes into
  `revoked_sessions` (until the token's own expiry), and the pages refuse it
  from then on, even from a copy of the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

import jwt
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from dualpath.api import access, auth, idempotency
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import Res, Resources
from dualpath.settings import Settings
from dualpath.web.render import AnsweredByTheApp, PageRoute, page

COOKIE = "dualpath_session"
TOKEN_TTL_SECONDS = 12 * 3600
MAX_FORM_BYTES = 64 * 1024

# The development roles to pick from (the README's `dualpath token` examples).
DEV_ROLES: list[tuple[Role, str]] = [
    (Role.clinician, "region:1082"),
    (Role.visitation, "region:1082"),
    (Role.municipality, "municipality:751"),
    (Role.ops, "ops:national"),
    (Role.gp, "practice:123456"),
]

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# The pages a role may open, for a role held to a list of routes in the API too (api/disclosure.py, ROUTES):
# a general practice refers and reads its own referrals' answers. Every other page refuses it politely.
PAGES: dict[Role, frozenset[str]] = {
    Role.gp: frozenset({"GET /henvisning", "POST /henvisning", "GET /mine-henvisninger", "POST /sign-out"})
}


class SignInRequired(AnsweredByTheApp):
    """No valid session: the page answers with a redirect to /sign-in (see `install`)."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        self.next_path, self.expired = next_path, expired


class PageRefused(AnsweredByTheApp):
    """A page outside the signed-in role's pages (`PAGES`): 403, in Danish, with where to go instead."""

    def __init__(self, message: str) -> None:
        self.message = message


class FormRefused(AnsweredByTheApp):
    """A POST without a valid CSRF token, from another origin, or too large."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message = status, message


def csrf_token(settings: Settings, token: str) -> str:
    return hmac.new(settings.jwt_secret.encode(), b"csrf|" + token.encode(), hashlib.sha256).hexdigest()[:40]


def _safe_next(path: str | None) -> str:
    # Only a local path: never an open redirect to another site.
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/arbejdsliste"
    return path


async def page_staff(request: Request, res: Res) -> Staff:
    """Who is looking at a page: the session cookie's token, verified like a bearer token."""
    token = request.cookies.get(COOKIE)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise SignInRequired(target if request.method == "GET" else "/arbejdsliste")
    try:
        staff = auth.verify(res.settings, token)
    except auth.InvalidToken:
        raise SignInRequired(target if request.method == "GET" else "/arbejdsliste", expired=True) from None
    if await res.pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM revoked_sessions WHERE token_sha256 = $1)", _token_hash(token)
    ):
        # Signed out: the session ended then, whoever still holds its cookie.
        raise SignInRequired(target if request.method == "GET" else "/arbejdsliste", expired=True)
    request.state.staff = staff
    request.state.csrf = csrf_token(res.settings, token)
    route = getattr(request.scope.get("route"), "path", request.url.path)
    access.current_action.set(f"{request.method} {route}")
    if staff.role in PAGES and f"{request.method} {route}" not in PAGES[staff.role]:
        raise PageRefused(
            "Som praktiserende læge kan du henvise til integreret dobbeltdiagnosebehandling og se svarene på "
            "din praksis' egne henvisninger: om de er accepteret eller afvist (med begrundelsen), og hvornår "
            "behandlingen startede. Forløb, arbejdslister og andre oplysninger er forbeholdt personalet i "
            "regionen og kommunen."
        )
    access.name_basis(staff, request.method, request.query_params.get(access.BASIS_PARAMETER))
    idempotency.current.set(None)  # a form binds its own key (idempotency.bind_form)
    return staff


# A page's signed-in staff member (a parameter: `staff: PageStaff`).
PageStaff = Annotated[Staff, Depends(page_staff)]


@dataclass
class Form:
    """A submitted form (application/x-www-form-urlencoded), CSRF already checked."""

    pairs: list[tuple[str, str]]

    def get(self, name: str, default: str = "") -> str:
        for k, v in reversed(self.pairs):
            if k == name:
                return v
        return default

    def optional(self, name: str) -> str | None:
        v = self.get(name).strip()
        return v or None

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self.pairs if k not in ("csrf",)}


def _from_another_site(request: Request) -> bool:
    """Whether a POST says it comes from another site (its Origin, or the browser's Sec-Fetch-Site)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        return True
    return request.headers.get("sec-fetch-site") == "cross-site"


async def read_form(request: Request) -> Form:
    """The posted form, after the CSRF checks. Parsed here (urlencoded only) rather than
    with python-multipart: the pages post nothing else."""
    if _from_another_site(request):
        raise FormRefused(403, "Formularen kom fra en anden side og blev afvist.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormRefused(413, "Formularen er for stor.")
    pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = Form(pairs)
    expected = getattr(request.state, "csrf", None)
    # As bytes: compare_digest refuses str with non-ASCII characters (a tampered form is 403, not a 500).
    if expected is None or not hmac.compare_digest(form.get("csrf").encode(), expected.encode()):
        raise FormRefused(
            403, "Formularen er udløbet eller ugyldig (sikkerhedsnøglen passer ikke). Genindlæs siden og prøv igen."
        )
    return form


def _set_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=TOKEN_TTL_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or settings.environment == "production",
    )


@router.get("/sign-in")
async def sign_in_page(request: Request, res: Res) -> Response:
    next_path = _safe_next(request.query_params.get("next"))
    return page(
        request,
        "sign_in.html",
        title="Log ind",
        dev=res.settings.environment == "development",
        roles=DEV_ROLES,
        next_path=next_path,
        expired=request.query_params.get("udloebet") == "1",
        signed_out=request.query_params.get("logget_ud") == "1",
        issuer=res.settings.oidc_issuer,
    )


@router.post("/sign-in")
async def sign_in(request: Request, res: Res) -> Response:
    if res.settings.environment != "development":
        return page(
            request,
            "error.html",
            status=404,
            title="Ikke tilgængelig",
            message="Udviklings-login findes ikke i produktion: log ind via organisationens login (OIDC).",
        )
    if _from_another_site(request):
        return page(request, "error.html", status=403, title="Afvist", message="Log ind skal ske fra denne side.")
    body = await request.body()
    form = Form(parse_qsl(body[:MAX_FORM_BYTES].decode("utf-8", errors="replace"), keep_blank_values=True))
    choice = form.get("role")
    picked = next(((r, o) for r, o in DEV_ROLES if f"{r.value}|{o}" == choice), None)
    if picked is None:
        return _pick_again(request, form, "Vælg en af rollerne.")
    role, org = picked
    subject = (form.get("subject").strip() or f"dev-{role.value}")[:100]
    try:
        token = auth.issue_dev_token(res.settings, role=role, org=org, subject=subject, ttl_seconds=TOKEN_TTL_SECONDS)
    except ValueError:  # the name typed is not printable text
        return _pick_again(request, form, "Navnet må kun indeholde synlige tegn.")
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    _set_cookie(response, request, res.settings, token)
    return response


def _pick_again(request: Request, form: Form, error: str) -> Response:
    """The development sign-in once more (422), saying what was wrong with the choice."""
    next_path = _safe_next(form.get("next"))
    return page(
        request,
        "sign_in.html",
        status=422,
        title="Log ind",
        dev=True,
        roles=DEV_ROLES,
        next_path=next_path,
        error=error,
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _revoke(res: Resources, token: str) -> None:
    """End the session server-side: its token is refused by the pages until it would have expired."""
    try:
        exp = int(jwt.decode(token, options={"verify_signature": False})["exp"])
        expires = datetime.fromtimestamp(exp, UTC)
    except (jwt.PyJWTError, KeyError, TypeError, ValueError, OverflowError, OSError):
        expires = datetime.now(UTC) + timedelta(seconds=TOKEN_TTL_SECONDS)
    async with res.pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM revoked_sessions WHERE expires_at < now()")
        await conn.execute(
            """INSERT INTO revoked_sessions (token_sha256, expires_at) VALUES ($1, $2)
                              ON CONFLICT (token_sha256) DO NOTHING""",
            _token_hash(token),
            expires,
        )


@router.post("/sign-out")
async def sign_out(request: Request, staff: PageStaff, res: Res) -> Response:
    await read_form(request)
    await _revoke(res, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/sign-in?logget_ud=1", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


def install(app: FastAPI) -> None:
    """Page-only answers for the two exceptions above (the API keeps its JSON errors)."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        from urllib.parse import urlencode

        query = {"next": _safe_next(exc.next_path)}
        if exc.expired:
            query["udloebet"] = "1"
        response = RedirectResponse(f"/sign-in?{urlencode(query)}", status_code=303)
        if exc.expired:
            response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @app.exception_handler(PageRefused)
    async def _page_refused(request: Request, exc: PageRefused) -> Response:
        if request.method == "GET" and request.url.path == "/arbejdsliste":
            # Where sign-in leads: a general practice's own start page is its referrals' answers.
            return RedirectResponse("/mine-henvisninger", status_code=303)
        return page(request, "error.html", status=403, title="Ikke adgang for praktiserende læger", message=exc.message)

    @app.exception_handler(FormRefused)
    async def _refused(request: Request, exc: FormRefused) -> Response:
        return page(request, "error.html", status=exc.status, title="Formularen blev afvist", message=exc.message)
