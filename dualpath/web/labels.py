"""The Danish words the pages show for the engine's identifiers (the spec's glossary).

Only words: no rule lives here. Unknown identifiers are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dualpath.domain import acute, ambulatory, inpatient, joint_plans, leave, municipalities, relatives
from dualpath.domain.meetings import DANISH_NAMES as MEETING_NAMES
from dualpath.domain.meetings import OCCASION_NAMES

ROLES = {
    "clinician": "Behandler (psykiatrien)",
    "visitation": "Visitator (psykiatrien)",
    "municipality": "Kommunal medarbejder",
    "ops": "Drift",
    "gp": "Praktiserende læge",
}

ROLES_SHORT = {
    "clinician": "Behandler",
    "visitation": "Visitator",
    "municipality": "Kommune",
    "ops": "Drift",
    "gp": "Praktiserende læge",
}

LEVELS = {
    "primary": "Behandling i primærsektoren",
    "coordinated": "Koordineret (parallel) behandling",
    "integrated_stable": "Integreret behandling – stabil",
    "integrated_unstable": "Integreret behandling – ustabil",
    "inpatient": "Indlagt (døgnafsnit)",
}

PATHWAY_STATUS = {"active": "Aktivt forløb", "ended": "Afsluttet"}

REFERRAL_STATUS = {
    "awaiting_visitation": "Afventer visitation",
    "held_until_phase_in": "Afventer indfasning af målgruppen",
    "not_eligible": "Opfylder ikke kriterierne",
    "accepted": "Accepteret",
    "declined": "Afvist",
    "attached": "Knyttet til et åbent forløb",
}

SOURCES = {
    "municipality": "Kommune (fx rusmiddelbehandlingen)",
    "general_practice": "Almen praksis (egen læge)",
    "psychiatric_clinic": "Psykiatrisk ambulatorium",
    "acute_function": "Akutfunktion",
    "inpatient_ward": "Sengeafsnit (døgnafsnit)",
}

PSYCHIATRIC_CONTACT = {
    "current": "Aktuel kontakt med psykiatrien",
    "within_last_year": "Kontakt med psykiatrien inden for det seneste år, ikke nu",
    "none": "Ingen kontakt med psykiatrien",
}

MENTAL_ILLNESS = {
    "severe": "Svær",
    "moderate": "Moderat",
    "suspected": "Mistanke om moderat til svær psykisk lidelse",
    "mild": "Let",
    "none": "Ingen",
}

# The four visitation criteria (spec §1), in the order the engine checks them.
CRITERIA = [
    ("mental_illness", "1. Behandlingskrævende psykisk lidelse af moderat til svær grad, eller mistanke herom"),
    ("substance_problem", "2. Samtidig rusmiddelproblematik"),
    ("reduced_functioning", "3. Nedsat funktionsevne"),
    (
        "parallel_treatment_insufficient",
        "4. Parallel (koordineret) behandling er ikke tilstrækkelig eller har ikke virket",
    ),
]

CONSENT_SCOPES = {
    "dialogue": "Dialog mellem region og kommune",
    "inform_municipal_treatment": "Orientering af kommunal rusmiddelbehandling (indlæggelse, udskrivelse, FMK)",
    "involve_relative": "Inddragelse af en navngiven pårørende",
}
CONSENT_STATES = {"given": "Givet", "refused": "Afslået", "withdrawn": "Trukket tilbage"}
CONSENT_FORMS = {"written": "Skriftligt", "oral": "Mundtligt"}

COURSE_STATUS = {"active": "Følges op", "relapsed": "Henvist igen til visitationen", "ended": "Opfølgningen er slut"}
TASK_STATES = {"open": "Åben", "done": "Udført", "not_possible": "Ikke muligt", "cancelled": "Annulleret"}

END_REASONS = {
    "transition_coordinated": "Planlagt overgang til koordineret behandling",
    "transition_outside_psychiatry": "Planlagt overgang til forløb uden for psykiatrien",
    "patient_declined": "Patienten ønsker ikke at fortsætte",
    "moved_away": "Patienten er fraflyttet",
    "died": "Patienten er død",
    "other": "Anden årsag",
}
PLANNED_ENDS = {e.value for e in ambulatory.PLANNED_ENDS}

MEETING_KINDS = {k: v[0].upper() + v[1:] for k, v in MEETING_NAMES.items()}
LEAVE_KINDS = leave.KIND_NAMES
LEAVE_WENT = leave.WENT_NAMES
MEETING_OCCASIONS = {k: v[0].upper() + v[1:] for k, v in OCCASION_NAMES.items()}
# The meeting a discharge calls for (spec §4): after a longer stay, after a short one.
DISCHARGE_MEETINGS = {
    "network_meeting": "Netværksmøde (længere indlæggelse)",
    "transition_conversation": "Samtale om overgangen (kort indlæggelse)",
}
MEETING_STATUS = {"called": "Indkaldt", "scheduled": "Planlagt", "held": "Afholdt", "cancelled": "Aflyst"}
JOINT_PLANS = {
    "udskrivningsaftale": "Udskrivningsaftale",
    "koordinationsplan": "Koordinationsplan",
    "koordinerende_indsatsplan": "Koordinerende indsatsplan",
}

PLAN_PARTIES = joint_plans.PARTY_NAMES
ACUTE_OUTCOMES = acute.OUTCOME_NAMES
VIA = {"acute_function": "Via akutfunktion/modtagelse", "planned": "Planlagt indlæggelse"}
STAY_STATUS = {"admitted": "Indlagt", "discharged": "Udskrevet"}
FOLLOW_UPS = {
    "home_visit": "Hjemmebesøg ved det ambulante team",
    "acute_team": "Opfølgning ved det ambulante akutteam",
    "ward_contact": "Kontakt med afsnittet over fridagene (besøg eller telefon)",
    "acute_team_weekend": "Akutteamet over de kommende fridage",
}

PHASES = ambulatory.PHASE_NAMES
RELATIONS = relatives.RELATION_NAMES_DA
STAY_PHASES = inpatient.PHASE_NAMES

EVENTS = {
    "PathwayStarted": "Forløbet startede",
    "PhaseChanged": "Fase skiftet",
    "LevelOfCareChanged": "Behandlingsniveau ændret",
    "PathwayEnded": "Forløbet afsluttet",
    "TaskOpened": "Opgave oprettet",
    "TaskCompleted": "Opgave lukket",
    "TaskCancelled": "Opgave annulleret",
    "TaskOverdue": "Opgave overskredet",
    "ConsentRecorded": "Samtykke registreret",
    "AdmissionRecorded": "Indlæggelse",
    "StayDischargeRecorded": "Udskrivelse",
    "ReferralAttached": "Henvisning knyttet til forløbet",
    "MeetingHeld": "Møde afholdt",
    "JointPlanRecorded": "Fælles plan",
    "MedicationChanged": "Medicinændring (FMK)",
    "FirstTreatmentContact": "Første behandlingskontakt",
    "AcuteContactRecorded": "Kontakt i akutfunktionen",
    "ScreeningRecorded": "Screening (AUDIT/DUDIT)",
    "RelativeAdded": "Pårørende tilføjet",
    "RelativeRemoved": "Pårørende fjernet",
    "FirstContactDeadlineApproaching": "Fristen for behandlingsstart nærmer sig (§ 82c)",
    "FirstContactDeadlinePassed": "Fristen for behandlingsstart er overskredet (§ 82c)",
}

# Where the §82c clock stands (domain/first_contact.py `Status`): start within 14 days of receipt.
START_STATUS = {
    "started_in_time": "Behandlingen startede inden for fristen",
    "started_late": "Behandlingen startede efter fristen",
    "started": "Behandlingen er startet (ingen § 82c-frist: forløbet er ikke startet af en henvisning)",
    "running": "Fristen løber",
    "warned": "Fristen nærmer sig: første behandlingskontakt mangler",
    "passed": "Fristen er overskredet: første behandlingskontakt mangler",
    "not_started": "Første behandlingskontakt er ikke registreret (ingen § 82c-frist)",
}


def role(value: str) -> str:
    return ROLES.get(value, value)


def org(value: str) -> str:
    """'region:1082' → 'Region Midtjylland'; 'municipality:751' → 'Aarhus (751)'."""
    kind, _, code = value.partition(":")
    if kind == "region":
        return municipalities.REGIONS.get(code, f"Region {code}")
    if kind == "municipality":
        return municipality(code)
    if kind == "ops":
        return "Drift"
    if kind == "practice":
        return f"Lægepraksis (ydernr. {code})"
    return value


def counterpart(scope: str | None, value: str | None) -> str:
    """A consent's counterpart: a municipality, or (involve_relative) a relative by the first part of their id."""
    if scope == relatives.INVOLVE_RELATIVE:
        return f"pårørende {str(value or '')[:8]}"
    return municipality(value)


