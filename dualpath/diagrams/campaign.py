"""The group-2 phase-in campaign (spec §6): each phase is a sample campaign the rules are asked about."""

from __future__ import annotations

from datetime import date, timedelta
from typing import get_args

from dualpath.diagrams.model import Builder, Process, has_members, is_allowed, slug
from dualpath.domain import campaign as campaign_rules
from dualpath.domain import campaign_events as cev
from dualpath.workflows import campaign as campaign_wf
from dualpath.workflows import pathway

# The campaign's commands (CampaignWorkflow's updates), each with the rule that refuses it; a command
# with sides is drawn once per side.
CAMPAIGN_COMMANDS = (
    "set_kkr_contacts",
    "upload_list",
    "record_consent",
    "share_lists",
    "hold_collaboration_meeting",
    "decide",
    "plan_network_meeting",
)
_CAMPAIGN_PER_SIDE = ("upload_list", "record_consent")


def campaign_status_id(phase: str) -> str:
    return f"status_{phase}"


def campaign_share_days() -> int:
    from dualpath.settings import Settings

    return Settings.model_fields["campaign_share_days_before_meeting"].default


def campaign_samples(share_days: int) -> dict[str, campaign_rules.CampaignState]:
    """A campaign in each phase, built as the workflow's updates leave it: one state per Phase."""
    C = campaign_rules
    day = date(2026, 1, 5)
    both: dict[str, campaign_rules.ConsentState] = {side: "given" for side in C.SIDES}

    def listed(pid: str, **kw):
        return C.Person(
            patient_id=pid,
            rows={side: 2 for side in C.SIDES},
            psychiatric_contact="current",
            municipal_substance_treatment=True,
            consent=dict(both),
            **kw,
        )

    base = C.CampaignState(
        campaign_id="c",
        centre="centre",
        region="r",
        municipality="m",
        meeting_planned_on=day + timedelta(days=share_days + 10),
        share_days=share_days,
        group2_opens_on=day,
        catalogue_version="v",
        opened=True,
        uploaded={side: day for side in C.SIDES},
        people=[listed("p"), listed("q")],
    )
    shared = base.model_copy(update={"shared_on": day})
    held_on = C.earliest_meeting(shared)
    assert held_on is not None, "shared lists give the meeting its earliest day"
    held = shared.model_copy(update={"meeting_held_on": held_on})
    starting = held.model_copy(
        update={
            "people": [
                listed("p", decision="integrated", from_date=held_on + timedelta(days=7), status="scheduled"),
                listed("q"),
            ]
        }
    )
    samples = {"collecting_lists": base, "lists_shared": shared, "meeting_held": held, "starting": starting}
    for phase, s in samples.items():
        if C.phase(s) != phase:
            raise ValueError(f"campaign phase {phase!r} is not what phase() says: the campaign diagram needs updating")
    if set(samples) != set(get_args(C.Phase)):
        raise ValueError("the campaign phases changed: the campaign diagram needs updating")
    return samples


def _campaign_today(s: campaign_rules.CampaignState) -> date:
    return (s.meeting_held_on or campaign_rules.earliest_meeting(s) or s.meeting_planned_on) + timedelta(days=1)


def campaign_steps(phase: str, s: campaign_rules.CampaignState) -> list[tuple[str, str, campaign_rules.CampaignState]]:
    """The steps the campaign's rules allow in a phase: (command, label, the campaign after it)."""
    C = campaign_rules
    today = _campaign_today(s)
    undecided = next((p for p in s.people if p.decision is None), s.people[0])
    decided = next((p for p in s.people if p.decision in ("integrated", "coordinated")), s.people[0])
    row = C.ListedRow(patient_id="new", row=2, psychiatric_contact="current", municipal_substance_treatment=True)
    out: list[tuple[str, str, campaign_rules.CampaignState]] = []
    for command in CAMPAIGN_COMMANDS:
        if command == "set_kkr_contacts":
            out.append((command, command, s))  # no rule: the KKR list may change at any time
        elif command == "upload_list":
            out += [
                (command, f"{command}({side})", s) for side in C.SIDES if is_allowed(C.check_upload, s, side, [row])
            ]
        elif command == "record_consent":
            out += [
                (command, f"{command}({side})", s)
                for side in C.SIDES
                if is_allowed(C.check_consent, s, side, undecided.patient_id, "refused")
            ]
        elif command == "share_lists":
            if is_allowed(C.check_share, s):
                out.append((command, command, s.model_copy(update={"shared_on": today})))
        elif command == "hold_collaboration_meeting":
            held_on = C.earliest_meeting(s) or today
            if is_allowed(C.check_meeting, s, held_on, today):
                out.append((command, command, s.model_copy(update={"meeting_held_on": held_on})))
        elif command == "decide":
            for kind in get_args(C.DecisionKind):
                from_date = None if kind == "not_relevant" else max(today, s.group2_opens_on)
                if is_allowed(C.check_decision, s, undecided.patient_id, kind, from_date, today):
                    people = [
                        p.model_copy(
                            update={
                                "decision": kind,
                                "from_date": from_date,
                                "status": "not_relevant" if kind == "not_relevant" else "scheduled",
                            }
                        )
                        if p.patient_id == undecided.patient_id
                        else p
                        for p in s.people
                    ]
                    out.append((command, f"{command}({kind})", s.model_copy(update={"people": people})))
        elif command == "plan_network_meeting":
            if is_allowed(C.check_network_meeting, s, decided.patient_id):
                out.append((command, command, s))
    return out


