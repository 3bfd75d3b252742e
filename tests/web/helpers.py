"""Signing in to the staff pages without a browser, and reading their forms."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.api.helpers import accepted_pathway

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
REGION = "region:1082"


@asynccontextmanager
async def signed_in(base: str, role: str, org: str, subject: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-carrying client signed in through the development sign-in page; by default as a subject of its
    own, so that the forms' idempotency keys ("m1", "d1", …) of one test never meet another's."""
    subject = subject or f"web-test-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30) as c:
        r = await c.post("/sign-in", data={"role": f"{role}|{org}", "subject": subject, "next": "/arbejdsliste"})
        assert r.status_code == 303, r.text
        yield c


async def csrf(c: httpx.AsyncClient, path: str = "/arbejdsliste") -> str:
    r = await c.get(path)
    assert r.status_code == 200, r.text
    found = CSRF.search(r.text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def text(r: httpx.Response) -> str:
    """The page's text with tags dropped and entities decoded (for plain assertions)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text)))


async def shared_and_private(http: Any) -> tuple[str, str]:
    """Two accepted pathways of Aarhus (751) residents: the first shared with Aarhus by a dialogue consent."""
    shared = await accepted_pathway(http)
    private = await accepted_pathway(http)
    async with http.as_("clinician", REGION) as c:
        r = await c.post(
            f"/pathways/{shared}/consents",
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "written"},
        )
        assert r.is_success, r.text
    return shared, private
