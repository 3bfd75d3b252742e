-- At most one active pathway per patient. A workflow that would start a pathway (a referral's
-- acceptance, a transition, a campaign's start date) first claims the patient here, in an activity
-- (dualpath/activities/pathway_claims.py); the primary key lets one claim through however many race.
-- The pathway releases its claim when it ends. Not a read model: no projection writes or rebuilds it.

CREATE TABLE pathway_claims (
    patient_id text        PRIMARY KEY,
    pathway_id text        NOT NULL UNIQUE,
    claimed_at timestamptz NOT NULL DEFAULT now()
);

-- The pathways active now hold their patients (the oldest, should a patient have two already).
INSERT INTO pathway_claims (patient_id, pathway_id)
SELECT DISTINCT ON (patient_id) patient_id, pathway_id
  FROM rm_pathways
 WHERE status = 'active'
 ORDER BY patient_id, started_at
    ON CONFLICT DO NOTHING;
