-- Schema 4: review. Which files a person has reviewed (bound to the exact
-- version: blob ids and mode, so a file changed after review is unreviewed
-- again), and the comments that become the agent's next instruction.

CREATE TABLE review_marks (
    task        TEXT NOT NULL,
    path        TEXT NOT NULL,
    review_key  TEXT NOT NULL,      -- <old blob>..<new blob>:<new mode>
    reviewed_at TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    PRIMARY KEY (task, path)
);

CREATE TABLE review_comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task        TEXT NOT NULL,
    path        TEXT NOT NULL,
    line        INTEGER,            -- a line of the new file; NULL for the whole file
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    sent_at     TEXT                -- when request_changes handed it to the agent
);
CREATE INDEX review_comments_task ON review_comments(task, id);
