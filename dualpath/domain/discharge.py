"""Discharge advice (udskrivelse og overgang; spec §4 "Discharge" and "After discharge").

Pure rules over a `WorkingDayCalendar`. The calendar uses the `holidays`
library, which does not load inside Temporal's workflow sandbox, so
`advise` runs in an activity or the API and its answer (a `DischargeAdvice`)
travels into workflows as data. This module imports the calendar for type
checking only: workflows may import the models below.

Rules:
- a stay of at least `longer_admission_days` (7) ends with a network meeting;
  a shorter one with at least a conversation about the transition, including
  ambulatory follow-up;
- before a planned discharge, leave (orlov) or sleeping at home is offered;
- Fridays are avoided, generalised (interpretation) to any day followed by a
  non-working day: warn and propose the nearest earlier working day that is
  not itself followed by a non-working day (staff may override with a reason,
  which the caller records). A day that is itself a non-working day is warned
  about the same way;
- after discharge: a patient already in an ambulatory pathway gets the
  ambulatory team's home visit on the first working day after discharge; one
  referred but not yet attached gets follow-up by the ambulatory acute team;
  a discharge before non-working days also gets a follow-up over those days
  (a phone call or a visit to the ward; staff judge whether it is needed).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from dualpath.domain.meetings import HOLD_WITHIN_WORKING_DAYS

if TYPE_CHECKING:
    from dualpath.domain.calendar import WorkingDayCalendar

_ONE = timedelta(days=1)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# The default extra closed days (calendar.DEFAULT_EXTRA_CLOSED_DAYS) are not
# public holidays, so the calendar's holiday table does not name them.
_EXTRA_CLOSED_NAMES = {(6, 5): "Constitution Day", (12, 24): "Christmas Eve", (12, 31): "New Year's Eve"}

FollowUpKind = Literal["home_visit", "acute_team_follow_up", "weekend_follow_up"]
FollowUpOwner = Literal["ambulatory_team", "acute_team", "ward"]


class DischargeSettings(BaseModel):
    # "Longer" admission: at least this many days (spec §4 [setting]).
    longer_admission_days: int = Field(default=7, ge=1)
    # The Capital Region's agreement: a network meeting is held within this many working days of being called.
    network_meeting_working_days: int = Field(default=HOLD_WITHIN_WORKING_DAYS, ge=1)


class FollowUp(BaseModel):
    kind: FollowUpKind
    owner: FollowUpOwner
    due: date
    description_da: str
    description_en: str


class DischargeAdvice(BaseModel):
    planned_date: date
    length_of_stay_days: int
    # ≥ longer_admission_days → network meeting; else at least a conversation
    # about the transition, including ambulatory follow-up.
    meeting: Literal["network_meeting", "transition_conversation"]
    # Planned discharge: offer leave (orlov) or sleeping at home first.
    offer_leave: bool
    # The date is followed by a non-working day (the Friday rule, generalised).
    before_non_working_day: bool
    # The date is itself a non-working day (e.g. a Sunday discharge).
    on_non_working_day: bool = False
    # Why the date is advised against, in plain English; None when it is fine.
    warning: str | None
    # The nearest earlier working day not itself followed by a non-working day,
    # and not before admission; None when the date is fine or no such day exists.
    proposed_date: date | None
    follow_ups: list[FollowUp]


class DischargeRefused(ValueError):
    """A discharge date the seeds advise against, kept without the reason."""


def check_reason(advice: DischargeAdvice, reason: str | None) -> None:
    """A discharge before non-working days (a Friday, the day before a holiday) is avoided (seeds 003, 004): one
    that happens all the same is recorded with the reason. (A plan for such a date stays advice, with its
    proposal of an earlier day and the reason if staff keep it.)"""
    if not advice.before_non_working_day or (reason and reason.strip()):
        return
    warning = advice.warning or f"{advice.planned_date} is advised against"
    raise DischargeRefused(f"{warning} {advice.planned_date} is kept only with the reason why, which is recorded")


def meeting_missing(required: str, longer_admission_days: int) -> str:
    """Why a discharge is refused when the meeting it calls for was not held, and what to do."""
    if required == "network_meeting":
        return (
            f"a stay of at least {longer_admission_days} days ends with a network meeting (netværksmøde), and none "
            "was held: call it for this stay (POST /pathways/{id}/meetings with occasion 'discharge' and the "
            "stay_id) and record it as held, or give the reason it could not be held (meeting_reason), which is "
            "recorded"
        )
    return (
        "a short stay ends with at least a conversation about the transition, including ambulatory follow-up, "
        "and none is recorded: complete the transition_conversation task, or give the reason it could not be held "
        "(meeting_reason), which is recorded"
    )


def advise(
    *,
    admitted_on: date,
    planned_date: date,
    planned: bool,
    in_ambulatory_pathway: bool,
    calendar: WorkingDayCalendar,
    settings: DischargeSettings | None = None,
) -> DischargeAdvice:
    """Advice for a discharge on `planned_date` of a patient admitted on `admitted_on`.

    `in_ambulatory_pathway` False means referred to, but not yet attached to,
    an ambulatory clinic (spec §4 "After discharge" names only these two cases).
    """
    settings = settings or DischargeSettings()
    if planned_date < admitted_on:
        raise ValueError(
            f"the planned discharge {_long(planned_date)} is before the admission {_long(admitted_on)}; "
            "correct one of the dates"
        )
    stay = (planned_date - admitted_on).days
    on_non_working = not calendar.is_working_day(planned_date)
    before_non_working = calendar.is_followed_by_non_working_day(planned_date)

    proposed: date | None = None
    warning: str | None = None
    if on_non_working or before_non_working:
        safe = calendar.nearest_earlier_safe_day(planned_date)
        proposed = safe if safe >= admitted_on else None
        warning = _warning(calendar, planned_date, admitted_on, on_non_working, before_non_working, proposed)

    return DischargeAdvice(
        planned_date=planned_date,
        length_of_stay_days=stay,
        meeting="network_meeting" if stay >= settings.longer_admission_days else "transition_conversation",
        offer_leave=planned,
        before_non_working_day=before_non_working,
        on_non_working_day=on_non_working,
        warning=warning,
        proposed_date=proposed,
        follow_ups=_follow_ups(calendar, planned_date, in_ambulatory_pathway, before_non_working),
    )


def network_meeting_hold_by(
    called_on: date, *, calendar: WorkingDayCalendar, settings: DischargeSettings | None = None
) -> date:
    """The last day a network meeting called on `called_on` may be held."""
    settings = settings or DischargeSettings()
    return calendar.add_working_days(called_on, settings.network_meeting_working_days)


def _follow_ups(
    calendar: WorkingDayCalendar, discharge: date, in_ambulatory_pathway: bool, before_non_working: bool
) -> list[FollowUp]:
    first_working_day = calendar.next_working_day(discharge)
    if in_ambulatory_pathway:
        follow_ups = [
            FollowUp(
                kind="home_visit",
                owner="ambulatory_team",
                due=first_working_day,
                description_da="Hjemmebesøg ved det ambulante team første hverdag efter udskrivelsen",
                description_en="Home visit by the ambulatory team on the first working day after discharge",
            )
        ]
    else:
        # The spec gives no day for the acute team's follow-up of a patient
        # referred to but not yet attached to an ambulatory clinic;
        # interpretation: the same first working day as the home visit.
        follow_ups = [
            FollowUp(
                kind="acute_team_follow_up",
                owner="acute_team",
                due=first_working_day,
                description_da="Opfølgning ved det ambulante akutteam første hverdag efter udskrivelsen "
                "(henvist, men endnu ikke tilknyttet et ambulatorium)",
                description_en="Follow-up by the ambulatory acute team on the first working day after discharge "
                "(referred to, but not yet attached to, an ambulatory clinic)",
            )
        ]
    if before_non_working:
        # The ward arranges it where no ambulatory appointment can be had over
        # the non-working days; staff judge whether it is needed at all.
        follow_ups.append(
            FollowUp(
                kind="weekend_follow_up",
                owner="ward",
                due=discharge + _ONE,
                description_da="Opfølgning over weekend/helligdage med akutteamet eller afsnittet: telefonopkald "
                "eller fremmøde i afsnittet, hvor personalet vurderer det nødvendigt",
                description_en="Follow-up over the non-working days with the acute team or the ward: a phone call "
                "or a visit to the ward, where staff judge it necessary",
            )
        )
    return follow_ups


def _warning(
    calendar: WorkingDayCalendar,
    planned: date,
    admitted_on: date,
    on_non_working: bool,
    before_non_working: bool,
    proposed: date | None,
) -> str:
    parts = []
    if on_non_working:
        name = _holiday_name(calendar, planned)
        parts.append(f"{_long(planned)} is itself a non-working day" + (f" ({name})" if name else ""))
    if before_non_working:
        run = []
        d = planned + _ONE
        while not calendar.is_working_day(d):
            run.append(_short(calendar, d))
            d += _ONE
        followed = f"is followed by {_join(run)}"
        parts.append(followed if on_non_working else f"{_long(planned)} {followed}")
    text = " and ".join(parts)
    text += f"; no ambulatory follow-up can be had before {_long(calendar.next_working_day(planned))}."
    text += " Discharge on or just before non-working days is avoided"
    if proposed is not None:
        text += f": the nearest earlier safe day is {_long(proposed)}."
    else:
        text += (
            f", but there is no earlier safe day since the admission on {_long(admitted_on)}: "
            "keep the date and agree follow-up over the non-working days, or choose a later day."
        )
    return text


def _holiday_name(calendar: WorkingDayCalendar, d: date) -> str | None:
    name = calendar.holiday_name(d)
    if name:
        return name
    if (d.month, d.day) in calendar.extra_closed_days:
        return _EXTRA_CLOSED_NAMES.get((d.month, d.day), "closed day")
    return None


def _short(calendar: WorkingDayCalendar, d: date) -> str:
    """'Maundy Thursday 2 April', 'Saturday 4 April'."""
    return f"{_holiday_name(calendar, d) or _WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]}"


def _long(d: date) -> str:
    """'Wednesday 1 April 2026'."""
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