def participant_org(value: str, relative_names: dict[str, str]) -> str:
    """A participant's organisation as written, but a relative (`relative:<id>`) by their name where the reader may
    read it (the register's name, through the disclosure policy), else by the first part of their id."""
    if not value.startswith(relatives.RELATIVE_ORGANISATION):
        return value
    rid = value.removeprefix(relatives.RELATIVE_ORGANISATION)
    return relative_names.get(rid) or f"pårørende {rid[:8]}"


def participant_role(value: str) -> str:
    """A meeting participant's role in Danish where it is one of the people around the patient."""
    return relatives.PARTICIPANT_ROLE_NAMES_DA.get(value, value)


def region(code: str | None) -> str:
    return municipalities.REGIONS.get(code or "", code or "–")


def municipality(code: str | None) -> str:
    if not code:
        return "–"
    try:
        return f"{municipalities.municipality(code).name} ({code})"
    except ValueError:
        return f"kommune {code}"


def all_municipalities() -> list[tuple[str, str]]:
    return sorted(((m.code, m.name) for m in municipalities.MUNICIPALITIES), key=lambda m: m[1])


def _date(value: Any) -> str:
    """'2026-12-07' → '07.12.2026' (event data carries ISO dates)."""
    text = str(value or "")
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}.{text[5:7]}.{text[0:4]}"
    return text


