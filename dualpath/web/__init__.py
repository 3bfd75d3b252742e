"""The staff pages (personalesider), served by the API's own FastAPI app.

Server-rendered HTML (Jinja2) in Danish with the spec's clinical words; plain
forms that work without JavaScript, made smoother by htmx where it loads
(vendored from the npm package `htmx.org`, static/htmx.min.js). No front-end
build. See `pages` (which gathers the pages and forms: `worklist`,
`pathway_page` with `pathway_forms`, `meeting_forms` and `stay_forms`,
`referral_pages`), `forms` (reading a form, a refusal), `calls` (how they
reach the same route functions as the API), `session` (sign-in, cookie and
CSRF), `render` (templates, dates, headers) and `diagram` (the picture of
the phases).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


def docs(app: FastAPI) -> None:
    """The OpenAPI explorer at /docs (development only): swagger-ui from the npm package `swagger-ui-dist`,
    vendored in static/ (swagger-ui-bundle.js, swagger-ui.css; licence in swagger-ui.LICENSE.txt), so no
    script comes from a CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — docs",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url="/static/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def mount(app: FastAPI) -> None:
    """Add the pages, their static files and their sign-in handling to the app."""
    from dualpath.web import pages, session

    session.install(app)
    app.include_router(session.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
