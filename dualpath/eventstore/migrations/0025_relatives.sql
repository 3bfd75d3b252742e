-- Relatives (pårørende) on a pathway (issue #15 item 4).
--
-- A register like `patients` and `staff_names`: the only place a relative's name, relation and how to reach them
-- are kept (personal data: never in Temporal, never in an event). Written by the API when a relative is added or
-- removed; the pathway's stream records only `RelativeAdded` / `RelativeRemoved` with the pseudonymous
-- relative_id and the kind of relation. Not a read model, so a rebuild leaves it alone. A removed relative keeps
-- its row (removed_at set): consents and meetings that named its id still read.
CREATE TABLE relatives (
    relative_id  text PRIMARY KEY,
    pathway_id   text NOT NULL,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    relation     text NOT NULL,   -- domain/relatives.py RELATIONS
    contact      text CHECK (contact IS NULL OR length(contact) <= 500),
    added_at     timestamptz NOT NULL DEFAULT now(),
    removed_at   timestamptz
);
CREATE INDEX relatives_pathway ON relatives (pathway_id);
