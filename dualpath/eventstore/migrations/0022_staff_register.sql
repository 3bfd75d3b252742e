-- The staff register (issue #15 item 1) and the pathways' named contact persons (item 2).
--
-- staff_names is a register like `patients`: the only place a staff member's display name is kept (personal
-- data: never in Temporal, never in an event). Written by the API when staff are registered or renamed; not a
-- read model, so a rebuild leaves it alone.
CREATE TABLE staff_names (
    subject       text PRIMARY KEY,
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Read models, built from the staff members' streams (`staff-<subject>`) and the pathways' ContactPersonNamed
-- events by the `staff` projection; safe to drop and rebuild.
CREATE TABLE rm_staff (
    subject        text PRIMARY KEY,
    organisation   text NOT NULL,   -- region:1082 | municipality:751
    team           text NOT NULL,   -- domain/staff.py TEAMS
    role           text NOT NULL,   -- domain/staff.py STAFF_ROLES
    active         boolean NOT NULL DEFAULT true,
    registered_at  timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX rm_staff_organisation_team ON rm_staff (organisation, team);

-- Every naming of a pathway's contact person, in order (the stream's version): the latest is the current one.
CREATE TABLE rm_contact_persons (
    pathway_id  text NOT NULL,
    version     integer NOT NULL,
    subject     text NOT NULL,
    previous    text,
    reason      text,
    named_at    timestamptz NOT NULL,
    PRIMARY KEY (pathway_id, version)
);
CREATE INDEX rm_contact_persons_subject ON rm_contact_persons (subject);

-- Open tasks given to a named staff member (TaskAssigned; the latest assignment stands): the worklist's "mine".
CREATE TABLE rm_task_assignments (
    task_id      text PRIMARY KEY,
    pathway_id   text NOT NULL,
    subject      text NOT NULL,
    assigned_at  timestamptz NOT NULL
);
CREATE INDEX rm_task_assignments_subject ON rm_task_assignments (subject);
