"""Entry through the acute function (akutfunktion; spec §4 phase 1, issue #18 item 4).

Inpatient phase 1 is the contact at the acute function or reception. A contact that does not end in an
admission is recorded on the patient's pathway all the same: repeated acute contacts are evidence for target
group 2 (spec §6) and the monitoring report counts them per region. A contact that does end in an admission
is recorded as the admission (`POST /acute-admissions`, or the pathway's admission route).

Pure: the caller brings today's date (Copenhagen).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

# What came of a contact at the acute function.
Outcome = Literal["sent_home", "referred", "admitted"]
OUTCOMES: tuple[str, ...] = ("sent_home", "referred", "admitted")
OUTCOME_NAMES: dict[str, str] = {"sent_home": "Sendt hjem", "referred": "Henvist videre", "admitted": "Indlagt"}


class AcuteContactRefused(ValueError):
    """An acute contact that cannot be recorded; says what is allowed."""


def check_contact(contact_on: date, outcome: str, note: str | None, *, today: date) -> None:
    """Refuse a contact in the future, an unknown outcome, or a referral on without saying to whom."""
    if contact_on > today:
        raise AcuteContactRefused(
            f"an acute contact on {contact_on.isoformat()} is in the future: record it on or before {today.isoformat()}"
        )
    if outcome not in OUTCOMES:
        raise AcuteContactRefused(f"unknown outcome {outcome!r}: allowed are {', '.join(OUTCOMES)}")
    if outcome == "referred" and not (note and note.strip()):
        raise AcuteContactRefused("a contact referred on needs a note saying to whom (e.g. the ambulatory clinic)")
