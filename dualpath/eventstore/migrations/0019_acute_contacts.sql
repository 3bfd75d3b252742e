-- Contacts at the acute function without admission, recorded on the pathway (issue #18 item 4): shown on the
-- pathway page, counted in the monitoring report per region and outcome.
CREATE TABLE rm_acute_contacts (
    contact_id   text PRIMARY KEY,
    pathway_id   text NOT NULL,
    contact_on   date NOT NULL,
    outcome      text NOT NULL,   -- sent_home | referred | admitted
    note         text,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX rm_acute_contacts_pathway ON rm_acute_contacts (pathway_id, contact_on);
