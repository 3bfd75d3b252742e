"""Request bodies over real HTTP: limited in size, refused before they are read when the sender is not
authenticated, and counted while they stream in when no length is declared."""

import asyncio
from urllib.parse import urlsplit

import pytest

REGION = "region:1082"
# Generous: the answers asserted come at once; a server that waits for the body never answers.
CEILING = 30


async def _head_only(base: str, head: str) -> tuple[int, str]:
    """Send only a request's head (a body is promised but never sent) and read the answer."""
    url = urlsplit(base)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), CEILING)
        rest = await asyncio.wait_for(reader.read(65536), CEILING)
        return int(status_line.split()[1]), rest.decode(errors="replace")
    finally:
        writer.close()


def _token(http, role="clinician", org=REGION):
    from dualpath.api.auth import Role, issue_dev_token

    return issue_dev_token(http.settings, role=Role(role), org=org, subject="limits")


async def test_an_unauthenticated_body_is_refused_before_it_is_read(http, api):
    status, answer = await _head_only(
        api, "POST /referrals HTTP/1.1\nHost: test\ncontent-type: application/json\ncontent-length: 1000\n"
    )
    assert status == 401 and "bearer token is required" in answer
    status, answer = await _head_only(
        api,
        "POST /referrals HTTP/1.1\nHost: test\ncontent-type: application/json\n"
        "authorization: Bearer forged.token.here\ncontent-length: 1000\n",
    )
    assert status == 401 and "invalid_token" in answer


async def test_a_declared_body_over_the_limit_is_413_at_once(http, api, settings):
    big = 200 * 1024 * 1024
    for auth in ("", f"authorization: Bearer {_token(http)}\n"):
        status, answer = await _head_only(
            api, f"POST /referrals HTTP/1.1\nHost: test\n{auth}content-type: application/json\ncontent-length: {big}\n"
        )
        assert status == 413 and str(settings.max_request_bytes) in answer, answer


async def test_a_streamed_body_is_counted_and_refused_past_the_limit(http, api, settings):
    """A chunked body declares no length: it is counted as it comes, and refused once past the limit."""
    url = urlsplit(api)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(
            f"POST /referrals HTTP/1.1\r\nHost: test\r\nauthorization: Bearer {_token(http)}\r\n"
            "content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".encode()
        )
        chunk = b" " * 65536
        try:
            for _ in range(settings.max_request_bytes // len(chunk) + 8):
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
        except ConnectionError:
            pass  # the server answered and closed before the rest was sent
        status_line = await asyncio.wait_for(reader.readline(), CEILING)
        rest = (await asyncio.wait_for(reader.read(65536), CEILING)).decode(errors="replace")
    finally:
        writer.close()
    assert int(status_line.split()[1]) == 413, (status_line, rest)
    assert "too_large" in rest and str(settings.max_request_bytes) in rest
    async with http.as_("clinician", REGION) as c:
        # A body within the limit still goes through (here to the model's own refusal).
        ok = await c.post("/referrals", content=b"{}", headers={"content-type": "application/json"})
        assert ok.status_code == 422


@pytest.mark.parametrize("path", ["/pathways", "/worklist", "/healthz"])
async def test_answers_are_not_kept_in_caches(http, path):
    async with http.as_("clinician", REGION) as c:
        r = await c.get(path)
    assert r.headers["cache-control"] == "no-store"


async def test_error_answers_and_pages_are_not_kept_either(http):
    async with http.anonymous() as a:
        assert (await a.get("/pathways")).headers["cache-control"] == "no-store"
        assert (await a.get("/sign-in")).headers["cache-control"] == "no-store"
