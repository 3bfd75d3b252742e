"""The transition's pure rules (spec §5, seed 002): the gateway, principle 3, the no-consent branch, due days."""

from datetime import date

import pytest

from dualpath.domain import transition as rules
from dualpath.domain import transition_records as records
from dualpath.domain import triage
from dualpath.domain.transition import Situation, TransitionRefused
from dualpath.settings import Settings

TODAY = date(2026, 11, 20)


def _s(state, branch="dialogue", settled=None, direction="to_integrated", recommends=None) -> Situation:
    return Situation(direction=direction, branch=branch, state=state, settled=settled, recommends_transition=recommends)


@pytest.mark.parametrize("state", ["reported", "assessed", "disagreed", "collaboration_meeting_held"])
@pytest.mark.parametrize("command", ["call_network_meeting", "record_network_meeting", "record_patient_talk"])
def test_nothing_reaches_the_patient_before_the_parties_agree(state, command):
    with pytest.raises(TransitionRefused, match="not involved before the parties agree"):
        rules.check_command(_s(state), command)
    assert not rules.patient_may_be_involved(_s(state))
    with pytest.raises(TransitionRefused, match="not involved before the parties agree"):
        rules.check_new_task(_s(state), records.NewTask(title="tell the patient", involves_patient=True))


def test_after_agreement_who_says_what_comes_before_the_network_meeting():
    agreed = _s("agreed", settled="transition")
    assert rules.patient_may_be_involved(agreed)
    assert rules.allowed_commands(agreed)[:2] == ["record_who_says_what", "record_patient_talk"]
    with pytest.raises(TransitionRefused, match="who says what"):
        rules.check_command(agreed, "call_network_meeting")
    rules.check_command(_s("who_says_what_agreed", settled="transition"), "call_network_meeting")
    with pytest.raises(TransitionRefused, match="call the network meeting"):
        rules.check_command(_s("who_says_what_agreed", settled="transition"), "record_network_meeting")
    with pytest.raises(TransitionRefused, match="both parties"):
        rules.check_who_says_what(agreed, records.WhoSaysWhat(statements=[{"party": "region", "says": "x"}]))


def test_psychiatrys_decision_for_a_transition_lets_the_flow_go_on_to_the_network_meeting():
    decided = _s("psychiatry_decided", settled="transition")
    assert rules.patient_may_be_involved(decided) and rules.current_step(decided) == "who_says_what"


def test_agreeing_on_no_transition_goes_straight_to_completion():
    s = _s("agreed", settled="no_transition")
    assert rules.current_step(s) == "completion"
    assert rules.allowed_commands(s) == ["complete", "add_task", "complete_task"]
    assert not rules.patient_may_be_involved(s)
    assert rules.outcome_at_completion(s, patient_agrees=None) == "no_transition"


def test_without_consent_nothing_goes_to_the_municipality():
    reported = _s("reported", branch="no_consent")
    answer = records.Assessment(assessment="worse", recommends_transition=True, answer_to_municipality="yes")
    with pytest.raises(TransitionRefused, match="nothing is shared with the municipality"):
        rules.check_assessment(reported, answer)
    rules.check_assessment(reported, answer.model_copy(update={"answer_to_municipality": None}))
    alone = _s("assessed_alone", branch="no_consent", recommends=True)
    for command in ("record_agreement", "record_collaboration_meeting", "call_network_meeting"):
        with pytest.raises(TransitionRefused, match="nothing is shared with the municipality"):
            rules.check_command(alone, command)
    with pytest.raises(TransitionRefused, match="nothing is shared with the municipality"):
        rules.check_new_task(alone, records.NewTask(title="x", owner="municipality", involves_patient=False))
    assert rules.current_step(alone) == "patient_talk" and rules.step_owner("patient_talk", "to_integrated") == (
        "region",
        "clinician",
    )
    talked = _s("patient_talk_held", branch="no_consent", recommends=True)
    assert rules.outcome_at_completion(talked, patient_agrees=True) == "transition"
    assert rules.outcome_at_completion(talked, patient_agrees=False) == "no_transition"


def test_with_consent_the_region_must_answer_the_municipality():
    with pytest.raises(TransitionRefused, match="answer to the municipality"):
        rules.check_assessment(_s("reported"), records.Assessment(assessment="worse", recommends_transition=True))


def test_psychiatry_deciding_against_says_what_it_would_take():
    s = _s("collaboration_meeting_held")
    with pytest.raises(TransitionRefused, match="what it would take"):
        rules.check_decision(s, records.PsychiatryDecision(decision="no_transition", reason="not chaotic enough"))
    rules.check_decision(s, records.PsychiatryDecision(decision="no_transition", reason="r", what_it_would_take="w"))
    # Psychiatry decides only after a collaboration meeting that did not agree.
    with pytest.raises(TransitionRefused, match="not a step it can take now"):
        rules.check_decision(_s("disagreed"), records.PsychiatryDecision(decision="transition", reason="r"))


def test_a_collaboration_meeting_is_held_without_the_patient():
    m = records.CollaborationMeeting(
        held_on=TODAY,
        attendees=[{"role": "patient", "organisation": "patient"}],
        region_view="a",
        municipality_view="b",
        outcome="agree",
    )
    with pytest.raises(TransitionRefused, match="without the patient"):
        rules.check_collaboration_meeting(_s("disagreed"), m, today=TODAY, reported_on=TODAY)


def test_a_move_back_awaits_the_pathways_own_closure():
    s = _s("closure_awaited", direction="to_coordinated", settled="transition")
    assert rules.current_step(s) == "closure" and rules.allowed_commands(s) == []
    with pytest.raises(TransitionRefused, match="bridging plan"):
        rules.check_command(s, "complete")


def test_due_days_are_settings_over_the_defaults():
    assert Settings(_env_file=None).transition_step_due_days == rules.DEFAULT_STEP_DUE_DAYS
    assert rules.step_due_days({"assessment": 1})["assessment"] == 1
    assert rules.step_due_days({"assessment": 1})["agreement"] == rules.DEFAULT_STEP_DUE_DAYS["agreement"]
    with pytest.raises(ValueError, match="unknown steps"):
        rules.step_due_days({"assesment": 1})
    with pytest.raises(ValueError, match="0–120"):
        rules.step_due_days({"assessment": -1})
    every_step = {
        rules.current_step(_s(st, branch=b, settled=o))
        for st in rules.State.__args__
        for b in ("dialogue", "no_consent")
        for o in ("transition", "no_transition")
        if st != "completed"
    }
    assert every_step <= set(rules.DEFAULT_STEP_DUE_DAYS) | {None}


def test_the_target_group_follows_the_psychiatric_contact():
    assert triage.transition_target_group("current") == 2
    assert triage.transition_target_group("within_last_year") == 2
    assert triage.transition_target_group("none") == 3
    assert triage.transition_target_group(None) is None
