-- The event store: the source of truth for every pathway. Read models are derived from it
-- (see projections.py) and can always be rebuilt; this table cannot.

CREATE TABLE events (
    -- Global order. CACHE 1 matters: with per-session cached ranges, positions would be handed
    -- out of order across sessions and the reading rule in store.py would no longer hold.
    position    bigint      GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    stream_id   text        NOT NULL CHECK (stream_id <> ''),
    version     integer     NOT NULL CHECK (version > 0),
    type        text        NOT NULL CHECK (type <> ''),
    data        jsonb       NOT NULL,
    metadata    jsonb       NOT NULL DEFAULT '{}',
    recorded_at timestamptz NOT NULL DEFAULT now(),
    -- The transaction that wrote the row. Readers return a row only once every transaction up to
    -- this one has finished (store.py explains why positions alone are not enough).
    tx_id       xid8        NOT NULL DEFAULT pg_current_xact_id(),
    UNIQUE (stream_id, version)
);

-- History is corrected by appending an event, never by rewriting one. A statement-level trigger
-- also refuses statements that match no rows, and TRUNCATE, so a mistaken `DELETE FROM events`
-- in a development shell (where everyone is superuser) fails loudly instead of quietly.
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % is refused', TG_OP
        USING HINT = 'correct history by appending a new event';
END
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- How far each projection has read, written in the same transaction as its read model.
CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
