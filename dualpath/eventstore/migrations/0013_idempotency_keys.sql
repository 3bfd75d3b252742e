-- An Idempotency-Key names one request: the first request with a key binds it here, before its
-- command is sent, to a hash of its method, path, query and body (dualpath/api/idempotency.py).
-- A repeat of that request gets the first outcome; the same key with another request is refused.
-- Kept for as long as Temporal may remember the ids that follow from the key.

CREATE TABLE idempotency_keys (
    caller      text        NOT NULL,  -- organisation|subject: a key is the caller's own
    key         text        NOT NULL,
    fingerprint text        NOT NULL,  -- sha256 of method, path, query and body
    route       text        NOT NULL,  -- "POST /referrals": said back when the key is reused elsewhere
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key)
);
