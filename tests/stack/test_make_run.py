"""`dualpath run` (what `make run` runs) brings the stack up, stops on Ctrl-C,
and resumes the same pathways when run again; a killed worker loses nothing."""

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from dualpath.api.auth import Role, issue_dev_token
from dualpath.infra.ports import free_port
from dualpath.settings import Settings

from ..api.helpers import referral


def _env(data_dir, api_port, temporal_port, ui_port, metrics_port=None) -> dict[str, str]:
    metrics_port = metrics_port or free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUALPATH_") and k != "DATABASE_URL"}
    env.update(
        DUALPATH_DATA_DIR=str(data_dir),
        DUALPATH_API_PORT=str(api_port),
        DUALPATH_TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}",
        DUALPATH_TEMPORAL_UI_PORT=str(ui_port),
        DUALPATH_LOG_FORMAT="json",
        DUALPATH_WORKER_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}",
    )
    return env


def _start(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dualpath.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_ready(base: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dualpath run exited early:\n{proc.stdout.read()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    pytest.fail(f"the stack was not ready in {timeout} s:\n{proc.stdout.read()}")


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    return out


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "dualpath.worker" in line]


def test_run_serves_stops_and_resumes(tmp_path):
    api_port, temporal_port, ui_port, metrics_port = free_port(), free_port(), free_port(), free_port()
    env = _env(tmp_path / "data", api_port, temporal_port, ui_port, metrics_port)
    base = f"http://127.0.0.1:{api_port}"
    settings = Settings(_env_file=None)
    headers = {
        "Authorization": "Bearer " + issue_dev_token(settings, role=Role.clinician, org="region:1082", subject="t")
    }
    visitation = {
        "Authorization": "Bearer " + issue_dev_token(settings, role=Role.visitation, org="region:1082", subject="v")
    }

    proc = _start(env)
    try:
        _wait_ready(base, proc)
        r = httpx.post(f"{base}/referrals", json=referral(), headers=headers, timeout=30)
        assert r.status_code == 201, r.text
        d = httpx.post(
            f"{base}/referrals/{r.json()['referral_id']}/decision",
            json={"accept": True},
            headers=visitation,
            timeout=30,
        )
        pathway_id = d.json()["pathway_id"]

        # The worker is killed outright; `run` starts it again and nothing is lost.
        # The worker serves the Temporal SDK's metrics for Prometheus.
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert "temporal_" in scraped
        (worker_pid,) = _children_of(proc.pid)
        os.kill(worker_pid, signal.SIGKILL)
        tasks = httpx.get(f"{base}/pathways/{pathway_id}", headers=headers, timeout=30).json()["tasks"]
        screening = next(t["task_id"] for t in tasks if t["kind"] == "screening_diagnostics")
        m = httpx.post(
            f"{base}/pathways/{pathway_id}/tasks/{screening}/complete",
            headers=headers,
            timeout=60,
            json={"outcome": "not_possible", "note": "declined"},
        )
        assert m.status_code == 200, m.text
        (new_worker,) = _children_of(proc.pid)
        assert new_worker != worker_pid
    finally:
        out = _stop(proc) if proc.poll() is None else proc.stdout.read()
    assert f"http://127.0.0.1:{api_port}/docs" in out
    assert f"http://127.0.0.1:{ui_port}" in out
    assert "the worker exited (code -9); starting it again" in out

    proc = _start(env)
    try:
        _wait_ready(base, proc)
        p = httpx.get(f"{base}/pathways/{pathway_id}", headers=headers, timeout=30)
        assert p.status_code == 200, p.text
        closed = next(t for t in p.json()["tasks"] if t["task_id"] == screening)
        assert closed["state"] == "not_possible"
        assert [h["type"] for h in p.json()["history"]].count("TaskCompleted") == 1
        # The workflow survived the restart too: it still takes commands.
        m = httpx.post(
            f"{base}/pathways/{pathway_id}/consents",
            headers=headers,
            timeout=60,
            json={"scope": "dialogue", "counterpart": "751", "state": "given", "form": "oral"},
        )
        assert m.status_code == 200, m.text
        assert m.json()["consents"][0]["state"] == "given"
    finally:
        _stop(proc)


def test_a_port_in_use_gets_a_one_line_error(tmp_path):
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        env = _env(tmp_path / "data", port, free_port(), free_port())
        result = subprocess.run(
            [sys.executable, "-m", "dualpath.cli", "run"], env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"port {port}" in result.stderr and "DUALPATH_API_PORT" in result.stderr


def test_an_unreachable_database_gets_a_one_line_error(tmp_path):
    env = _env(tmp_path / "data", free_port(), free_port(), free_port())
    env["DATABASE_URL"] = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    result = subprocess.run(
        [sys.executable, "-m", "dualpath.cli", "run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "PostgreSQL at DATABASE_URL cannot be reached" in result.stderr
