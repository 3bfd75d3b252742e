"""Prometheus metrics for the staff API: requests, latency and errors per route.

Labelled by the route's template (`/pathways/{pathway_id}`), never the concrete
path, so no pathway id ends up in a metric and the series stay few.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry()
REQUESTS = Counter("dualpath_api_requests_total", "Requests answered", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("dualpath_api_request_seconds", "Time to answer a request", ["method", "route"],
                    registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
ERRORS = Counter("dualpath_api_errors_total", "Requests answered with a 5xx", ["method", "route"],
                 registry=REGISTRY)


def observe(request: Request, status: int, seconds: float) -> None:
    route = getattr(request.scope.get("route"), "path", "unmatched")
    REQUESTS.labels(request.method, route, str(status)).inc()
    LATENCY.labels(request.method, route).observe(seconds)
    if status >= 500:
        ERRORS.labels(request.method, route).inc()


router = APIRouter(tags=["health"])


# Open like the health routes: Prometheus scrapes without a token, and the
# metrics carry route templates and counts only.
@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

