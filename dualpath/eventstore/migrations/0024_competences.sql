-- Competences of the staff register's members (issue #15 item 3): read models built by the `competences`
-- projection from the staff members' streams (`staff-<subject>`); safe to drop and rebuild. No names here: a
-- staff member is their subject, a case its pathway id.

-- Every certification in a method, in the stream's order; the latest per (subject, method) stands (a renewal).
CREATE TABLE rm_certifications (
    subject       text NOT NULL,
    version       integer NOT NULL,
    method        text NOT NULL,   -- KAT | DAT | MI (domain/competences.py)
    certified_on  date NOT NULL,
    renewal_due   date NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (subject, version)
);
CREATE INDEX rm_certifications_subject_method ON rm_certifications (subject, method, certified_on DESC);

-- Courses attended: the other competence areas of seed 001 and the leaders' programme.
CREATE TABLE rm_courses (
    course_id    text PRIMARY KEY,
    subject      text NOT NULL,
    area         text NOT NULL,    -- domain/competences.py COURSE_AREAS
    title        text NOT NULL,
    attended_on  date NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX rm_courses_subject ON rm_courses (subject);

-- Method and case supervision sessions (a case by its pathway id only: no clinical text).
CREATE TABLE rm_supervisions (
    supervision_id  text PRIMARY KEY,
    subject         text NOT NULL,
    kind            text NOT NULL,    -- method | case
    method          text,
    pathway_id      text,
    held_on         date NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX rm_supervisions_subject ON rm_supervisions (subject, held_on);
