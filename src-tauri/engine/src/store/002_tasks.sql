-- Schema 2: tasks. A task is a repository, a base branch, a dedicated branch
-- and worktree, a goal, an agent and a state. Its history is in `events`.

CREATE TABLE tasks (
    id            TEXT PRIMARY KEY,      -- 8 hex digits, also the branch's suffix
    repo          TEXT NOT NULL,         -- the user's checkout (canonical path)
    repo_name     TEXT NOT NULL,
    base          TEXT NOT NULL,         -- base branch name
    base_commit   TEXT NOT NULL,         -- the base's commit when the task was made
    branch        TEXT NOT NULL,         -- paddock/<slug>-<id>
    worktree      TEXT NOT NULL UNIQUE,  -- <home>/worktrees/<repo-name>/<id>
    goal          TEXT NOT NULL,
    goal_warnings TEXT NOT NULL DEFAULT '[]',  -- JSON: warnings the user overrode
    agent         TEXT NOT NULL CHECK (agent IN ('claude', 'codex', 'other')),
    state         TEXT NOT NULL
                  CHECK (state IN ('draft', 'ready', 'running', 'awaiting_review', 'merged', 'discarded')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX tasks_repo_branch ON tasks(repo, branch);
CREATE INDEX tasks_state ON tasks(state, created_at);
