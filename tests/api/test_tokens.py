"""Tokens over real HTTP: a validly signed token must still say who (a printable subject) and belong
to an organisation of its role's kind; otherwise 401 with the reason, never a 500 or a way in."""

import time

import jwt
import pytest

from dualpath.api.auth import DEV_ISSUER


def _signed(settings, **claims) -> str:
    base = {
        "sub": "staff-1",
        "role": "clinician",
        "org": "region:1082",
        "iss": DEV_ISSUER,
        "aud": settings.oidc_audience,
        "exp": int(time.time()) + 300,
    }
    return jwt.encode({**base, **claims}, settings.jwt_secret, algorithm="HS256")


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"sub": ""}, "subject (sub) is empty"),
        ({"sub": "   "}, "subject (sub) is empty"),
        ({"sub": "a\x00b"}, "control or unprintable"),
        ({"sub": "line\nbreak"}, "control or unprintable"),
        ({"sub": "x" * 500}, "longer than"),
        ({"role": "clinician", "org": "ops:national"}, "role clinician belongs to a region organisation"),
        ({"role": "visitation", "org": "municipality:751"}, "role visitation belongs to a region organisation"),
        ({"role": "municipality", "org": "region:1082"}, "role municipality belongs to a municipality organisation"),
        ({"role": "ops", "org": "region:1082"}, "role ops belongs to a ops organisation"),
    ],
)
async def test_a_signed_token_that_does_not_say_who_or_does_not_fit_is_refused(http, settings, claims, reason):
    token = _signed(settings, **claims)
    async with http.anonymous() as a:
        for method, path, body in (
            ("GET", "/pathways", None),
            ("GET", "/worklist", None),
            ("POST", "/referrals", {"cpr": "0101801234"}),
        ):
            r = await a.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, (path, r.status_code, r.text)
            assert r.json()["error"] == "invalid_token" and reason in r.json()["message"], r.text
            assert r.headers["www-authenticate"].startswith("Bearer")


async def test_a_fitting_token_still_works(http, settings):
    async with http.anonymous() as a:
        r = await a.get("/pathways", headers={"Authorization": f"Bearer {_signed(settings)}"})
    assert r.status_code == 200, r.text


async def test_development_sign_in_with_an_unprintable_name_is_refused_not_a_500(api):
    import httpx

    async with httpx.AsyncClient(base_url=api, timeout=30) as c:
        r = await c.post("/sign-in", data={"role": "clinician|region:1082", "subject": "a\x07b"})
    assert r.status_code == 422 and "set-cookie" not in r.headers
