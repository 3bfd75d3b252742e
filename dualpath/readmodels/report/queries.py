"""The monitoring report's reads: a handful of set-based queries over the read models, in one
consistent snapshot, handed to the (pure) assembly."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg

from dualpath import workflow_ids
from dualpath.domain import copenhagen
from dualpath.domain.events import ReferralAccepted
from dualpath.domain.municipalities import REGIONS
from dualpath.readmodels.competences import competence_report
from dualpath.readmodels.projection import streams_of
from dualpath.readmodels.report.assembly import assemble
from dualpath.readmodels.report.model import CompetenceTotals, MonitoringReport

REFERRAL_STREAM_PREFIX = streams_of(workflow_ids.referral_stream)

# $1 is the region (NULL for all), $2 the report's day where a query needs it.
# Each is one aggregate or one narrow scan; joins go through primary keys and
# the pathway_id indexes, and the region filter through the (region, status…) ones.

Q_REFERRALS = """
SELECT region, target_group AS grp, status, count(*)::int AS n,
       count(*) FILTER (WHERE status = 'awaiting_visitation' AND start_deadline < $2)::int AS past_deadline
FROM rm_referrals
WHERE region IS NOT NULL AND ($1::text IS NULL OR region = $1)
GROUP BY region, target_group, status"""

Q_PATHWAYS = """
SELECT region, target_group AS grp, status, phase, level_of_care, end_reason, count(*)::int AS n
FROM rm_pathways
WHERE ($1::text IS NULL OR region = $1)
GROUP BY region, target_group, status, phase, level_of_care, end_reason"""

# The acceptance instant is the ReferralAccepted event's. LATERAL … LIMIT 1
# looks it up per accepted referral through the (stream_id, version) index of
# the referral's own short stream, so the cost follows the referrals, never the
# size of the whole event store. The pathway it started gives its first treatment
# contact (the §82c clock stops there) and its end, through the primary key.
Q_ACCEPTED = f"""
SELECT r.region, r.target_group AS grp, r.start_deadline, e.recorded_at AS accepted_at,
       p.first_contact_on, p.ended_at
FROM rm_referrals r
LEFT JOIN rm_pathways p ON p.pathway_id = r.pathway_id
CROSS JOIN LATERAL (
    SELECT recorded_at FROM events
    WHERE stream_id = '{REFERRAL_STREAM_PREFIX}' || r.referral_id AND type = '{ReferralAccepted.type_name()}'
    ORDER BY version LIMIT 1
) e
WHERE r.status = 'accepted' AND ($1::text IS NULL OR r.region = $1)"""

# Pathways started without a referral (by a transition from coordinated treatment, or a group-2 campaign:
# their origin id is not a referral's). They count in the phase-in beside the accepted referrals.
Q_OTHER_STARTS = """
SELECT p.region, p.target_group AS grp, p.started_at, p.first_contact_on
FROM rm_pathways p
WHERE NOT EXISTS (SELECT 1 FROM rm_referrals r WHERE r.referral_id = p.referral_id)
  AND ($1::text IS NULL OR p.region = $1)"""

Q_DISCHARGES = """
SELECT p.region, count(*)::int AS discharged,
       count(*) FILTER (WHERE s.before_non_working_days)::int AS before_non_working_days,
       count(*) FILTER (WHERE s.reason_before_non_working_days IS NOT NULL)::int AS kept_with_reason,
       count(*) FILTER (WHERE s.required_meeting IS NOT NULL)::int AS meeting_judged,
       count(*) FILTER (WHERE s.meeting_held IS FALSE)::int AS meeting_not_held
FROM rm_stays s JOIN rm_pathways p ON p.pathway_id = s.pathway_id
WHERE s.discharged_on IS NOT NULL AND ($1::text IS NULL OR p.region = $1)
GROUP BY p.region"""

Q_HOME_VISITS = """
SELECT p.region, t.due, t.state, t.closed_at
FROM rm_tasks t JOIN rm_pathways p ON p.pathway_id = t.pathway_id
WHERE t.kind = 'home_visit' AND t.state <> 'cancelled' AND ($1::text IS NULL OR p.region = $1)"""

Q_MEETINGS = """
SELECT p.region, m.kind, count(*)::int AS called,
       count(*) FILTER (WHERE m.status = 'cancelled')::int AS cancelled,
       count(*) FILTER (WHERE m.status IN ('called', 'scheduled'))::int AS open,
       count(*) FILTER (WHERE m.status IN ('called', 'scheduled') AND m.hold_by < $2)::int AS open_past_hold_by,
       count(*) FILTER (WHERE m.status = 'held')::int AS held,
       count(*) FILTER (WHERE m.status = 'held' AND m.held_on <= m.hold_by)::int AS held_on_time
