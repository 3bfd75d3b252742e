"""The pathway page's joint plan forms (issue #18 item 7): make a joint plan, or revise its latest version.

Each plan on the page has its own form (`/forloeb/{id}/planer/{kind}`, the latest version as `revises`), and
one form makes a plan of a kind the pathway has none of (`/forloeb/{id}/planer/ny`). They call the API's
route `record_joint_plan`; refused, the form comes back with what was typed and the engine's reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dualpath.api.deps import Res
from dualpath.api.routes import meetings
from dualpath.domain.joint_plans import MAX_ACTIONS, CrisisPlan
from dualpath.web.calls import call
from dualpath.web.forms import a_choice, a_date, people, read, text
from dualpath.web.pathway_page import pathway_form
from dualpath.web.render import PageRoute
from dualpath.web.session import Form, PageStaff

NEW = "ny"


def actions(form: Form, _: str) -> list[dict[str, Any]]:
    """The action rows (`action_party_<n>`, `action_who_<n>`, `action_what_<n>`, `action_by_<n>`); a row with
    neither who nor what is left out (the form offers empty rows to fill in)."""
    rows = []
    for n in range(MAX_ACTIONS + 1):
        if f"action_party_{n}" not in form.values():
            break
        who, what = form.get(f"action_who_{n}").strip(), form.get(f"action_what_{n}").strip()
        if not who and not what:
            continue
        by = a_date(form, f"action_by_{n}")
        rows.append({"party": form.get(f"action_party_{n}"), "who": who, "what": what, "by": by})
    return rows


def crisis_plan(form: Form, _: str) -> CrisisPlan | None:
    """The crisis plan, or None when none of its fields was filled in."""
    fields = {k: form.get(f"crisis_{k}").strip() for k in ("warning_signs", "what_to_do", "whom_to_call")}
    return CrisisPlan.model_validate(fields) if any(fields.values()) else None


FIELDS = {
    "kind": text,
    "revises": a_choice,
    "summary": text,
    "agreed_by": people,
    "actions": actions,
    "crisis_plan": crisis_plan,
    "next_review": a_date,
}

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.post("/forloeb/{pathway_id}/planer/{which}", name="record_joint_plan")
async def joint_plan_form(pathway_id: str, which: str, request: Request, staff: PageStaff, res: Res) -> Response:
    """`which`: the kind of plan revised, or `ny` for a new plan (its kind chosen in the form)."""

    async def act(form: Form) -> None:
        fields = read(form, FIELDS)
        if which != NEW:
            fields["kind"] = which
        body = meetings.JointPlanIn.model_validate(fields)
        await call(meetings.record_joint_plan, staff, res, pathway_id=pathway_id, body=body)

    return await pathway_form(request, staff, res, pathway_id, f"plan-{which}", act, "plan", "planer")
