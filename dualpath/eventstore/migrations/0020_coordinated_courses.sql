-- The coordinated course after integrated care (issue #18 item 9), built from events by the
-- `coordinated_courses` projection; safe to drop and rebuild. No CPR: patient_id is the register's
-- pseudonym; no clinical text (the relapse's reason stays in the course's events).
CREATE TABLE rm_coordinated_courses (
    course_id                text PRIMARY KEY,
    origin                   text NOT NULL,  -- declined_referral | planned_closure
    origin_id                text NOT NULL,  -- the declined referral, or the closed pathway
    pathway_id               text,
    patient_id               text NOT NULL,
    region                   text,
    municipality             text NOT NULL,
    shared_with_municipality boolean NOT NULL,
    status                   text NOT NULL,  -- active | relapsed | ended
    started_on               date NOT NULL,
    check_in_on              date NOT NULL,
    ends_on                  date NOT NULL,
    check_in_opened          boolean NOT NULL DEFAULT false,
    relapse_referral_id      text,
    relapsed_on              date,
    ended_on                 date,
    started_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE INDEX rm_coordinated_courses_region_status ON rm_coordinated_courses (region, status);
CREATE INDEX rm_coordinated_courses_municipality_status ON rm_coordinated_courses (municipality, status);
CREATE INDEX rm_coordinated_courses_origin ON rm_coordinated_courses (origin_id);

-- A referral back to visitation from a coordinated course (a relapse) names the course it came from.
ALTER TABLE rm_referrals ADD COLUMN IF NOT EXISTS from_coordinated_course text;