FROM rm_meetings m JOIN rm_pathways p ON p.pathway_id = m.pathway_id
WHERE ($1::text IS NULL OR p.region = $1)
GROUP BY p.region, m.kind"""

# Meetings per occasion (phase 4, discharge, transition, other; `not_stated` before meetings recorded it).
Q_MEETING_OCCASIONS = """
SELECT p.region, coalesce(m.occasion, 'not_stated') AS occasion, count(*)::int AS called,
       count(*) FILTER (WHERE m.status = 'held')::int AS held
FROM rm_meetings m JOIN rm_pathways p ON p.pathway_id = m.pathway_id
WHERE ($1::text IS NULL OR p.region = $1)
GROUP BY p.region, coalesce(m.occasion, 'not_stated')"""

# Disclosures to municipal staff per basis, from the access log: `consent: …`, or without consent the legal
# basis named (`psychiatry_act_13a: …`); the code before the colon tells them apart (domain/legal_basis.py).
Q_DISCLOSURES = """
SELECT p.region, split_part(a.legal_basis, ':', 1) AS basis, count(*)::int AS looks,
       count(DISTINCT a.pathway_id)::int AS pathways
FROM access_log a JOIN rm_pathways p ON p.pathway_id = a.pathway_id
WHERE a.role = 'municipality' AND a.outcome = 'allowed' AND a.legal_basis IS NOT NULL
  AND ($1::text IS NULL OR p.region = $1)
GROUP BY p.region, split_part(a.legal_basis, ':', 1)"""

# Contacts at the acute function recorded on pathways, per region and outcome (issue #18 item 4).
Q_ACUTE_CONTACTS = """
SELECT p.region, a.outcome, count(*)::int AS n
FROM rm_acute_contacts a JOIN rm_pathways p ON p.pathway_id = a.pathway_id
WHERE ($1::text IS NULL OR p.region = $1)
GROUP BY p.region, a.outcome"""

# Coordinated courses after integrated care, per region, origin and status (issue #18 item 9).
Q_COURSES = """
SELECT c.region, c.origin, c.status, count(*)::int AS n
FROM rm_coordinated_courses c
WHERE c.region IS NOT NULL AND ($1::text IS NULL OR c.region = $1)
GROUP BY c.region, c.origin, c.status"""


async def monitoring_report(
    pool: asyncpg.Pool, region: str | None = None, *, now: datetime | None = None
) -> MonitoringReport:
    """The report for one region, or for all (region None)."""
    if region is not None and region not in REGIONS:
        raise ValueError(f"unknown region code {region!r}; known: {', '.join(sorted(REGIONS))}")
    now = now or datetime.now(UTC)
    as_of = copenhagen.local_date(now)
    async with pool.acquire() as conn:
        # One snapshot: the figures agree with each other.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            referrals = await conn.fetch(Q_REFERRALS, region, as_of)
            pathways = await conn.fetch(Q_PATHWAYS, region)
            accepted = await conn.fetch(Q_ACCEPTED, region)
            other_starts = await conn.fetch(Q_OTHER_STARTS, region)
            discharges = await conn.fetch(Q_DISCHARGES, region)
            home_visits = await conn.fetch(Q_HOME_VISITS, region)
            meetings = await conn.fetch(Q_MEETINGS, region, as_of)
            meeting_occasions = await conn.fetch(Q_MEETING_OCCASIONS, region)
            disclosures = await conn.fetch(Q_DISCLOSURES, region)
            acute_contacts = await conn.fetch(Q_ACUTE_CONTACTS, region)
            courses = await conn.fetch(Q_COURSES, region)
    report = assemble(
        generated_at=now,
        as_of=as_of,
        region=region,
        referrals=referrals,
        pathways=pathways,
        accepted=accepted,
        other_starts=other_starts,
        discharges=discharges,
        home_visits=home_visits,
        meetings=meetings,
        meeting_occasions=meeting_occasions,
        disclosures=disclosures,
        acute_contacts=acute_contacts,
        courses=courses,
    )
    report.competences = await _competence_totals(pool, region, as_of)
    return report


async def _competence_totals(pool: asyncpg.Pool, region: str | None, as_of: date) -> CompetenceTotals:
    """The coverage report's totals for the region (all regions: every region's staff, no municipality's)."""
    coverage = await competence_report(
        pool, organisation=f"region:{region}" if region is not None else "region:%", team=None, today=as_of
    )
    return CompetenceTotals(
        staff=coverage.staff,
        certified={m.method: m.certified for m in coverage.methods},
        shares={m.method: m.share for m in coverage.methods},
        renewals_due=len(coverage.renewals_due),
        supervision_sessions_this_quarter=coverage.supervision[0].sessions,
        pathways_lacking_method=len(coverage.pathways_lacking_method),
    )
