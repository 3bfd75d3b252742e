-- FMK notices ("FMK changed for this patient") recorded by the development
-- notifier (activities.fmk.LocalRecorder) instead of being sent. Nothing
-- clinical: the pseudonymous pathway id, the municipality, when FMK changed.
-- Not a read model: not rebuilt, never truncated by a rebuild.
CREATE TABLE fmk_notices (
    id               bigserial PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    pathway_id       text NOT NULL,
    municipality     text NOT NULL,
    changed_at       timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fmk_notices_pathway ON fmk_notices (pathway_id);