def _word(table: Mapping[Any, str], value: Any, unknown: str | None = None) -> str:
    """The word for an identifier from an event's data: else `unknown`, or the identifier as it is."""
    if value in table:
        return table[value]
    if unknown is not None:
        return unknown
    return "" if value is None else str(value)


def _because(d: dict[str, Any]) -> str:
    return f" · {d['reason']}" if d.get("reason") else ""


def event_summary(entry: Any, task_titles: dict[str, str] | None = None) -> str:
    """A line about what an event says (clinical roles only get `data`; others see the type)."""
    d: dict[str, Any] = entry.data or {}
    t = entry.type
    if not d:
        return ""
    title = (task_titles or {}).get(d.get("task_id", ""), "")
    if t == "PhaseChanged":
        return (
            f"Fase {d.get('from_phase')} {_word(PHASES, d.get('from_phase'), '')} → {d.get('to_phase')} "
            f"{_word(PHASES, d.get('to_phase'), '')}" + _because(d)
        )
    if t == "PathwayStarted":
        return (
            f"Fase {d.get('phase')} {_word(PHASES, d.get('phase'), '')} · {_word(LEVELS, d.get('level_of_care'), '')}"
        )
    if t == "LevelOfCareChanged":
        return (
            f"{_word(LEVELS, d.get('from_level')) or '–'} → {_word(LEVELS, d.get('to_level')) or '–'} · "
            f"{d.get('reason', '')}"
        )
    if t == "TaskOpened":
        return f"{d.get('title', d.get('kind', ''))} · frist {_date(d.get('due'))}"
    if t == "TaskCompleted":
        return " · ".join(x for x in (title, _word(TASK_STATES, d.get("outcome")), d.get("note") or "") if x)
    if t == "TaskCancelled":
        return " · ".join(x for x in (title, d.get("reason", "")) if x)
    if t == "TaskOverdue":
        return " · ".join(x for x in (title, f"frist {_date(d.get('due'))}") if x)
    if t in ("RelativeAdded", "RelativeRemoved"):
        return f"{_word(RELATIONS, d.get('relation'))} · id {str(d.get('relative_id', ''))[:8]}"
    if t == "ConsentRecorded":
        return (
            f"{_word(CONSENT_SCOPES, d.get('scope'))} · {counterpart(d.get('scope'), d.get('counterpart'))} · "
            f"{_word(CONSENT_STATES, d.get('state'))} ({_word(CONSENT_FORMS, d.get('form'), '')})"
        )
    if t == "PathwayEnded":
        return _word(END_REASONS, d.get("reason_kind")) + _because(d)
    if t == "AdmissionRecorded":
        return f"{_word(VIA, d.get('via'))} · indlagt {_date(d.get('admitted_on'))}"
    if t == "StayDischargeRecorded":
        return f"Udskrevet {_date(d.get('discharged_on'))}"
    if t == "AcuteContactRecorded":
        return f"{_date(d.get('contact_on'))} · {_word(ACUTE_OUTCOMES, d.get('outcome'))}"
    if t == "ScreeningRecorded" and "total" in d:
        return (
            f"{d.get('instrument', '')} {_date(d.get('screened_on'))} · score {d.get('total')} · zone {d.get('zone')}"
        )
    return ""


def actor(by: dict[str, Any] | None) -> str:
    if not by:
        return ""
    if by.get("role") == "engine":
        return "motoren"
    return (
        f"{by.get('subject', '')} · {ROLES_SHORT.get(by.get('role', ''), by.get('role', ''))}, "
        f"{org(by.get('organisation', ''))}"
    )
