"""The pure rule: may the municipality be told that FMK changed?"""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from dualpath.domain import medication
from dualpath.domain.consent import Consent
from dualpath.domain.medication import MedicationChange, notice_decision


def _consent(state="given", counterpart="751", scope="inform_municipal_treatment") -> Consent:
    return Consent(scope=scope, counterpart=counterpart, state=state, form="written")


def test_consent_for_the_pathways_municipality_sends():
    assert notice_decision([_consent()], "751", private=False) == (True, medication.SENT)


def test_a_private_marked_prescription_is_never_shared_whatever_the_consent():
    decision = notice_decision([_consent()], "751", private=True)
    assert decision == (False, medication.PRIVATE_MARKED)
    assert "privatmarkering" in decision.reason
    assert not decision.seek_consent  # asking for consent would not change it
    assert not notice_decision([], "751", private=True).seek_consent


@pytest.mark.parametrize(
    "consents, reason",
    [
        ([], medication.NO_CONSENT),
        ([_consent(counterpart="101")], medication.NO_CONSENT),  # given, but to another municipality
        ([_consent(scope="dialogue")], medication.NO_CONSENT),  # another scope
        ([_consent(state="withdrawn")], medication.WITHDRAWN),
        ([_consent(state="refused")], medication.REFUSED),
        ([_consent(counterpart="101"), _consent(state="withdrawn")], medication.WITHDRAWN),
    ],
)
def test_without_consent_for_this_municipality_nothing_is_sent_and_consent_is_sought(consents, reason):
    decision = notice_decision(consents, "751", private=False)
    assert decision == (False, reason)
    assert decision.seek_consent
    assert "inform_municipal_treatment" in medication.NO_CONSENT


def test_a_change_needs_a_known_action_a_drug_and_a_zoned_time():
    ok = dict(action="start", drug="quetiapin", changed_at=datetime(2026, 4, 1, 9, 30, tzinfo=UTC), private=False)
    MedicationChange(**ok)
    for bad in ({"action": "pause"}, {"drug": ""}, {"changed_at": datetime(2026, 4, 1, 9, 30)}):
        with pytest.raises(ValidationError):
            MedicationChange(**{**ok, **bad})
