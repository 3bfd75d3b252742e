-- Scored screening instruments recorded on the pathway (issue #15 item 6: AUDIT, DUDIT): the history of scores
-- shown over time on the pathway page and by GET /pathways/{id}/screenings. The answers are codes (item, points).
CREATE TABLE rm_screenings (
    screening_id  text PRIMARY KEY,
    pathway_id    text NOT NULL,
    instrument    text NOT NULL,   -- AUDIT | DUDIT
    version       text NOT NULL,
    screened_on   date NOT NULL,
    answers       jsonb NOT NULL,  -- [{"item": 1, "answer": 3}, …]
    total         integer NOT NULL,
    zone          text NOT NULL,   -- AUDIT: I | II | III | IV; DUDIT: no_problem | drug_related_problems | probable_dependence
    rule          text NOT NULL,
    cutoff_sex    text,            -- DUDIT: male | female (the cut-off applied)
    recorded_at   timestamptz NOT NULL
);
CREATE INDEX rm_screenings_pathway ON rm_screenings (pathway_id, screened_on);
