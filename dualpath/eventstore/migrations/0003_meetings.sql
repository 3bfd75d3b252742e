-- Read models of the `meetings` projection (safe to drop and rebuild), and the
-- development notice outbox.

CREATE TABLE rm_meetings (
    meeting_id     text PRIMARY KEY,
    pathway_id     text NOT NULL,
    kind           text NOT NULL,
    status         text NOT NULL,  -- called | scheduled | held | cancelled
    purpose        text,
    called_on      date NOT NULL,
    hold_by        date NOT NULL,
    scheduled_at   timestamptz,
    place          text,
    held_on        date,
    outcome        text,
    cancel_reason  text,
    overdue        boolean NOT NULL DEFAULT false,
    participants   jsonb NOT NULL DEFAULT '[]',
    attendees      jsonb NOT NULL DEFAULT '[]',
    updated_at     timestamptz NOT NULL
);
CREATE INDEX rm_meetings_pathway ON rm_meetings (pathway_id, called_on);

-- A joint plan's version counts per pathway and kind, in event order.
CREATE TABLE rm_joint_plans (
    pathway_id   text NOT NULL,
    kind         text NOT NULL,
    version      int NOT NULL CHECK (version > 0),
    meeting_id   text NOT NULL,
    summary      text NOT NULL,
    agreed_by    jsonb NOT NULL,
    recorded_at  timestamptz NOT NULL,
    position     bigint NOT NULL,
    PRIMARY KEY (pathway_id, kind, version)
);

-- Notices recorded by the development notifier (LocalRecorder) instead of being
-- sent. Not a read model: not rebuilt, never truncated by a rebuild.
CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    channel          text NOT NULL,
    recipient_org    text NOT NULL,
    subject          text NOT NULL,
    body             text NOT NULL,
    pathway_id       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_pathway ON notifications (pathway_id);
