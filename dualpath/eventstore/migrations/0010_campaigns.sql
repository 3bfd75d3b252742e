-- Group-2 phase-in campaigns (spec §6, seed 004), built from events by the `campaigns`
-- projection; safe to drop and rebuild. No CPR, no names: patient_id is the register's pseudonym.
CREATE TABLE rm_campaigns (
    campaign_id              text PRIMARY KEY,
    centre                   text NOT NULL,
    region                   text NOT NULL,
    municipality             text NOT NULL,
    collaboration_meeting_on date NOT NULL,   -- planned
    share_by                 date NOT NULL,
    share_days               int NOT NULL,
    phase                    text NOT NULL,   -- collecting_lists | lists_shared | meeting_held | starting
    kkr_contacts             jsonb NOT NULL DEFAULT '[]',
    clinic_list_on           date,
    municipality_list_on     date,
    shared_on                date,
    earliest_meeting_on      date,
    meeting_held_on          date,
    reminder_sent_on         date,
    opened_at                timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE INDEX rm_campaigns_region ON rm_campaigns (region);
CREATE INDEX rm_campaigns_municipality ON rm_campaigns (municipality);

CREATE TABLE rm_campaign_people (
    campaign_id                   text NOT NULL REFERENCES rm_campaigns (campaign_id) ON DELETE CASCADE,
    patient_id                    text NOT NULL,
    clinic_row                    int,       -- the line in the clinic's file; NULL when not on its list
    municipality_row              int,
    psychiatric_contact           text NOT NULL,
    municipal_substance_treatment boolean NOT NULL,
    clinic_or_unit                text,
    consent_clinic                text,      -- given | refused | NULL (not recorded)
    consent_municipality          text,
    decision                      text,      -- integrated | coordinated | not_relevant
    from_date                     date,
    status                        text NOT NULL DEFAULT 'listed',  -- listed | scheduled | started | not_relevant | cancelled
    pathway_id                    text,
    started_on                    date,
    network_meeting               jsonb,
    updated_at                    timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, patient_id)
);
CREATE INDEX rm_campaign_people_patient ON rm_campaign_people (patient_id);
