-- The answer to a referral, for the organisation that sent it (issue #15 item 5: a general practice
-- reads the answers to its own referrals). Built by the `pathways` projection: `referred_by` from the
-- ReferralReceived event's actor (its metadata), the decision's time and a decline's reason from
-- ReferralAccepted / ReferralAttached / ReferralDeclined. Safe to drop and rebuild, as the table is.
ALTER TABLE rm_referrals
    ADD COLUMN IF NOT EXISTS referred_by text,
    ADD COLUMN IF NOT EXISTS decided_at timestamptz,
    ADD COLUMN IF NOT EXISTS decline_reason text;
CREATE INDEX IF NOT EXISTS rm_referrals_referred_by ON rm_referrals (referred_by, received_on DESC);

-- The rows already there, from the events they were built from (a rebuild gives the same).
UPDATE rm_referrals r SET referred_by = e.metadata -> 'actor' ->> 'organisation'
FROM events e
WHERE e.stream_id = 'referral-' || r.referral_id AND e.type = 'ReferralReceived';

UPDATE rm_referrals r SET decided_at = e.recorded_at,
                          decline_reason = CASE WHEN e.type = 'ReferralDeclined' THEN e.data ->> 'reason' END
FROM events e
WHERE e.stream_id = 'referral-' || r.referral_id
  AND e.type IN ('ReferralAccepted', 'ReferralAttached', 'ReferralDeclined');
