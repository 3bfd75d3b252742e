"""Signing in to the staff pages without a browser, and reading their forms."""

from __future__ import annotations

import html
import re
from contextlib import asynccontextmanager

import httpx

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
REGION = "region:1082"


@asynccontextmanager
async def signed_in(base: str, role: str, org: str, subject: str = "web-test"):
    """A cookie-carrying client signed in through the development sign-in page."""
    async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30) as c:
        r = await c.post("/sign-in", data={"role": f"{role}|{org}", "subject": subject, "next": "/arbejdsliste"})
        assert r.status_code == 303, r.text
        yield c


async def csrf(c: httpx.AsyncClient, path: str = "/arbejdsliste") -> str:
    r = await c.get(path)
    assert r.status_code == 200, r.text
    return CSRF.search(r.text).group(1)


def text(r: httpx.Response) -> str:
    """The page's text with tags dropped and entities decoded (for plain assertions)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r.text)))
