"""`dualpath run`: the whole engine on one machine, on embedded defaults.

PostgreSQL (DATABASE_URL, or embedded under the data folder), the Temporal dev
server persisting to SQLite, the worker and the staff API, each its own
process. Ctrl-C stops them in reverse order; running it again resumes the
same pathways from the data folder.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from dualpath.api.auth import Role, issue_dev_token
from dualpath.eventstore import migrate
from dualpath.infra import temporal_server
from dualpath.infra.errors import SetupError
from dualpath.infra.ports import require_free
from dualpath.infra.postgres import database_url
from dualpath.settings import Settings


async def _prepare_database(settings: Settings) -> str:
    import asyncpg

    dsn = await database_url(settings)
    conn = await asyncpg.connect(dsn)
    try:
        applied = await migrate(conn)
    finally:
        await conn.close()
    if applied:
        print(f"  migrations applied: {', '.join(applied)}")
    return dsn


def api_command(host: str, port: int) -> list[str]:
    """The staff API as a process of its own (uvicorn on the app factory); the API logs each request itself
    (structlog), so uvicorn need only warn."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "dualpath.api.main:app",
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def _child(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    # A session of its own, so Ctrl-C reaches only us and we stop the
    # children in order (API first, Temporal last).
    return subprocess.Popen(args, env=env, start_new_session=True)


def _stop(proc: subprocess.Popen, name: str, timeout: float = 25) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"  {name} did not stop in {timeout:.0f} s; killing it", file=sys.stderr)
        proc.kill()
        proc.wait()


def run(settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    print(f"dualpath: starting on data folder {settings.data_dir.resolve()}")
    require_free(settings.api_host, settings.api_port, "the staff API", "DUALPATH_API_PORT")
    dsn = asyncio.run(_prepare_database(settings))
    where_db = "DATABASE_URL" if settings.database_url else f"embedded, {settings.data_dir / 'postgres'}"
    print(f"  PostgreSQL       {where_db}")

    children: list[tuple[str, subprocess.Popen]] = []
    try:
        if settings.temporal_embedded:
            temporal = temporal_server.start_dev_server(
                data_dir=settings.data_dir,
                host=settings.temporal_host,
                port=settings.temporal_port,
                ui_port=settings.temporal_ui_port,
                log_file=settings.data_dir / "temporal.log",
                codec_endpoint=f"http://{settings.api_host}:{settings.api_port}/codec",
            )
            children.append(("Temporal", temporal))
        else:
            temporal = None
        asyncio.run(temporal_server.wait_until_serving(settings.temporal_address, temporal))
        print(f"  Temporal         {settings.temporal_address} (namespace {settings.temporal_namespace})")
        if settings.temporal_embedded:
            print(f"  Temporal Web UI  http://{settings.temporal_host}:{settings.temporal_ui_port}")

        # Children reuse this database instead of starting another server.
        env = {**os.environ, "DATABASE_URL": dsn}
        commands = {
            "worker": [sys.executable, "-m", "dualpath.worker"],
            "API": api_command(settings.api_host, settings.api_port),
        }
        for name, args in commands.items():
            children.append((name, _child(args, env)))
        base = f"http://{settings.api_host}:{settings.api_port}"
        print(f"  worker           task queue {settings.task_queue!r}")
        print(f"  staff API        {base}  (OpenAPI: {base}/docs)")
        print(f"  codec server     {base}/codec  (decodes Temporal payloads; clinician or ops token)")
        if settings.environment == "development":
            token = issue_dev_token(settings, role=Role.clinician, org="region:1082", subject="dev-clinician")
            print("\n  a development token (clinician, region 1082; `dualpath token --help` for others):")
            print(f"  export TOKEN={token}")
        print("\nCtrl-C stops everything.")
        return _supervise(children, commands, env)
    finally:
        for name, proc in reversed(children):
            _stop(proc, name)
        print("dualpath: stopped")


def _supervise(
    children: list[tuple[str, subprocess.Popen]], restarts: dict[str, list[str]], env: dict[str, str]
) -> int:
    """Wait for Ctrl-C. A worker or API that dies is started again (Temporal
    resumes its work); if Temporal itself dies there is nothing to run on."""
    stopping = False

    def _on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    recent: list[float] = []
    while not stopping:
        for i, (name, proc) in enumerate(children):
            if proc.poll() is None or stopping:
                continue
            if name not in restarts:
                raise SetupError(f"the {name} exited unexpectedly (code {proc.returncode}); see .data/temporal.log")
            recent = [t for t in recent if time.monotonic() - t < 60] + [time.monotonic()]
            if len(recent) > 5:
                raise SetupError(f"the {name} keeps exiting (code {proc.returncode}); see its output above")
            print(f"dualpath: the {name} exited (code {proc.returncode}); starting it again", file=sys.stderr)
            children[i] = (name, _child(restarts[name], env))
        time.sleep(0.3)
    print("\ndualpath: stopping")
    return 0
