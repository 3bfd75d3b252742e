-- What a meeting is held for, and the stay a discharge meeting is for (issue #18 item 1).
ALTER TABLE rm_meetings ADD COLUMN occasion text;
ALTER TABLE rm_meetings ADD COLUMN stay_id text;

-- The reasons for rules broken at discharge, shown on the stay: the discharge before non-working days,
-- and the meeting the discharge called for (network meeting or conversation about the transition).
ALTER TABLE rm_stays ADD COLUMN reason_before_non_working_days text;
ALTER TABLE rm_stays ADD COLUMN required_meeting text;
ALTER TABLE rm_stays ADD COLUMN meeting_held boolean;
ALTER TABLE rm_stays ADD COLUMN meeting_not_held_reason text;

-- Leave before discharge (orlov, a night at home), granted from–to, and how it went (issue #18 item 6).
CREATE TABLE rm_leaves (
    leave_id     text PRIMARY KEY,
    stay_id      text NOT NULL,
    pathway_id   text NOT NULL,
    kind         text NOT NULL,   -- orlov | overnight_at_home
    from_date    date NOT NULL,
    to_date      date NOT NULL,
    went         text,            -- as_planned | ended_early | not_returned; NULL until recorded
    note         text,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX rm_leaves_stay ON rm_leaves (stay_id, from_date);

-- A transition into a target group not yet open in its region is held until the group opens (#18 item 8).
ALTER TABLE rm_transitions ADD COLUMN held_until date;
