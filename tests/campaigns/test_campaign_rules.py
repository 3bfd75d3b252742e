"""The list template's validation and the campaign's rules, pure."""

from datetime import date, timedelta

import pytest

from dualpath.domain import campaign as rules
from dualpath.domain import campaign_lists

HEADER = "cpr;psychiatric_contact;municipal_substance_treatment;clinic_or_unit"


def _state(**overrides) -> rules.CampaignState:
    base = dict(
        campaign_id="c",
        centre="PC København",
        region="1084",
        municipality="101",
        meeting_planned_on=date(2026, 3, 30),
        share_days=14,
        group2_opens_on=date(2025, 7, 1),
        catalogue_version="v1",
    )
    return rules.CampaignState(**{**base, **overrides})


def _person(pid="p1", **consent) -> rules.Person:
    return rules.Person(
        patient_id=pid,
        rows={"clinic": 2},
        psychiatric_contact="current",
        municipal_substance_treatment=True,
        consent=consent,
    )


def test_a_good_list_parses_with_semicolons_or_commas_and_a_bom():
    text = f"\ufeff{HEADER}\n010190-1234;current;ja;Ambulatorium Nord\n\n020285-2345;within_last_year;JA;\n"
    rows = campaign_lists.parse_list(text)
    assert [(r.row, r.cpr, r.psychiatric_contact, r.clinic_or_unit) for r in rows] == [
        (2, "0101901234", "current", "Ambulatorium Nord"),
        (4, "0202852345", "within_last_year", None),
    ]
    commas = campaign_lists.parse_list("CPR,municipal_substance_treatment,psychiatric_contact\n0101901234,ja,aktuel\n")
    assert commas[0].cpr == "0101901234" and commas[0].psychiatric_contact == "current"


def test_every_bad_row_is_named_with_its_column_and_nothing_is_returned():
    text = (
        f"{HEADER}\n0101901234;current;ja;\n3201901234;current;ja;\n0202852345;sometimes;nej;\n"
        "0101901234;current;ja;\n0303801234;current;\n"
    )
    with pytest.raises(campaign_lists.ListInvalid) as caught:
        campaign_lists.parse_list(text)
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {
        (3, "cpr"),
        (4, "psychiatric_contact"),
        (4, "municipal_substance_treatment"),
        (5, "cpr"),
        (6, None),
    }
    reasons = {(e.row, e.column): e.reason for e in caught.value.errors}
    assert "the same person as row 2" in reasons[(5, "cpr")]
    assert "3201901234" not in reasons[(3, "cpr")]  # never echo a CPR number back
    assert "real date" in reasons[(3, "cpr")]


def test_unknown_or_missing_columns_are_refused_so_names_are_not_uploaded():
    with pytest.raises(campaign_lists.ListInvalid) as caught:
        campaign_lists.parse_list("cpr;name;psychiatric_contact\n0101901234;Jens Hansen;current\n")
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(1, "name"), (1, "municipal_substance_treatment")}
    with pytest.raises(campaign_lists.ListInvalid):
        campaign_lists.parse_list("")
    with pytest.raises(campaign_lists.ListInvalid):
        campaign_lists.parse_list(HEADER + "\n")


def test_windows_1252_from_excel_is_read():
    assert campaign_lists.decode("cpr;enhed\nØst".encode("cp1252")).endswith("Øst")
    assert campaign_lists.decode("\ufeffØst".encode("utf-8")) == "Øst"


def test_the_meeting_may_be_held_only_share_days_after_sharing():
    s = _state(shared_on=date(2026, 3, 10))
    with pytest.raises(rules.CampaignRefused, match="2026-03-24 at the earliest"):
        rules.check_meeting(s, date(2026, 3, 23), today=date(2026, 3, 23))
    rules.check_meeting(s, date(2026, 3, 24), today=date(2026, 3, 24))
    with pytest.raises(rules.CampaignRefused, match="not shared yet"):
        rules.check_meeting(_state(), date(2026, 3, 24), today=date(2026, 3, 24))
    with pytest.raises(rules.CampaignRefused, match="after today"):
        rules.check_meeting(s, date(2026, 3, 25), today=date(2026, 3, 24))
    assert rules.share_by(s) == date(2026, 3, 16) and rules.reminder_on(s) == date(2026, 3, 14)


def test_a_person_without_consent_from_both_sides_is_not_discussed():
    held = _state(
        shared_on=date(2026, 3, 1),
        meeting_held_on=date(2026, 3, 20),
        people=[_person("p1", clinic="given"), _person("p2", clinic="given", municipality="given")],
    )
    assert rules.not_discussed_mark(held.people[0]) == "not discussed: no consent (the municipality not recorded)"
    with pytest.raises(rules.CampaignRefused, match="not discussed without consent"):
        rules.check_decision(held, "p1", "not_relevant", None, today=date(2026, 3, 20))
    rules.check_decision(held, "p2", "integrated", date(2026, 4, 1), today=date(2026, 3, 20))
    with pytest.raises(rules.CampaignRefused, match="needs the date"):
        rules.check_decision(held, "p2", "coordinated", None, today=date(2026, 3, 20))
    with pytest.raises(rules.CampaignRefused, match="has passed"):
        rules.check_decision(held, "p2", "integrated", date(2026, 3, 19), today=date(2026, 3, 20))
    not_held = held.model_copy(update={"meeting_held_on": None})
    with pytest.raises(rules.CampaignRefused, match="collaboration meeting"):
        rules.check_decision(not_held, "p2", "integrated", date(2026, 4, 1), today=date(2026, 3, 20))
    late_opening = held.model_copy(update={"group2_opens_on": date(2026, 5, 1)})
    with pytest.raises(rules.CampaignRefused, match="opens in region 1084 on 2026-05-01"):
        rules.check_decision(late_opening, "p2", "integrated", date(2026, 4, 1), today=date(2026, 3, 20))


def test_no_list_after_sharing_and_sharing_needs_both_lists():
    with pytest.raises(rules.CampaignRefused, match="the municipality has not uploaded"):
        rules.check_share(_state(uploaded={"clinic": date(2026, 3, 1)}))
    rows = [rules.ListedRow(patient_id="p", row=2, psychiatric_contact="current", municipal_substance_treatment=True)]
    rules.check_upload(_state(), "clinic", rows)
    with pytest.raises(rules.CampaignRefused, match="shared on 2026-03-01"):
        rules.check_upload(_state(shared_on=date(2026, 3, 1)), "clinic", rows)


def test_the_timetable_is_sorted_by_date():
    s = _state(
        people=[
            _person("late").model_copy(update={"from_date": date(2026, 5, 1), "decision": "integrated"}),
            _person("none"),
            _person("early").model_copy(
                update={"from_date": date(2026, 4, 1) - timedelta(days=1), "decision": "coordinated"}
            ),
        ]
    )
    assert [p.patient_id for p in rules.timetable(s)] == ["early", "late"]
