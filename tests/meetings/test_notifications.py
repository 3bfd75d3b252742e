"""The development notifier: a notice is recorded once per idempotency key, and never with a CPR number."""

import uuid

import pytest
from pydantic import ValidationError
from temporalio.testing import ActivityEnvironment

from dualpath.activities.notifications import LocalRecorder, Notice, NotificationActivities


def _notice(key: str, **kw) -> Notice:
    base = dict(
        idempotency_key=key,
        channel="invitation",
        recipient_org="municipality:751",
        subject="Indkaldelse til netværksmøde",
        body="pathway p-1",
        pathway_id="p-1",
    )
    return Notice(**{**base, **kw})


async def test_sending_the_same_notice_twice_records_it_once(pool):
    key = f"test/{uuid.uuid4()}"
    activities = NotificationActivities(LocalRecorder(pool))
    env = ActivityEnvironment()
    await env.run(activities.send_notice, _notice(key))
    await env.run(activities.send_notice, _notice(key, body="a retry"))
    rows = await pool.fetch("SELECT body, recipient_org FROM notifications WHERE idempotency_key = $1", key)
    assert [tuple(r) for r in rows] == [("pathway p-1", "municipality:751")]


@pytest.mark.parametrize("body", ["patient 010180-1234.", "cpr:0101801234 here", "0101801234"])
def test_a_notice_refuses_a_cpr_number(body):
    with pytest.raises(ValidationError, match="CPR"):
        _notice("k", body=body)


def test_a_notice_may_name_ids_whose_hex_holds_digit_runs():
    # "123456-7890" inside this UUID has the shape of a CPR number.
    assert _notice("k", body="pathway ab123456-7890-4abc-8def-0123456789ab").body.startswith("pathway")
