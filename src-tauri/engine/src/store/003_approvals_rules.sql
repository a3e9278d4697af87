-- Schema 3: approvals carry what a person needs to decide (the parsed parts,
-- the agent, the project, the deadline), how they decided, and remembered
-- decisions become rules a person can list and revoke.

ALTER TABLE approvals ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';   -- JSON: the policy's parts
ALTER TABLE approvals ADD COLUMN project TEXT;                       -- the task's repository
ALTER TABLE approvals ADD COLUMN agent TEXT;                         -- claude, codex, …
ALTER TABLE approvals ADD COLUMN deadline TEXT;                      -- RFC 3339: deny after this
ALTER TABLE approvals ADD COLUMN remember TEXT;                      -- JSON: the scope chosen, if any
ALTER TABLE approvals ADD COLUMN remembered_rule INTEGER;            -- the rule it made, if any

CREATE TABLE approval_rules (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    verdict       TEXT NOT NULL CHECK (verdict IN ('allow', 'deny')),
    scope         TEXT NOT NULL CHECK (scope IN ('task', 'project')),
    task          TEXT,                 -- set when scope = 'task'
    project       TEXT,                 -- set when scope = 'project'
    action_kind   TEXT NOT NULL,        -- shell, read, write, fetch, mcp
    match_kind    TEXT NOT NULL CHECK (match_kind IN ('exact', 'prefix')),
    pattern       TEXT NOT NULL,        -- the exact (redacted) action text, or the prefix words as JSON
    from_approval INTEGER REFERENCES approvals(id),
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    TEXT,
    CHECK ((scope = 'task' AND task IS NOT NULL) OR (scope = 'project' AND project IS NOT NULL))
);
CREATE INDEX approval_rules_live ON approval_rules(revoked_at, action_kind);
