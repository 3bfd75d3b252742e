"""The pathway's own forms: move its phase, decide its level of care, record the first treatment contact, end it,
record a consent, close a task."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from dualpath.api.deps import Res
from dualpath.api.routes import consents, pathways, relatives, screenings, staff, tasks
from dualpath.domain import screening
from dualpath.web.calls import call
from dualpath.web.forms import a_choice, a_date, optional, stripped, text
from dualpath.web.pathway_page import CommandForm, command_forms, pathway_form
from dualpath.web.session import Form, PageStaff


def _consent_form(form: Form, _: str) -> str:
    return form.get("consent_form")  # "form" names the page's own form


def _screening_answers(form: Form, _: str) -> list[dict[str, str]]:
    """A screening's answers from its radio buttons (`item_<n>`, the option's points): the items answered;
    one left out is refused by the body's model, naming the item."""
    inst = screening.BY_NAME.get(form.get("instrument"))
    items = [i.number for i in inst.items] if inst else []
    return [{"item": str(n), "answer": v} for n in items if (v := form.get(f"item_{n}").strip())]


# Each form's fields, by the body's field names.
SCREENING = {"instrument": text, "screened_on": a_date, "answers": _screening_answers, "cutoff_sex": optional}
CONSENT = {"scope": text, "counterpart": stripped, "state": text, "form": _consent_form}
TASK = {"outcome": text, "note": optional}

router = command_forms(
    CommandForm("/fase", pathways.move_phase, {"to": a_choice, "reason": optional}, "phase", "fase#fase"),
    CommandForm("/niveau", pathways.decide_level_of_care, {"level": text, "reason": stripped}, "level", "niveau#fase"),
    CommandForm("/kontakt", pathways.record_first_contact, {"contact_on": a_date}, "contact", "kontakt#fase"),
    CommandForm(
        "/akut",
        pathways.record_acute_contact,
        {"contact_on": a_date, "outcome": text, "note": optional},
        "acute",
        "akut#akut",
    ),
    # One form per instrument (its own items); each says its instrument in a hidden field.
    *(
        CommandForm(f"/screening-{n}", screenings.record_screening, SCREENING, f"screening-{n}", "screening#screening")
        for n in ("audit", "dudit")
    ),
    CommandForm(
        "/kontaktperson",
        staff.name_contact_person,
        {"subject": stripped, "reason": optional},
        "contact-person",
        "kontaktperson#kontaktperson",
    ),
    CommandForm("/afslut", pathways.end_pathway, {"reason_kind": text, "reason": optional}, "end", "afsluttet#top"),
    CommandForm("/samtykke", consents.record_consent, CONSENT, "consent", "samtykke#samtykker"),
    CommandForm("/opgaver/{task_id}", tasks.complete_task, TASK, "task-{task_id}", "opgave#opgaver"),
    CommandForm(
        "/paaroerende",
        relatives.add_relative,
        {"name": stripped, "relation": text, "contact": optional},
        "relative",
        "paaroerende#paaroerende",
    ),
)


@router.post("/forloeb/{pathway_id}/paaroerende/{relative_id}/fjern", name="remove_relative")
async def remove_relative(pathway_id: str, relative_id: str, request: Request, staff: PageStaff, res: Res) -> Response:
    """A relative removed from the pathway (the API's DELETE, from a plain form)."""

    async def act(_: Form) -> None:
        await call(relatives.remove_relative, staff, res, pathway_id=pathway_id, relative_id=relative_id)

    name = f"relative-remove-{relative_id}"
    return await pathway_form(request, staff, res, pathway_id, name, act, "paaroerende-fjernet", "paaroerende")
