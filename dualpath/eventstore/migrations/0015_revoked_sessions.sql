-- A staff-page session ends at sign-out, at once: its token (by hash: the token itself is never
-- stored) is refused by the pages from then on, although it has not expired. A row is kept until the
-- token's own expiry, after which the token is refused anyway and the row may go.

CREATE TABLE revoked_sessions (
    token_sha256 text        PRIMARY KEY,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);
