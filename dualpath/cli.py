"""The `dualpath` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from dualpath.infra.errors import SetupError


def _settings():
    from pydantic import ValidationError

    from dualpath.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise SetupError(f"settings are invalid: {exc.errors()[0]['msg']}") from None


def cmd_run(args) -> int:
    from dualpath import devstack

    return devstack.run(_settings())


def cmd_worker(args) -> int:
    from dualpath import worker

    worker.main()
    return 0


def cmd_api(args) -> int:
    import uvicorn

    s = _settings()
    uvicorn.run("dualpath.api.main:app", factory=True, host=s.api_host, port=s.api_port)
    return 0


def cmd_token(args) -> int:
    from pydantic import ValidationError

    from dualpath.api.auth import Role, issue_dev_token

    s = _settings()
    if s.environment != "development":
        raise SetupError("development tokens are refused in production: get a token from your OIDC issuer")
    try:
        print(
            issue_dev_token(s, role=Role(args.role), org=args.org, subject=args.subject, ttl_seconds=args.hours * 3600)
        )
    except ValidationError as exc:
        # The rule's own words ("a practice is practice:<provider number>: …"), not pydantic's report.
        raise SetupError("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    except ValueError as exc:
        raise SetupError(str(exc)) from None
    return 0


async def _with_pool(fn):
    import asyncpg

    from dualpath import logs
    from dualpath.eventstore import migrate
    from dualpath.infra.postgres import database_url

    s = _settings()
    logs.configure("console", "WARNING")
    pool = await asyncpg.create_pool(await database_url(s), min_size=1, max_size=2)
    try:
        await migrate(pool)
        return await fn(pool)
    finally:
        await pool.close()


def cmd_migrate(args) -> int:
    from dualpath.eventstore import migrate

    applied = asyncio.run(_with_pool(migrate))
    print(f"applied: {', '.join(applied)}" if applied else "migrations are current")
    return 0


def cmd_rebuild(args) -> int:
    from dualpath.eventstore import rebuild
    from dualpath.readmodels.registry import all_projections

    n = asyncio.run(_with_pool(lambda pool: rebuild(pool, all_projections())))
    print(f"read models rebuilt from {n} events")
    return 0


def cmd_report(args) -> int:
    import importlib.util

    from dualpath.domain.municipalities import REGIONS
    from dualpath.readmodels import report

    if args.region is not None and args.region not in REGIONS:
        raise SetupError(f"unknown region {args.region!r}; known: {', '.join(sorted(REGIONS))}")
    if args.png and importlib.util.find_spec("matplotlib") is None:
        raise SetupError("--png draws with matplotlib, which is not installed: pip install matplotlib")
    rep = asyncio.run(_with_pool(lambda pool: report.monitoring_report(pool, args.region)))
    print(rep.model_dump_json(indent=2) if args.as_json else report.render_text(rep))
    if args.png:
        report.write_phase_in_png(rep, args.png)
        print(f"phase-in chart written to {args.png}", file=sys.stderr)
    return 0


def cmd_status(args) -> int:
    from dualpath import status, temporal_client

    async def _counts():
        return await status.counts(await temporal_client.connect(_settings()), args.region)

    print(status.table(asyncio.run(_counts())), flush=True)
    # The Temporal client's native threads can abort interpreter shutdown
    # (about one exit in ten: "PyGILState_Release … finalizing"); everything
    # is printed, so leave without finalizing.
    sys.stderr.flush()
    os._exit(0)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dualpath", description="Integrated dual-diagnosis pathways engine.")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("run", "dev"):
        sub.add_parser(name, help="run the whole engine on embedded defaults (what `make run` does)").set_defaults(
            fn=cmd_run
        )
    sub.add_parser("worker", help="run the Temporal worker only").set_defaults(fn=cmd_worker)
    sub.add_parser("api", help="run the staff API only").set_defaults(fn=cmd_api)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(fn=cmd_migrate)
    st = sub.add_parser("status", help="running processes by kind, phase and overdue (Temporal visibility)")
    st.add_argument("--region", help="only this region, e.g. 1082")
    st.set_defaults(fn=cmd_status)
    rep = sub.add_parser("report", help="the monitoring report: per region and target group, against the targets")
    rep.add_argument("--region", help="only this region, e.g. 1082 (default: all regions)")
    rep.add_argument("--json", dest="as_json", action="store_true", help="print the report as JSON")
    rep.add_argument("--png", metavar="FILE", help="also draw the phase-in against the targets as a PNG chart")
    rep.set_defaults(fn=cmd_report)
    t = sub.add_parser("token", help="make a development bearer token")
    t.add_argument("--role", required=True, choices=["clinician", "visitation", "municipality", "ops", "gp"])
    t.add_argument(
        "--org",
        required=True,
        help="region:<code>, municipality:<code>, ops:<name> or (gp) practice:<provider number, 6 digits>",
    )
    t.add_argument("--subject", default="dev-user", help="who the token names (a staff id, not a patient)")
    t.add_argument("--hours", type=int, default=12, help="how long it is valid")
    t.set_defaults(fn=cmd_token)
    dia = sub.add_parser("diagram", help="process diagrams (Mermaid, BPMN 2.0) generated from the workflow tables")
    dia.add_argument("process", nargs="?", help="referral, ambulatory, inpatient or meeting (default: all, Mermaid)")
    dia.add_argument("--format", choices=["mermaid", "bpmn"], default="mermaid", help="what to print")
    dia.add_argument("--write", action="store_true", help="regenerate every file under docs/diagrams/")
    dia.set_defaults(fn=cmd_diagram)
    proj = sub.add_parser("projections", help="read models")
    proj_sub = proj.add_subparsers(dest="action", required=True)
    proj_sub.add_parser("rebuild", help="drop the read models and rebuild them from the events").set_defaults(
        fn=cmd_rebuild
    )
    return p


def cmd_diagram(args) -> int:
    from dualpath import diagrams

    if args.write:
        for path in diagrams.write_all(diagrams.default_directory()):
            print(path)
        return 0
    if args.process and args.process not in diagrams.PROCESSES:
        raise SetupError(f"unknown process {args.process!r}: choose one of {', '.join(diagrams.PROCESSES)}")
    if args.format == "bpmn" and not args.process:
        raise SetupError(f"a BPMN document holds one process: name one of {', '.join(diagrams.PROCESSES)}")
    render = diagrams.bpmn if args.format == "bpmn" else diagrams.mermaid
    print("\n".join(render(name) for name in ([args.process] if args.process else diagrams.PROCESSES)), end="")
    return 0


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        sys.exit(args.fn(args))
    except SetupError as exc:
        print(f"dualpath: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
