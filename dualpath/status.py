"""`dualpath status`: what is running, by kind, phase and overdue — from Temporal's visibility.

The same queries work in the Temporal Web UI's list filter.
"""

from __future__ import annotations

from temporalio.client import Client

KINDS = {
    "referral": ["awaiting_visitation", "held_until_phase_in"],
    "ambulatory": ["1", "2", "3", "4"],
    "inpatient": ["1", "2", "3", "4", "discharged"],
}


def queries(region: str | None = None) -> list[tuple[str, str, str]]:
    """(kind, phase or status, query) for every row of the status table."""
    scope = f' AND Region = "{region}"' if region else ""
    rows = []
    for kind, values in KINDS.items():
        field = "ReferralStatus" if kind == "referral" else "Phase"
        for value in values:
            rows.append(
                (kind, value, f'ExecutionStatus = "Running" AND PathwayKind = "{kind}" AND {field} = "{value}"{scope}')
            )
    return rows


async def counts(client: Client, region: str | None = None) -> list[tuple[str, str, int, int]]:
    """(kind, phase, running, overdue) rows."""
    out = []
    for kind, value, query in queries(region):
        running = (await client.count_workflows(query)).count
        overdue = (await client.count_workflows(query + " AND Overdue = true")).count if running else 0
        out.append((kind, value, running, overdue))
    return out


def table(rows: list[tuple[str, str, int, int]]) -> str:
    lines = [f"{'kind':<12}{'phase/status':<22}{'running':>8}{'overdue':>9}"]
    lines += [f"{k:<12}{v:<22}{n:>8}{o:>9}" for k, v, n, o in rows]
    return "\n".join(lines)
