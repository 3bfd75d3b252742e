"""Messages other workflows receive from a meeting.

Kept apart from `meeting.py` so the pathway workflow can import them without
importing the meeting workflow (and the meeting workflow never imports the pathway).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from dualpath.domain.meetings import MeetingKind

MEETING_HELD_SIGNAL = "meeting_held"


class MeetingHeldSignal(BaseModel):
    """Signal `meeting_held` to the pathway's workflow: a meeting on the pathway has been held
    (e.g. the phase-4 netværksmøde that gates a planned transition)."""

    meeting_id: str
    kind: MeetingKind
    held_on: date
