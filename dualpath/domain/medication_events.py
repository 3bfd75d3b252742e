"""Domain events of medication changes, in the pathway's stream `pathway-<pathway_id>`.

`MedicationChangeRecorded` is clinical (the drug): it lives in the event store
and nowhere else — never in an FMK notice, a log line or a search attribute.
The notice events carry only the decision and its key.
"""

from __future__ import annotations

from pydantic import AwareDatetime

from dualpath.domain.events import DomainEvent
from dualpath.domain.medication import MedicationAction


class MedicationChangeRecorded(DomainEvent):
    """A prescription started, changed or stopped (who: the event's actor; when: `changed_at`)."""

    change_id: str
    pathway_id: str
    action: MedicationAction
    drug: str
    changed_at: AwareDatetime
    private: bool


class FmkNoticeSent(DomainEvent):
    """The municipality was advised "FMK changed for this patient" (nothing clinical)."""

    change_id: str
    pathway_id: str
    municipality: str
    idempotency_key: str


class FmkNoticeWithheld(DomainEvent):
    """No notice went out for a change: no consent, privatmarkering, or delivery failed (`idempotency_key` set)."""

    change_id: str
    pathway_id: str
    reason: str
    idempotency_key: str | None = None
