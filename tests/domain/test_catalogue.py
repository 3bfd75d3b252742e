import re

import pytest
from pydantic import ValidationError

from dualpath.domain.catalogue import CURRENT_VERSION, Catalogue, load_catalogue

CAT = load_catalogue()


def _keys(activities):
    return [a.key for a in activities]


def test_current_version_loads_and_is_cached():
    assert CURRENT_VERSION == "v1"
    assert CAT.version == "v1"
    assert load_catalogue("v1") is CAT


def test_unknown_version_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown catalogue version 'v9'; known: v1"):
        load_catalogue("v9")


def test_ambulatory_phases():
    assert [(p.number, p.key, p.name_da) for p in CAT.ambulatory] == [
        (1, "opstart", "Opstart"),
        (2, "ustabil", "Ustabil"),
        (3, "stabil", "Stabil"),
        (4, "overgang_afslutning", "Overgang/afslutning"),
    ]


def test_inpatient_phases():
    assert [p.name_da for p in CAT.inpatient] == [
        "Henvendelse i akutfunktion/modtagelse",
        "Diagnostik og behandlingsplan",
        "Patienten modtager behandling",
        "Udskrivelse og overgang",
    ]


@pytest.mark.parametrize(
    "number, expected",
    [
        (1, {"screening_diagnostics", "treatment_plan", "contact_person", "consent_dialogue"}),
        (2, {"intensive_outreach_contact", "crisis_plan", "harm_reduction"}),
        (3, {"relapse_prevention", "psychosocial_rehabilitation", "lowered_intensity"}),
        (4, {"network_meeting", "startup_meeting_accompaniment", "bridging_plan"}),
    ],
)
def test_ambulatory_mandatory_activities(number, expected):
    assert set(_keys(CAT.mandatory("ambulatory", number))) == expected


def test_mandatory_leaves_out_optional_activities():
    opstart = CAT.phase("ambulatory", 1)
    assert "social_support_coordination" in _keys(opstart.activities)
    assert "social_support_coordination" not in _keys(CAT.mandatory("ambulatory", 1))


def test_inpatient_conditions_follow_seed_003():
    admission = {a.key: a for a in CAT.mandatory("inpatient", 1)}
    assert admission["consent_municipal_information"].condition == "municipal_substance_treatment"
    discharge = {a.key: a for a in CAT.mandatory("inpatient", 4)}
    assert discharge["network_meeting"].condition == "longer_admission"
    assert discharge["transition_conversation"].condition == "short_admission"
    assert discharge["follow_up_arrangement"].condition is None
    leave = {a.key: a for a in CAT.phase("inpatient", 4).activities}["leave_offer"]
    assert not leave.mandatory  # "så vidt muligt"


@pytest.mark.parametrize("kind", ["ambulatory", "inpatient"])
def test_every_phase_is_fully_described(kind):
    for phase in getattr(CAT, kind):
        assert phase.criteria and all(c.strip() for c in phase.criteria)
        assert phase.purpose.strip() and phase.patient_experience.strip()
        assert phase.standards_and_tools and phase.source
        assert CAT.mandatory(kind, phase.number)
        for a in phase.activities:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", a.key)
            assert a.name_da.strip() and a.due_days >= 0


def test_unknown_phase_or_kind_is_refused():
    with pytest.raises(ValueError, match="no ambulatory phase 5"):
        CAT.phase("ambulatory", 5)
    with pytest.raises(ValueError, match="unknown pathway kind 'outpatient'"):
        CAT.mandatory("outpatient", 1)  # type: ignore[arg-type]


def test_catalogue_is_frozen():
    with pytest.raises(ValidationError):
        CAT.version = "v2"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        CAT.ambulatory[0].key = "x"  # type: ignore[misc]


def _raw() -> dict:
    return CAT.model_dump()


def test_duplicate_activity_keys_are_refused():
    raw = _raw()
    acts = raw["ambulatory"][0]["activities"]
    acts.append(dict(acts[0]))
    with pytest.raises(ValidationError, match="duplicate activity keys"):
        Catalogue.model_validate(raw)


def test_phases_must_be_numbered_one_to_four():
    raw = _raw()
    raw["inpatient"] = raw["inpatient"][:3]
    with pytest.raises(ValidationError, match="inpatient phases must be numbered 1, 2, 3, 4"):
        Catalogue.model_validate(raw)


@pytest.mark.parametrize(
    "field, value", [("owner_role", "nurse"), ("due_days", -1), ("key", "Network Meeting"), ("condition", "sometimes")]
)
def test_activity_fields_are_checked(field, value):
    raw = _raw()
    raw["ambulatory"][3]["activities"][0][field] = value
    with pytest.raises(ValidationError):
        Catalogue.model_validate(raw)


def test_the_catalogue_round_trips_through_its_own_dump():
    assert Catalogue.model_validate(_raw()) == CAT
