-- Cross-sector transitions (overgange, spec §5), built from events by the `transitions`
-- projection; safe to drop and rebuild. No CPR: patient_id is the register's pseudonym.
CREATE TABLE rm_transitions (
    transition_id         text PRIMARY KEY,
    patient_id            text NOT NULL,
    direction             text NOT NULL,  -- to_integrated | to_coordinated
    branch                text NOT NULL,  -- dialogue | no_consent
    dialogue_consent      text NOT NULL,  -- given | refused | not_asked
    region                text NOT NULL,
    municipality          text NOT NULL,
    reported_by           text NOT NULL,  -- region | municipality
    signs                 jsonb NOT NULL DEFAULT '[]',
    description           text,
    target_group          int,
    reported_on           date NOT NULL,
    state                 text NOT NULL,
    settled               text,           -- what the parties agreed, or psychiatry decided
    outcome               text,           -- transition | no_transition, once completed
    current_step          text,
    step_due              date,
    overdue               boolean NOT NULL DEFAULT false,
    pathway_id            text,           -- the pathway moved back from, or the one started
    closure               text,           -- started | awaited | done
    assessment            jsonb,
    agreement             jsonb,
    disagreement          jsonb,
    collaboration_meeting jsonb,
    decision              jsonb,
    who_says_what         jsonb,
    network_meeting       jsonb,
    patient_talks         jsonb NOT NULL DEFAULT '[]',
    reported_at           timestamptz NOT NULL,
    completed_at          timestamptz,
    updated_at            timestamptz NOT NULL
);
CREATE INDEX rm_transitions_region_state ON rm_transitions (region, state);
CREATE INDEX rm_transitions_municipality_state ON rm_transitions (municipality, state) WHERE branch = 'dialogue';
CREATE INDEX rm_transitions_patient ON rm_transitions (patient_id);
CREATE INDEX rm_transitions_pathway ON rm_transitions (pathway_id);
