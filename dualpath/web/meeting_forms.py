"""The pathway page's meeting forms: call a meeting, schedule it, record it held (with a joint plan), cancel it."""

from __future__ import annotations

from dualpath.api.routes import meetings
from dualpath.domain.meetings import JointPlanInput
from dualpath.web.forms import a_date, a_time, optional, participants, people, stripped, text
from dualpath.web.pathway_page import CommandForm, command_forms
from dualpath.web.session import Form


def _joint_plan(form: Form, _: str) -> JointPlanInput | None:
    """The joint plan made at the meeting, if one was: a model of its own, so a refusal names its fields plainly."""
    if not form.get("plan_kind"):
        return None
    agreed_by = participants(form.get("plan_agreed_by"))
    return JointPlanInput.model_validate(
        dict(kind=form.get("plan_kind"), summary=form.get("plan_summary"), agreed_by=agreed_by)
    )


# Each form's fields, by the body's field names.
CALLED = {
    "kind": text,
    "occasion": optional,
    "stay_id": optional,
    "purpose": optional,
    "participants": people,
    "called_on": a_date,
}
SCHEDULED = {"at": a_time, "place": stripped}
HELD = {"joint_plan": _joint_plan, "held_on": a_date, "outcome": text, "attendees": people}
CANCELLED = {"reason": optional}

router = command_forms(
    CommandForm("/moeder", meetings.call_meeting, CALLED, "meeting", "moede#moeder"),
    CommandForm(
        "/moeder/{meeting_id}/planlaeg", meetings.schedule, SCHEDULED, "schedule-{meeting_id}", "planlagt#moeder"
    ),
    CommandForm("/moeder/{meeting_id}/afholdt", meetings.record_held, HELD, "held-{meeting_id}", "afholdt#moeder"),
    CommandForm("/moeder/{meeting_id}/aflys", meetings.cancel, CANCELLED, "cancel-{meeting_id}", "aflyst#moeder"),
)
