-- Schema 1: the audit log (append only, hash chained) and pending approvals.

CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    task      TEXT,                 -- NULL for events that belong to no task
    kind      TEXT NOT NULL,        -- e.g. task.created, command.decided
    payload   TEXT NOT NULL,        -- JSON
    reason    TEXT NOT NULL,
    actor     TEXT NOT NULL,        -- user, agent:<name>, paddock
    at        TEXT NOT NULL,        -- RFC 3339 UTC
    prev_hash TEXT NOT NULL,        -- hash of the row before (64 zeros for the first)
    hash      TEXT NOT NULL         -- SHA-256 over this row's fields and prev_hash
);
CREATE INDEX events_task ON events(task, id);

-- The chain's head, moved in the same transaction as each append, so that a
-- truncated tail (the last rows deleted) is detected too.
CREATE TABLE audit_head (
    one       INTEGER PRIMARY KEY CHECK (one = 1),
    last_id   INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    count     INTEGER NOT NULL
);
INSERT INTO audit_head (one, last_id, last_hash, count)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);

-- Append only: Paddock never updates or deletes an event. (Someone with the
-- sqlite3 CLI can drop these triggers; the hash chain then names the row.)
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task        TEXT,
    action      TEXT NOT NULL,      -- JSON: the action waiting for a person
    rule        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
    created_at  TEXT NOT NULL,
    decided_at  TEXT,
    decided_by  TEXT
);
CREATE INDEX approvals_pending ON approvals(state, task);
