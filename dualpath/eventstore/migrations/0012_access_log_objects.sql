-- Every look, allowed or denied, names what was looked at: a referral, a transition or a
-- campaign as well as a pathway, and a list read as the list it was. A denied look (answered
-- 404 so that existence does not leak) is as much a fact for an audit as an allowed one.
-- `reason` carries a break-glass decode's stated reason.

ALTER TABLE access_log
    ADD COLUMN object_kind text,
    ADD COLUMN object_id   text,
    ADD COLUMN outcome     text NOT NULL DEFAULT 'allowed' CHECK (outcome IN ('allowed', 'denied')),
    ADD COLUMN reason      text;
CREATE INDEX access_log_object_at ON access_log (object_kind, object_id, at) WHERE object_id IS NOT NULL;
