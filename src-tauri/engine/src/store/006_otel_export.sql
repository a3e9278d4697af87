-- OpenTelemetry out: how far the audit log has been exported to each
-- collector, and the collector `paddock otel export` uses without flags.
-- A cursor moves only after the collector answered 2xx, so a collector that
-- is down loses nothing: the next export resumes after last_event_id.
CREATE TABLE otel_export_cursors (
    endpoint        TEXT NOT NULL,              -- the collector's logs URL (…/v1/logs)
    scope           TEXT NOT NULL DEFAULT '',   -- '' = every event; 'task:<id>' = one task's
    last_event_id   INTEGER NOT NULL DEFAULT 0, -- the last event the collector accepted
    exported        INTEGER NOT NULL DEFAULT 0, -- records accepted so far
    rejected        INTEGER NOT NULL DEFAULT 0, -- records the collector said it dropped (partial success)
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error      TEXT,                       -- NULL after a successful export
    PRIMARY KEY (endpoint, scope)
);

CREATE TABLE otel_export_settings (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    endpoint   TEXT NOT NULL,
    protocol   TEXT NOT NULL CHECK (protocol IN ('json', 'protobuf')),
    updated_at TEXT NOT NULL
);
