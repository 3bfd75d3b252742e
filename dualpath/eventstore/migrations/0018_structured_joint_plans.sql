-- Joint plans made on their own (not at a meeting), with structured content (issue #18 item 7):
-- who does what on each side, the crisis plan, the next review, and the version a revision named.
ALTER TABLE rm_joint_plans ALTER COLUMN meeting_id DROP NOT NULL;
ALTER TABLE rm_joint_plans ADD COLUMN actions jsonb NOT NULL DEFAULT '[]';
ALTER TABLE rm_joint_plans ADD COLUMN crisis_plan jsonb;
ALTER TABLE rm_joint_plans ADD COLUMN next_review date;
ALTER TABLE rm_joint_plans ADD COLUMN revises int;
-- The latest version of a pathway's plan of a kind is the count of its JointPlanRecorded events, asked of
-- the event store before a revision is recorded (activities/joint_plans.py).
CREATE INDEX events_joint_plans ON events ((data->>'pathway_id'), (data->>'kind')) WHERE type = 'JointPlanRecorded';
