-- Who looked at health data, when, and on what basis. Written before the data is returned
-- (first: each decode of Temporal payloads by the codec server, api/routes/codec.py).
-- Never the data itself.

CREATE TABLE access_log (
    id           bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    subject      text        NOT NULL CHECK (subject <> ''),
    role         text        NOT NULL CHECK (role <> ''),
    organisation text        NOT NULL CHECK (organisation <> ''),
    action       text        NOT NULL CHECK (action <> ''),
    pathway_id   text,
    legal_basis  text
);
CREATE INDEX access_log_subject_at ON access_log (subject, at);
CREATE INDEX access_log_pathway_at ON access_log (pathway_id, at) WHERE pathway_id IS NOT NULL;

-- Like events: an access log that can be edited proves nothing. A statement-level trigger also
-- refuses statements matching no rows, and TRUNCATE.
CREATE FUNCTION access_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only: % is refused', TG_OP;
END
$$;

CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change();
