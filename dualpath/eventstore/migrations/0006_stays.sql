-- Inpatient stays (indlæggelser), built from events by the `stays` projection.
CREATE TABLE rm_stays (
    stay_id            text PRIMARY KEY,
    pathway_id         text NOT NULL,
    number             int NOT NULL,
    via                text NOT NULL,
    ward               text NOT NULL,
    phase              int NOT NULL,
    status             text NOT NULL,  -- admitted | discharged | ended
    admitted_on        date NOT NULL,
    planned_discharge  date,
    discharged_on      date,
    before_non_working_days boolean,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX rm_stays_pathway ON rm_stays (pathway_id);

ALTER TABLE rm_tasks ADD COLUMN stay_id text;
