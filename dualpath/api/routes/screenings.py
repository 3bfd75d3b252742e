"""Scored screening instruments on a pathway (issue #15 item 6): AUDIT (alcohol) and DUDIT (drugs).

Clinicians of the pathway's region record a screening (`POST /pathways/{id}/screenings`): the answers as codes
(each item's number and the points of the option chosen); the pathway's workflow validates and scores them by
the published rules (domain/screening.py) and records `ScreeningRecorded`. `GET /pathways/{id}/screenings` is
the history of scores over time; `GET /screening-instruments` lists the items, their options and points, and
the sources. A screening's answers and result are clinical: the disclosure policy shows them to region staff
only (readmodels/screenings.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from dualpath.api import commands, disclosure
from dualpath.api.auth import Role, Staff
from dualpath.api.deps import CurrentStaff, Res, require
from dualpath.api.routes.pathways import PathwayId, visible_pathway
from dualpath.domain import copenhagen, screening
from dualpath.domain.validation import Input, NotFuture
from dualpath.readmodels import screenings as rm
from dualpath.readmodels.screenings import ScreeningRow
from dualpath.workflows import pathway as wf
from dualpath.workflows import pathway_messages as messages

router = disclosure.Router(tags=["screenings"])


class ScreeningAnswerIn(Input):
    item: int = Field(description="The item's number (AUDIT 1-10, DUDIT 1-11)")
    answer: int = Field(description="The points of the option chosen (items allow 0-4, or 0, 2 or 4)")


class ScreeningIn(Input):
    instrument: screening.InstrumentName = Field(description="AUDIT (alcohol) or DUDIT (drugs)")
    screened_on: Annotated[NotFuture | None, Field(description="The day of the screening (default today)")] = None
    answers: list[ScreeningAnswerIn] = Field(
        description="Every item of the instrument answered exactly once, with one of its options' points "
        "(GET /screening-instruments lists them)",
        max_length=50,
    )
    cutoff_sex: screening.CutoffSex | None = Field(
        default=None,
        description="DUDIT only, required there: the sex whose published cut-off applies (male: 6, female: 2); "
        "leave it out for AUDIT",
    )

    @model_validator(mode="after")
    def _scores(self) -> ScreeningIn:
        # Judged here so that a bad answer is a 422 naming the item before any command goes out; the workflow
        # judges it again (a command sent straight to Temporal).
        try:
            screening.score(self.instrument, [(a.item, a.answer) for a in self.answers], self.cutoff_sex)
        except screening.ScreeningRefused as exc:
            raise ValueError(str(exc)) from None
        return self


class OptionOut(BaseModel):
    points: int
    text_en: str
    text_da: str


class ItemOut(BaseModel):
    number: int
    text_en: str
    text_da: str
    options: list[OptionOut]


class InstrumentOut(BaseModel):
    name: str
    version: str
    title_da: str
    source: str
    max_total: int
    rule: str
    items: list[ItemOut]


def instrument_out(inst: screening.Instrument) -> InstrumentOut:
    rule = screening.AUDIT_RULE if inst.name == "AUDIT" else screening.DUDIT_RULE
    return InstrumentOut(
        name=inst.name,
        version=inst.version,
        title_da=inst.title_da,
        source=inst.source,
        max_total=inst.max_total,
        rule=rule,
        items=[
            ItemOut(
                number=i.number,
                text_en=i.text_en,
                text_da=i.text_da,
                options=[OptionOut(points=o.points, text_en=o.text_en, text_da=o.text_da) for o in i.options],
            )
            for i in inst.items
        ],
    )


@router.get("/screening-instruments", response_model=list[InstrumentOut])
async def list_instruments(staff: CurrentStaff) -> list[InstrumentOut]:
    """The instruments as data: items, options and their points, the source and the scoring rule."""
    return [instrument_out(screening.BY_NAME[name]) for name in screening.INSTRUMENTS]


@router.get("/pathways/{pathway_id}/screenings", response_model=list[ScreeningRow])
async def list_screenings(pathway_id: PathwayId, staff: CurrentStaff, res: Res) -> list[ScreeningRow]:
    """The pathway's screenings over time, the latest first (the result to region staff only)."""
    await visible_pathway(res, staff, pathway_id)
    return await rm.screenings(res.pool, pathway_id)


@router.post("/pathways/{pathway_id}/screenings", status_code=201, response_model=list[ScreeningRow])
async def record_screening(
    pathway_id: PathwayId, body: ScreeningIn, res: Res, staff: Staff = require(Role.clinician)
) -> list[ScreeningRow]:
    """A scored screening (AUDIT or DUDIT): validated and scored by the pathway's workflow, recorded as
    `ScreeningRecorded`; the answer is the pathway's screenings, the latest first."""
    row = await visible_pathway(res, staff, pathway_id)
    cmd = commands.make(messages.ScreeningCommand, staff, body, screened_on=body.screened_on or copenhagen.today())
    await commands.run(res, wf.workflow_id(pathway_id, row.region), wf.PathwayWorkflow.record_screening, cmd)
    return await rm.screenings(res.pool, pathway_id)
