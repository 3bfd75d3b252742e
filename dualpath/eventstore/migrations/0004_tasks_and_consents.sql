-- Staff tasks (the worklist) and consents, built from events by the `tasks` projection.
CREATE TABLE rm_tasks (
    task_id      text PRIMARY KEY,
    pathway_id   text,
    referral_id  text,
    kind         text NOT NULL,
    title        text NOT NULL,
    phase        int,
    owner_role   text NOT NULL,
    owner_org    text NOT NULL,
    due          date NOT NULL,
    mandatory    boolean NOT NULL,
    state        text NOT NULL,
    overdue      boolean NOT NULL DEFAULT false,
    note         text,
    opened_at    timestamptz NOT NULL,
    closed_at    timestamptz
);
-- The worklist: an organisation's open tasks, soonest due first.
CREATE INDEX rm_tasks_worklist ON rm_tasks (owner_org, owner_role, due) WHERE state = 'open';
CREATE INDEX rm_tasks_pathway ON rm_tasks (pathway_id);

CREATE TABLE rm_consents (
    pathway_id   text NOT NULL,
    scope        text NOT NULL,
    counterpart  text NOT NULL,
    state        text NOT NULL,
    form         text NOT NULL,
    recorded_by  jsonb,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (pathway_id, scope, counterpart)
);

-- Which catalogue version a pathway runs on (its phases' activities and tools).
ALTER TABLE rm_pathways ADD COLUMN catalogue_version text NOT NULL DEFAULT 'v1';
