"""Medication changes and whether the municipality hears of them (spec §4 "Medication", §7 "Consent").

The prescription itself is changed in FMK (Fælles Medicinkort) by the
prescriber's own system. The engine records each change (start, change, stop;
the drug; when; whether the patient has marked the prescription private) and,
where allowed, advises the municipal practitioners that FMK changed. The
notice carries nothing clinical (see `dualpath.activities.fmk.FmkNotice`); the
drug stays in the event store.

`notice_decision` is the rule, pure and in one place:
- a private-marked prescription (*privatmarkering*) is never shared, whatever
  the consents say;
- otherwise a notice goes out only while the patient's consent to keep
  municipal substance treatment informed (scope `inform_municipal_treatment`)
  is given *for the pathway's own municipality*. A consent given for another
  municipality is no consent for this one; a withdrawal takes effect at once.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import AwareDatetime, Field

from dualpath.domain.consent import Consent
from dualpath.domain.validation import Input, Line

MedicationAction = Literal["start", "change", "stop"]

SCOPE = "inform_municipal_treatment"

SENT = "sent"
PRIVATE_MARKED = "private-marked prescription (privatmarkering): never shared"
NO_CONSENT = "no consent to keep municipal substance treatment informed (scope inform_municipal_treatment)"
WITHDRAWN = "consent withdrawn"
REFUSED = "consent refused"

# Staff tasks the medication rules open (owner: the pathway's region; never mandatory,
# so they never block a phase move).
SEEK_CONSENT_TASK = "seek_consent_inform_municipality"
SEEK_CONSENT_TITLE = "Indhent samtykke til at orientere kommunens rusmiddelbehandling"
SEEK_CONSENT_DUE_DAYS = 7
NOTICE_FAILED_TASK = "fmk_notice_failed"
NOTICE_FAILED_TITLE = "FMK-besked kunne ikke sendes"
NOTICE_FAILED_DUE_DAYS = 1


class MedicationChange(Input):
    """One change of a prescription, as the clinician records it. Clinical: stays in the event store."""

    action: MedicationAction
    drug: Line = Field(min_length=1, max_length=200)
    changed_at: AwareDatetime
    private: bool = Field(description="The patient has marked the prescription private (privatmarkering)")


class NoticeDecision(NamedTuple):
    send: bool
    reason: str

    @property
    def seek_consent(self) -> bool:
        """Withheld for want of consent (not for privatmarkering): the clinician should seek it."""
        return not self.send and self.reason != PRIVATE_MARKED


def notice_decision(consents: list[Consent], municipality: str, private: bool) -> NoticeDecision:
    """May the municipality `municipality` be told that FMK changed? (send, the reason in words)."""
    if private:
        return NoticeDecision(False, PRIVATE_MARKED)
    current = next((c for c in consents if c.scope == SCOPE and c.counterpart == municipality), None)
    if current is None:
        return NoticeDecision(False, NO_CONSENT)
    if current.state == "given":
        return NoticeDecision(True, SENT)
    if current.state == "withdrawn":
        return NoticeDecision(False, WITHDRAWN)
    return NoticeDecision(False, REFUSED)
