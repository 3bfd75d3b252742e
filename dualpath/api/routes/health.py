"""Health: open routes, so that a load balancer or compose can ask without a token."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from dualpath.api.deps import Res
from dualpath.eventstore import pending

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz")
async def readyz(res: Res) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        waiting = await pending(res.pool)
        checks["postgres"] = "ok"
        checks["migrations"] = "current" if not waiting else f"pending: {', '.join(waiting)}"
    except Exception as exc:  # any failure means not ready; say which
        checks["postgres"] = f"unreachable: {exc.__class__.__name__}"
    try:
        await res.temporal.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"unreachable: {exc.__class__.__name__}"
    ready = checks.get("postgres") == "ok" and checks.get("migrations") == "current" and checks["temporal"] == "ok"
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
