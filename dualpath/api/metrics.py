"""Prometheus metrics for the staff API: requests, latency and errors per route.

Labelled by the route's template (`/pathways/{pathway_id}`), never the concrete
path, and by a known method, so no pathway id ends up in a metric and the series stay few.
Read with the scrape token (`DUALPATH_METRICS_TOKEN`) or an ops token.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from dualpath.api import auth
from dualpath.api.errors import ApiError, invalid_token

REGISTRY = CollectorRegistry()
REQUESTS = Counter("dualpath_api_requests_total", "Requests answered", ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "dualpath_api_request_seconds",
    "Time to answer a request",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter("dualpath_api_errors_total", "Requests answered with a 5xx", ["method", "route"], registry=REGISTRY)


# The method label takes these values only (anything else is "OTHER"), so a client cannot make new series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: Request) -> str:
    """The matched route's template ("/pathways/{pathway_id}"), or "unmatched": never the concrete path."""
    return getattr(request.scope.get("route"), "path", "unmatched")


def observe(request: Request, status: int, seconds: float) -> None:
    route = route_of(request)
    method = request.method if request.method in METHODS else "OTHER"
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    if status >= 500:
        ERRORS.labels(method, route).inc()


router = APIRouter(tags=["health"])


def _may_scrape(settings, authorization: str) -> None:
    """Prometheus scrapes with the scrape token (`DUALPATH_METRICS_TOKEN`, a bearer token of its own that
    does not expire, as a scraper needs); staff with an ops token may look too. Everyone else: 401/403."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "unauthenticated",
            "the metrics need a bearer token: the scrape token (DUALPATH_METRICS_TOKEN) or an ops token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if settings.metrics_token and hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
        return
    try:
        staff = auth.verify(settings, token)
    except auth.InvalidToken as exc:
        raise invalid_token(exc) from None
    if staff.role != auth.Role.ops:
        raise ApiError(
            403, "forbidden", f"role {staff.role.value} may not read the metrics", allowed=[auth.Role.ops.value]
        )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    _may_scrape(request.app.state.resources.settings, request.headers.get("authorization", ""))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
