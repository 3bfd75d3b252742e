-- The §82c clock on the pathway (Health Act: treatment starts within 14 days of receipt): the referral's
-- receipt and start deadline as the pathway started with them (NULL for a pathway started by a transition
-- or a campaign, and for pathways started before the clock), its first treatment contact, and whether the
-- deadline was warned of and passed without one. Rebuilt from the events like every rm_ table.
ALTER TABLE rm_pathways
    ADD COLUMN received_on date,
    ADD COLUMN start_deadline date,
    ADD COLUMN first_contact_on date,
    ADD COLUMN first_contact_within_deadline boolean,
    ADD COLUMN first_contact_warned boolean NOT NULL DEFAULT false,
    ADD COLUMN first_contact_deadline_passed boolean NOT NULL DEFAULT false;
