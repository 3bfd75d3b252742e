"""The referral from receipt to psychiatry's decision."""

from __future__ import annotations

import inspect
from typing import get_args

from dualpath.diagrams.model import REASON, Builder, Process, has_member, require_field
from dualpath.domain import ambulatory, referral_rules
from dualpath.domain import events as ev
from dualpath.workflows import pathway, pathway_admission, referral
from dualpath.workflows.coordinated_course_messages import WORKFLOW_TYPE as COORDINATED_WORKFLOW

_REFERRAL_INITIAL = ("not_eligible", "attached", "held_until_phase_in", "awaiting_visitation")


def build_referral() -> Process:
    b = Builder(
        "referral",
        "Henvisning (referral) til visitation",
        "A referral from receipt to psychiatry's decision (spec §1): the assessment on receipt (not eligible, "
        "attached to an open pathway, held until the target group is phased in, or awaiting visitation), the "
        "timer that releases a held referral on the opening date, the §82c timers that warn before the start "
        "deadline and escalate when it passes, and the decision gateway.",
        (
            "dualpath/workflows/referral.py: ReferralWorkflow, ReferralStatus, ReferralInput (timer fields)",
            "dualpath/domain/referral_rules.py: start_deadline, WARN_DAYS_BEFORE_DEADLINE",
        ),
    )
    from dualpath.domain.referral_rules import WARN_DAYS_BEFORE_DEADLINE

    statuses = get_args(referral.ReferralStatus)
    for status in (*_REFERRAL_INITIAL, "accepted", "declined"):
        if status not in statuses:
            raise ValueError(f"ReferralStatus has no {status!r}: the referral diagram needs updating")
    fields = referral.ReferralInput.model_fields
    timer_field = {name: require_field(fields, name) for name in ("release_at", "warn_at", "deadline_at")}
    days = inspect.signature(referral_rules.start_deadline).parameters["days"].default
    wf = referral.ReferralWorkflow
    decide = has_member(wf, "decide")

    b.add("start", "startEvent", f"Henvisning modtaget ({ev.ReferralReceived.__name__})")
    b.add("gw_assess", "exclusiveGateway", "Vurdering ved modtagelse", col=1)
    b.flow("start", "gw_assess")
    b.add("end_not_eligible", "endEvent", "not_eligible: ikke visiteret (årsagerne nævnes)", col=2.5, row=1)
    b.add(
        "end_attached",
        "endEvent",
        f"attached ({ev.ReferralAttached.__name__}): knyttet til åbent forløb",
        col=2.5,
        row=2,
    )
    b.add(
        "held",
        "intermediateCatchEvent",
        f"held_until_phase_in: målgruppen åbner ({ev.ReferralReleased.__name__})",
        event="timer",
        timer=("timeDate", timer_field["release_at"]),
        col=2.5,
        row=-1,
    )
    b.add(
        "decide",
        "userTask",
        f"awaiting_visitation: visitationens beslutning ({decide})",
        col=4,
        detail=(f"start senest {days} dage efter modtagelsen (sundhedslovens §82c)",),
    )
    b.flow("gw_assess", "end_not_eligible", "not_eligible", condition="status == 'not_eligible'")
    b.flow("gw_assess", "end_attached", "attached", condition="status == 'attached'")
    b.flow("gw_assess", "held", "held_until_phase_in", condition="status == 'held_until_phase_in'")
    b.flow("gw_assess", "decide", "awaiting_visitation", condition="status == 'awaiting_visitation'")
    b.flow("held", "decide", "frigivet")
    # The deadline boundary is first (leftmost) and its end lowest, so the two routes do not cross.
    passed = ev.ReferralDeadlinePassed.__name__
    b.due_timer(
        "deadline", f"§82c-fristen ({days} dage) overskredet", "decide", ("timeDate", timer_field["deadline_at"])
    )
    b.due_timer("warn", f"{WARN_DAYS_BEFORE_DEADLINE} dage før fristen", "decide", ("timeDate", timer_field["warn_at"]))
    b.escalation("end_deadline", f"{passed}: opgave til visitationen (Overdue)", passed, col=5, row=2.2)
    b.add("end_warned", "endEvent", f"{ev.ReferralDeadlineApproaching.__name__}: advarsel", col=5, row=1.2)
    b.flow("deadline", "end_deadline")
    b.flow("warn", "end_warned")
    b.add("gw_decision", "exclusiveGateway", "Beslutning", col=5)
    b.flow("decide", "gw_decision")
    b.add(
        "end_accepted",
        "endEvent",
        f"accepted ({ev.ReferralAccepted.__name__}): ambulant forløb startes ({pathway.PathwayWorkflow.__name__})",
        event="message",
        ref=pathway.PathwayWorkflow.__name__,
        col=6,
        row=-0.5,
        # Accepted into an inpatient course (issue #18 item 4): the pathway starts with its stay.
        detail=(
            f"setting=inpatient + admission: forløbet starter med indlæggelsen ({pathway_admission.ADMIT_AT_START})",
        ),
    )
    b.add(
        "end_declined",
        "endEvent",
        f"declined ({ev.ReferralDeclined.__name__}): {ambulatory.LevelOfCare.coordinated.value} behandling, "
        f"det koordinerede forløb følges ({COORDINATED_WORKFLOW})",
        event="message",
        ref=COORDINATED_WORKFLOW,
        col=6,
        row=0.5,
    )
    b.flow("gw_decision", "end_accepted", "accept", condition=f"{decide}(accept=true)")
    b.flow(
        "gw_decision", "end_declined", f"decline ({REASON})", condition=f"{decide}(accept=false, reason)", emphasis=True
    )
    return b.build()