def build_campaign() -> Process:
    C = campaign_rules
    share_days = campaign_share_days()
    b = Builder(
        "campaign",
        "Indfasning af målgruppe 2 (group-2 campaign) pr. psykiatrisk center og kommune",
        "The phase-in campaign for target group 2 (spec §6): the KKR contact list, the clinic's and the "
        "municipality's lists, consent per person from each side, sharing the lists at least "
        f"{share_days} days before the samarbejdsmøde (an earlier meeting is refused) with the reminder "
        f"{C.REMINDER_DAYS} days before the share-by date, the decision per person (integrated from a date, "
        "coordinated from a date, not relevant; without consent from both sides not discussed), the start "
        "timers that start a pathway or coordination on the decided date, and network meetings with "
        "følgeskab and udgående behandling. Each phase waits for the steps its rules allow.",
        (
            "dualpath/domain/campaign.py: Phase, phase, SIDES, check_upload, check_consent, check_share, "
            "check_meeting, check_decision, check_network_meeting, DecisionKind, REMINDER_DAYS, share_by, "
            "earliest_meeting, not_discussed_mark, NetworkMeetingPlan",
            "dualpath/settings.py: campaign_share_days_before_meeting (default)",
            "dualpath/workflows/campaign.py: CampaignWorkflow (updates, timers, COORDINATION_TASK_WORKING_DAYS)",
        ),
    )
    has_members(campaign_wf.CampaignWorkflow, CAMPAIGN_COMMANDS)
    samples = campaign_samples(share_days)
    phases = list(get_args(C.Phase))
    event_of = {
        "set_kkr_contacts": cev.KkrContactsSet,
        "upload_list": cev.CampaignListUploaded,
        "record_consent": cev.CampaignConsentRecorded,
        "share_lists": cev.CampaignListsShared,
        "hold_collaboration_meeting": cev.CampaignMeetingHeld,
        "decide": cev.CampaignPersonDecided,
        "plan_network_meeting": cev.CampaignNetworkMeetingPlanned,
    }
    plan_fields = C.NetworkMeetingPlan.model_fields
    notes = {
        "upload_list": "liste efter skabelonen (CSV), hver række valideres; hele listen erstattes",
        "record_consent": f"samtykke pr. person: {', '.join(get_args(C.ConsentState))} "
        f"({', '.join(get_args(C.ConsentForm))}); uden samtykke fra begge sider: ikke drøftet",
        "share_lists": f"begge lister; senest {share_days} dage før samarbejdsmødet (share_by)",
        "hold_collaboration_meeting": f"tidligst {share_days} dage efter delingen (earliest_meeting); "
        "tidligere afvises",
        "decide": "pr. person med samtykke fra begge sider",
        "plan_network_meeting": ", ".join(f"{k}: {plan_fields[k].description}" for k in ("accompaniment", "outreach")),
        "set_kkr_contacts": "KKR's liste over kommunale kontakter",
    }
    b.add(
        "start",
        "startEvent",
        f"Kampagnen åbnes ({cev.CampaignOpened.__name__})",
        detail=(f"share_by = mødet − {share_days} dage",),
    )
    b.flow("start", campaign_status_id(phases[0]))
    for i, phase in enumerate(phases):
        b.add(campaign_status_id(phase), "eventBasedGateway", phase, col=1 + 2 * i)
    for i, phase in enumerate(phases):
        gw = campaign_status_id(phase)
        s = samples[phase]
        steps = campaign_steps(phase, s)
        sign = 1 if i % 2 == 0 else -1
        # The steps that move on stay on the main row.
        ahead = [st for st in steps if C.phase(st[2]) != phase]
        order = ahead + [st for st in steps if st not in ahead]
        j = 0
        decide_gw = None
        for command, label, after in order:
            nxt = C.phase(after)
            target = campaign_status_id(nxt)
            # Where this step's message catch goes: the next place on the phase's side of the main row.
            catch_at = {"col": 2 + 2 * i, "row": sign * j, "detail": (notes[command],)}
            if command == "decide":
                if decide_gw is None:
                    catch = b.message_catch(
                        f"{phase}_decide", f"decide ({event_of[command].__name__})", command, **catch_at
                    )
                    b.flow(gw, catch, command)
                    decide_gw = b.add(
                        f"gw_{phase}_decide",
                        "exclusiveGateway",
                        "Beslutning pr. person",
                        col=2.5 + 2 * i,
                        row=sign * (j + 0.5),
                    )
                    b.flow(catch, decide_gw)
                    j += 1
                b.flow(decide_gw, target, label, condition=label)
                continue
            node = f"{phase}_{slug(label)}"
            catch = b.message_catch(node, f"{label} ({event_of[command].__name__})", command, **catch_at)
            guarded = command == "hold_collaboration_meeting"
            b.flow(
                gw,
                catch,
                f"{label} (tidligst {share_days} dage efter deling)" if guarded else label,
                condition=f"held_on >= shared_on + {share_days} dage" if guarded else None,
            )
            b.flow(catch, target)
            j += 1
        if s.shared_on is None and not s.reminder_sent:  # the workflow's reminder timer runs in this phase
            timer = b.add(
                f"{phase}_reminder",
                "intermediateCatchEvent",
                f"{C.REMINDER_DAYS} dage før share_by, listerne ikke delt",
                event="timer",
                timer=("timeDate", "midnight of reminder_on = share_by - REMINDER_DAYS (Europe/Copenhagen)"),
                col=2 + 2 * i,
                row=sign * j,
            )
            remind = b.add(
                f"{phase}_remind",
                "intermediateThrowEvent",
                f"{cev.CampaignShareReminded.__name__}: opgave til begge sider (frist share_by)",
                col=2.5 + 2 * i,
                row=sign * (j + 0.6),
            )
            b.flow(gw, timer, "påmindelse")
            b.flow(timer, remind)
            b.flow(remind, gw)

    # Per person: the decided start, on its date, unless consent is withdrawn before.
    sp = b.add(
        "person", "subProcess", "Pr. person: start på den besluttede dato", band=1, triggered_by_event=True, col=1
    )
    b.add(
        "person_start",
        "startEvent",
        f"decide ({cev.CampaignPersonDecided.__name__})",
        parent=sp,
        event="message",
        ref="decide",
        interrupting=False,
        col=1,
    )
    b.add("person_gw", "exclusiveGateway", "Beslutning", parent=sp, col=2)
    b.flow("person_start", "person_gw")
    kinds = get_args(C.DecisionKind)
    starts = {
        "integrated": (
            "callActivity",
            f"Ambulant forløb startes ({pathway.PathwayWorkflow.__name__})",
            cev.CampaignPathwayStarted,
            "tidligst når gruppe 2 åbner (group2_opens_on)",
        ),
        "coordinated": (
            "serviceTask",
            "Koordineret behandling starter: opgave til kommunen",
            cev.CoordinationStarted,
            f"frist {campaign_wf.COORDINATION_TASK_WORKING_DAYS} hverdage efter start",
        ),
    }
    for k, kind in enumerate(kinds):
        row = 1.2 * (k - (len(kinds) - 1) / 2)
        if kind not in starts:
            b.add(f"person_{kind}", "endEvent", f"{kind}: ingen start", parent=sp, col=6, row=row)
            b.flow("person_gw", f"person_{kind}", kind, condition=f"decision == '{kind}'")
            continue
        kind_el, title, event, note = starts[kind]
        wait = b.add(f"person_{kind}_wait", "eventBasedGateway", "", parent=sp, col=3, row=row)
        b.flow("person_gw", wait, f"{kind} fra dato", condition=f"decision == '{kind}'")
        timer = b.add(
            f"person_{kind}_timer",
            "intermediateCatchEvent",
            f"from_date ({kind})",
            parent=sp,
            event="timer",
            timer=("timeDate", "midnight of from_date (Europe/Copenhagen)"),
            col=4,
            row=row,
            detail=(note,),
        )
        started = b.add(
            f"person_{kind}_started",
            kind_el,
            title,
            parent=sp,
            col=5,
            row=row,
            called="Process_ambulatory" if kind_el == "callActivity" else None,
            detail=(event.__name__,),
        )
        b.add(f"person_{kind}_end", "endEvent", "started", parent=sp, col=6, row=row)
        refused = b.message_catch(
            f"person_{kind}_refused",
            "record_consent(refused) før start",
            "record_consent",
            parent=sp,
            col=4,
            row=row + 0.55,
        )
        b.add(
            f"person_{kind}_cancelled",
            "endEvent",
            f"cancelled ({cev.CampaignStartCancelled.__name__})",
            parent=sp,
            col=6,
            row=row + 0.55,
        )
        b.flow(wait, timer)
        b.flow(timer, started)
        b.flow(started, f"person_{kind}_end")
        b.flow(wait, refused)
        b.flow(refused, f"person_{kind}_cancelled")
    return b.build()
