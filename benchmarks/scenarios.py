"""What is driven: dualpath through its HTTP API, the baseline through the Temporal client.

Every latency is the wall time of one call as its caller sees it: an HTTP request (dualpath)
or `execute_update` (baseline), from the benchmark process over loopback.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field

import httpx
from temporalio.client import Client, WorkflowHandle

from benchmarks.baseline import BaselineWorkflow
from dualpath.api.auth import Role, issue_dev_token
from dualpath.settings import Settings

REGION = "region:1082"  # Midtjylland; municipality 751 (Aarhus)
MUNICIPALITY = "751"
_cpr_counter = itertools.count()
_CPR_RUN = uuid.uuid4().int % 1000


def unique_cpr(n: int | None = None, *, cohort: bool = False) -> str:
    """A CPR number of valid form (1900s birth dates), unique within this run for n < 80,640:
    the API's patients take the next number of a counter, the loaded cohort's (`cohort=True`)
    end in other digits."""
    n = next(_cpr_counter) if n is None else n
    if not 0 <= n < 80_640:
        raise ValueError(f"unique_cpr: {n} is outside the 80,640 numbers it can make unique")
    dd, mm, yy, century = n % 28 + 1, (n // 28) % 12 + 1, 40 + (n // 336) % 60, (n // 20160) % 4
    return f"{dd:02d}{mm:02d}{yy:02d}{century}{(_CPR_RUN + cohort) % 1000:03d}"


def referral_body() -> dict:
    return {
        "cpr": unique_cpr(),
        "municipality": MUNICIPALITY,
        "source": "municipality",
        "facts": {"psychiatric_contact": "current", "municipal_substance_treatment": True},
        "criteria": {
            "mental_illness": "severe",
            "substance_problem": True,
            "reduced_functioning": True,
            "parallel_treatment_insufficient": True,
        },
    }


class ApiError(RuntimeError):
    pass


@dataclass
class Api:
    """Signed-in HTTP clients for the roles the scenarios need."""

    base: str
    settings: Settings
    clients: dict[tuple[str, str], httpx.AsyncClient] = field(default_factory=dict)

    def as_(self, role: str, org: str = REGION) -> httpx.AsyncClient:
        key = (role, org)
        if key not in self.clients:
            token = issue_dev_token(self.settings, role=Role(role), org=org, subject=f"bench-{role}")
            self.clients[key] = httpx.AsyncClient(
                base_url=self.base,
                headers={"Authorization": f"Bearer {token}"},
                timeout=60,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
            )
        return self.clients[key]

    async def aclose(self) -> None:
        for c in self.clients.values():
            await c.aclose()

    async def timed(
        self, method: str, path: str, *, role: str = "clinician", org: str = REGION, expect: int = 200, **kw
    ) -> tuple[float, dict | list]:
        client = self.as_(role, org)
        started = time.perf_counter()
        r = await client.request(method, path, **kw)
        elapsed = time.perf_counter() - started
        if r.status_code != expect:
            raise ApiError(f"{method} {path} answered {r.status_code}: {r.text[:500]}")
        return elapsed, r.json()


# -- dualpath -------------------------------------------------------------------


async def open_pathway(api: Api) -> tuple[str, list[tuple[str, float]]]:
    """A referral accepted by visitation: a running pathway in phase 1. (id, [(command, seconds)])."""
    t1, r = await api.timed("POST", "/referrals", json=referral_body(), expect=201)
    if r["status"] != "awaiting_visitation":
        raise ApiError(f"the referral is {r['status']}, not awaiting visitation: {r}")
    t2, d = await api.timed("POST", f"/referrals/{r['referral_id']}/decision", role="visitation", json={"accept": True})
    return d["pathway_id"], [("refer", t1), ("accept", t2)]


async def phase_one_actions(api: Api, pathway_id: str, pause: float = 0.0) -> list[tuple[str, float]]:
    """Phase 1's staff actions: the dialogue consent (closes its task), then the other three tasks,
    with `pause` seconds before each."""
    await asyncio.sleep(pause)
    t, p = await api.timed(
        "POST",
        f"/pathways/{pathway_id}/consents",
        json={"scope": "dialogue", "counterpart": MUNICIPALITY, "state": "given", "form": "written"},
    )
    timings = [("record_consent", t)]
    for task in [t for t in p["tasks"] if t["state"] == "open"]:
        await asyncio.sleep(pause)
        t, _ = await api.timed(
            "POST",
            f"/pathways/{pathway_id}/tasks/{task['task_id']}/complete",
            json={"outcome": "done", "note": "benchmark"},
        )
        timings.append(("complete_task", t))
    if len(timings) != 4:
        raise ApiError(f"expected 3 open tasks after consent, got {len(timings) - 1}")
    return timings


async def pathway_end_to_end(api: Api) -> list[tuple[str, float]]:
    """One pathway, start to end, as staff drive it: 8 commands.

    refer → accept → consent → 3 tasks completed → phase 1→3 → unplanned end (moved away).
    """
    pathway_id, timings = await open_pathway(api)
    timings += await phase_one_actions(api, pathway_id)
    t, p = await api.timed("POST", f"/pathways/{pathway_id}/ambulatory/phase", json={"to": 3, "reason": "stable"})
    timings.append(("move_phase", t))
    t, p = await api.timed(
        "POST", f"/pathways/{pathway_id}/end", json={"reason_kind": "moved_away", "reason": "moved to another region"}
    )
    if p["status"] != "ended":
        raise ApiError(f"the pathway did not end: {p['status']}")
    timings.append(("end_pathway", t))
    return timings


E2E_COMMANDS = 8


# -- baseline -------------------------------------------------------------------


async def baseline_start(client: Client, task_queue: str) -> tuple[WorkflowHandle, float]:
    started = time.perf_counter()
    handle = await client.start_workflow(
        BaselineWorkflow.run, id=f"bench-baseline-{uuid.uuid4()}", task_queue=task_queue
    )
    return handle, time.perf_counter() - started


async def baseline_update(handle: WorkflowHandle, finish: bool = False, *, local: bool = False) -> float:
    """One baseline update: the no-op as an activity (the obvious code) or as a local activity (the floor)."""
    started = time.perf_counter()
    await handle.execute_update(BaselineWorkflow.act_local if local else BaselineWorkflow.act, finish)
    return time.perf_counter() - started


async def baseline_end_to_end(client: Client, task_queue: str) -> list[tuple[str, float]]:
    """The baseline's "pathway": as many client calls as dualpath's 8 commands — a start and 7
    updates, each update running a no-op activity; the last lets the workflow finish."""
    handle, t = await baseline_start(client, task_queue)
    timings = [("start", t)]
    for i in range(E2E_COMMANDS - 1):
        timings.append(("update", await baseline_update(handle, finish=i == E2E_COMMANDS - 2)))
    return timings


# -- concurrency ------------------------------------------------------------------


async def run_concurrently(n: int, concurrency: int, job) -> tuple[float, list]:
    """Run `job()` n times, `concurrency` at a time; (wall seconds, results)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    results: list = []

    async def worker():
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results.append(await job())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, n)))))
    return time.perf_counter() - started, results
