-- The index of secrets moved into the OS keychain. Names and places only:
-- a value never enters this database (it lives in the keychain under
-- keychain_service / keychain_account, and in the file before the move).
CREATE TABLE secrets (
    id               INTEGER PRIMARY KEY,
    batch            TEXT NOT NULL,     -- one `paddock secrets move`
    project          TEXT NOT NULL,
    name             TEXT NOT NULL,     -- the reference name: paddock://<project>/<name>
    repo             TEXT NOT NULL,     -- the checkout root (canonical)
    file             TEXT NOT NULL,     -- relative to repo, '/'-separated
    line             INTEGER NOT NULL,
    rule             TEXT NOT NULL,
    reference        TEXT NOT NULL,
    ref_offset       INTEGER NOT NULL,  -- byte offset of the reference in the rewritten file
    after_sha256     TEXT NOT NULL,     -- the rewritten file (restore is exact when it still matches)
    keychain_service TEXT NOT NULL,
    keychain_account TEXT NOT NULL,
    task             TEXT,
    moved_at         TEXT NOT NULL,
    restored_at      TEXT
);
CREATE UNIQUE INDEX secrets_active_name ON secrets (project, name) WHERE restored_at IS NULL;
CREATE INDEX secrets_by_repo ON secrets (repo, restored_at);
