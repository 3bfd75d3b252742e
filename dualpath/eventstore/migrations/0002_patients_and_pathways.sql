-- The patient register: the only place a CPR number is kept. Everything else
-- (workflows, events, read models, logs) uses the pseudonymous patient_id.
CREATE TABLE patients (
    patient_id  uuid PRIMARY KEY,
    cpr         text NOT NULL UNIQUE CHECK (cpr ~ '^[0-9]{10}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Read models, built from events by the `pathways` projection; safe to drop
-- and rebuild (`dualpath projections rebuild`).
CREATE TABLE rm_referrals (
    referral_id      text PRIMARY KEY,
    patient_id       text NOT NULL,
    source           text NOT NULL,
    municipality     text NOT NULL,
    region           text,
    target_group     int,
    status           text NOT NULL,
    received_on      date NOT NULL,
    start_deadline   date,
    opens_on         date,
    reasons          jsonb NOT NULL DEFAULT '[]',
    pathway_id       text,
    deadline_warned  boolean NOT NULL DEFAULT false,
    deadline_passed  boolean NOT NULL DEFAULT false,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX rm_referrals_region_status ON rm_referrals (region, status);

CREATE TABLE rm_pathways (
    pathway_id     text PRIMARY KEY,
    referral_id    text NOT NULL,
    patient_id     text NOT NULL,
    target_group   int,
    region         text NOT NULL,
    municipality   text NOT NULL,
    kind           text NOT NULL,
    phase          int NOT NULL,
    level_of_care  text,
    status         text NOT NULL,
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    end_reason     text,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX rm_pathways_patient_active ON rm_pathways (patient_id) WHERE status = 'active';
CREATE INDEX rm_pathways_region_status ON rm_pathways (region, status, phase);
