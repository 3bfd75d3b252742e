"""Does a process still take commands? A normal command on it, answered, within a generous ceiling.

A workflow stuck behind a command whose data could never be stored answers every later command with
503 after the API's wait (api/commands.py, 30 s); one that goes on answers at once. The checks poll
for the good answer rather than time a single request, so a slow machine never fails them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx

from dualpath.domain import copenhagen
from tests.poll import eventually

CEILING = 150.0  # seconds: five of the API's 30-second waits


async def _answered(
    request: Callable[[], Awaitable[httpx.Response]], ok: Callable[[httpx.Response], bool], what: str
) -> None:
    await eventually(request, ok, what=what, timeout=CEILING, every=1.0)


def _done(r: httpx.Response) -> bool:
    return r.status_code in (200, 201)


def _done_or_refused(r: httpx.Response) -> bool:
    return r.status_code in (200, 201, 409)


async def answers(request: Callable[[], Awaitable[httpx.Response]], what: str) -> None:
    """The command is done, or refused by the engine's rules (409): an answer; a wait (503) or an error is not."""
    await _answered(request, _done_or_refused, what)


def _legal_command(c: httpx.AsyncClient, pathway_id: str, municipality: str) -> Callable[[], Awaitable[httpx.Response]]:
    """A consent (inform municipal treatment: refused) is always a legal command on an active pathway."""
    body = {"scope": "inform_municipal_treatment", "counterpart": municipality, "state": "refused", "form": "oral"}
    return lambda: c.post(f"/pathways/{pathway_id}/consents", json=body)


async def pathway_takes_a_command(c: httpx.AsyncClient, pathway_id: str, municipality: str = "751") -> None:
    """The pathway takes a legal command (`_legal_command`) and answers it."""
    await _answered(_legal_command(c, pathway_id, municipality), _done, f"pathway {pathway_id}")


async def pathway_answers(c: httpx.AsyncClient, pathway_id: str, municipality: str = "751") -> None:
    """As `pathway_takes_a_command`, where the pathway may have ended meanwhile (the fuzzer ends some):
    the engine's own refusal (409) is an answer too; only a wait (503) or an error is not."""
    await answers(_legal_command(c, pathway_id, municipality), f"pathway {pathway_id}")


async def stay_takes_a_command(c: httpx.AsyncClient, pathway_id: str, stay_id: str) -> None:
    """Planning a discharge (advice only) is legal while the patient is admitted."""
    planned = str(copenhagen.today() + timedelta(days=10))
    await _answered(
        lambda: c.post(
            f"/pathways/{pathway_id}/admissions/{stay_id}/discharge-plan",
            json={"planned_date": planned, "keep_reason": "test"},
        ),
        _done,
        f"stay {stay_id}",
    )


async def meeting_takes_a_command(c: httpx.AsyncClient, pathway_id: str, meeting_id: str) -> None:
    """A called meeting may be (re)scheduled."""
    at = f"{copenhagen.today() + timedelta(days=2)}T10:00:00+01:00"
    await _answered(
        lambda: c.post(
            f"/pathways/{pathway_id}/meetings/{meeting_id}/schedule", json={"at": at, "place": "Klinik Nord"}
        ),
        _done,
        f"meeting {meeting_id}",
    )


async def campaign_takes_a_command(c: httpx.AsyncClient, campaign_id: str) -> None:
    """The KKR contact list may be set at any time."""
    await _answered(
        lambda: c.put(
            f"/campaigns/{campaign_id}/kkr-contacts",
            json={"contacts": [{"role": "rusmiddelleder", "name_or_function": "leder", "organisation": "Kommunen"}]},
        ),
        _done,
        f"campaign {campaign_id}",
    )


async def transition_takes_a_command(c: httpx.AsyncClient, transition_id: str) -> None:
    """A further task for the region, not addressed to the patient, is legal until the transition completes."""
    await _answered(
        lambda: c.post(
            f"/transitions/{transition_id}/tasks",
            json={"title": "Ring tilbage", "owner": "region", "involves_patient": False},
        ),
        _done,
        f"transition {transition_id}",
    )
