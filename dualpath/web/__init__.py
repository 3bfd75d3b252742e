"""The staff pages (personalesider), served by the API's own FastAPI app.

Server-rendered HTML (Jinja2) in Danish with the spec's clinical words; plain
forms that work without JavaScript, made smoother by htmx where it loads
(vendored from the npm package `htmx.org`, static/htmx.min.js). No front-end
build. See `pages` (the pages and forms), `calls` (how they reach the same
route functions as the API), `session` (sign-in, cookie and CSRF) and
`diagram` (the picture of the phases).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def mount(app: FastAPI) -> None:
    """Add the pages, their static files and their sign-in handling to the app."""
    from dualpath.web import pages, session

    session.install(app)
    app.include_router(session.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
