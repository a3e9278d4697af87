//! A task: a repository, a base branch, a dedicated branch and worktree, a goal,
//! an agent and a state. [`create`] makes all of it or nothing; [`transition`]
//! is the one place a state changes, and every change is an audit event.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use ts_rs::TS;

use crate::audit::{self, Actor, AuditError, NewEvent};
use crate::goal::{self, GoalWarning};
use crate::store::{Store, StoreError};
use crate::workspace::{self, Made, WorkspaceError, WorkspaceSpec};
use crate::PaddockHome;

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum TaskState {
    /// Recorded; its workspace is being made.
    Draft,
    /// Workspace and goal in place; no agent is working yet.
    Ready,
    /// An agent is working in the worktree.
    Running,
    /// The agent handed its work over; a person reviews the diff.
    AwaitingReview,
    /// The reviewed branch was merged into the base.
    Merged,
    /// The worktree and branch were removed without merging.
    Discarded,
}

impl TaskState {
    pub const ALL: [TaskState; 6] = [
        TaskState::Draft,
        TaskState::Ready,
        TaskState::Running,
        TaskState::AwaitingReview,
        TaskState::Merged,
        TaskState::Discarded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Draft => "draft",
            TaskState::Ready => "ready",
            TaskState::Running => "running",
            TaskState::AwaitingReview => "awaiting_review",
            TaskState::Merged => "merged",
            TaskState::Discarded => "discarded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Merged and discarded tasks are finished; every other state is active.
    pub fn is_active(self) -> bool {
        !matches!(self, TaskState::Merged | TaskState::Discarded)
    }

    /// The states a task may move to from this one.
    pub fn next(self) -> &'static [TaskState] {
        use TaskState::*;
        match self {
            Draft => &[Ready, Discarded],
            Ready => &[Running, Discarded],
            Running => &[AwaitingReview, Ready, Discarded],
            AwaitingReview => &[Merged, Running, Discarded],
            Merged | Discarded => &[],
        }
    }

    /// The one rule for moving between states.
    pub fn check_transition(self, to: TaskState) -> Result<(), TaskError> {
        if self.next().contains(&to) {
            Ok(())
        } else {
            Err(TaskError::IllegalTransition { from: self, to })
        }
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which agent works on the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum Agent {
    Claude,
    Codex,
    Other,
}

impl Agent {
    pub fn as_str(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Agent::Claude, Agent::Codex, Agent::Other]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A stored task.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Task {
    pub id: String,
    /// The user's checkout (canonical path).
    pub repo: String,
    pub repo_name: String,
    pub base: String,
    pub base_commit: String,
    pub branch: String,
    pub worktree: String,
    pub goal: String,
    /// Goal warnings the user overrode when creating the task (empty if none).
    pub goal_warnings: Vec<GoalWarning>,
    pub agent: Agent,
    pub state: TaskState,
    pub created_at: String,
    pub updated_at: String,
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub repo: PathBuf,
    pub goal: String,
    /// Default: the repository's current HEAD branch.
    pub base: Option<String>,
    pub agent: Agent,
    /// Untracked files to copy into the worktree, relative to the repository.
    pub copy: Vec<PathBuf>,
    pub accept_goal_warnings: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("a goal is required: say in one sentence what the agent should change")]
    GoalMissing,
    #[error("the goal has {} warning{}; make it narrower or pass --accept-goal-warnings", .warnings.len(), if .warnings.len() == 1 { "" } else { "s" })]
    GoalNeedsNarrowing { warnings: Vec<GoalWarning> },
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("no task {id:?}")]
    NotFound { id: String },
    #[error("a task cannot go from {from} to {to}")]
    IllegalTransition { from: TaskState, to: TaskState },
    #[error("task {id} changed state while this was being done (now {now}); try again")]
    Raced { id: String, now: TaskState },
    #[error("branch {branch} has {count} commit{} not yet reviewed (not on {base}); review them or pass --force to discard them", if *.count == 1 { "" } else { "s" })]
    UnreviewedCommits {
        branch: String,
        base: String,
        count: u64,
    },
    #[error("the worktree {worktree} has {count} uncommitted change{}; pass --force to discard them", if *.count == 1 { "" } else { "s" })]
    UncommittedWork { worktree: String, count: u64 },
    #[error("could not find a free task name after {0} attempts")]
    NoFreeName(usize),
    #[error("the task's stored data is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    #[error("cannot use the worktrees folder {path}: {source}")]
    WorktreesFolder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> TaskError {
    move |e| TaskError::Store(StoreError::sql(doing, e))
}

const COLUMNS: &str = "id, repo, repo_name, base, base_commit, branch, worktree, goal, goal_warnings, agent, state, created_at, updated_at";

fn read_task(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Task, TaskError>> {
    let warnings: String = r.get(8)?;
    let agent: String = r.get(9)?;
    let state: String = r.get(10)?;
    let build = || -> Result<Task, TaskError> {
        Ok(Task {
            id: r.get(0).map_err(sql("reading a task"))?,
            repo: r.get(1).map_err(sql("reading a task"))?,
            repo_name: r.get(2).map_err(sql("reading a task"))?,
            base: r.get(3).map_err(sql("reading a task"))?,
            base_commit: r.get(4).map_err(sql("reading a task"))?,
            branch: r.get(5).map_err(sql("reading a task"))?,
            worktree: r.get(6).map_err(sql("reading a task"))?,
            goal: r.get(7).map_err(sql("reading a task"))?,
            goal_warnings: serde_json::from_str(&warnings)
                .map_err(|e| TaskError::Corrupt(format!("goal warnings: {e}")))?,
            agent: Agent::parse(&agent)
                .ok_or_else(|| TaskError::Corrupt(format!("agent {agent:?}")))?,
            state: TaskState::parse(&state)
                .ok_or_else(|| TaskError::Corrupt(format!("state {state:?}")))?,
            created_at: r.get(11).map_err(sql("reading a task"))?,
            updated_at: r.get(12).map_err(sql("reading a task"))?,
        })
    };
    Ok(build())
}

/// All tasks, newest first (insertion order: two tasks made in the same
/// millisecond by two processes still come out in the order they were recorded).
pub fn list(store: &Store) -> Result<Vec<Task>, TaskError> {
    let mut st = store
        .conn()
        .prepare(&format!("SELECT {COLUMNS} FROM tasks ORDER BY rowid DESC"))
        .map_err(sql("listing tasks"))?;
    let rows = st
        .query_map([], read_task)
        .map_err(sql("listing tasks"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("listing tasks"))?;
    rows.into_iter().collect()
}

/// One task by id.
pub fn get(store: &Store, id: &str) -> Result<Task, TaskError> {
    store
        .conn()
        .query_row(
            &format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"),
            [id],
            read_task,
        )
        .optional()
        .map_err(sql("reading a task"))?
        .ok_or_else(|| TaskError::NotFound { id: id.to_owned() })?
}

/// The newest task that is neither merged nor discarded.
pub fn newest_active(store: &Store) -> Result<Option<Task>, TaskError> {
    Ok(list(store)?.into_iter().find(|t| t.state.is_active()))
}

fn random_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..8].to_owned()
}

/// How many names to try before giving up (a name is taken only by a rare collision).
const NAME_ATTEMPTS: usize = 16;

/// Validate everything, then make the branch, the worktree, the copies and the
/// record, and log the goal as the task's first event. If any step fails,
/// whatever was made so far is removed.
/// An exclusive lock on `<scope>.lock` (beside the repository's worktrees
/// folder, not in it), released when dropped.
fn creation_lock(scope: &Path) -> Result<std::fs::File, TaskError> {
    let path = scope.with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| TaskError::WorktreesFolder {
            path: path.clone(),
            source,
        })?;
    file.lock()
        .map_err(|source| TaskError::WorktreesFolder { path, source })?;
    Ok(file)
}

pub fn create(store: &mut Store, home: &PaddockHome, new: NewTask) -> Result<Task, TaskError> {
    create_with_ids(store, home, new, &mut random_id)
}

pub(crate) fn create_with_ids(
    store: &mut Store,
    home: &PaddockHome,
    new: NewTask,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Task, TaskError> {
    let goal_text = new.goal.trim().to_owned();
    if goal_text.is_empty() {
        return Err(TaskError::GoalMissing);
    }
    let warnings = goal::check(&goal_text);
    if !warnings.is_empty() && !new.accept_goal_warnings {
        return Err(TaskError::GoalNeedsNarrowing { warnings });
    }
    let report = workspace::inspect(&new.repo, new.base.as_deref())?;
    let root = PathBuf::from(&report.root);
    let copies = workspace::plan_copies(&root, &new.copy)?;
    let secret_warnings = crate::secrets::task_warnings(&root, &report.base);

    let scope = home.worktrees().join(&report.name);
    std::fs::create_dir_all(&scope).map_err(|source| TaskError::WorktreesFolder {
        path: scope.clone(),
        source,
    })?;
    let scope = std::fs::canonicalize(&scope).map_err(|source| TaskError::WorktreesFolder {
        path: scope.clone(),
        source,
    })?;
    let slug = workspace::slug(&goal_text);

    for _ in 0..NAME_ATTEMPTS {
        let id = next_id();
        let branch = format!("paddock/{slug}-{id}");
        let path = scope.join(&id);
        if id_taken(store, &id)? {
            continue;
        }
        let spec = WorkspaceSpec {
            base: &report.base,
            branch: &branch,
            path: &path,
            worktree_name: &format!("paddock-{id}"),
            copies: &copies,
        };
        // libgit2 checks "is this branch checked out elsewhere?" by reading every
        // worktree's files, and misreads one that another process is creating at
        // that moment: creations in one repository take turns (across processes).
        let created = {
            let _turn = creation_lock(&scope)?;
            workspace::create(&root, &spec)
        };
        let made = match created {
            Ok(m) => m,
            Err(WorkspaceError::BranchTaken { .. } | WorkspaceError::WorktreeTaken { .. }) => {
                continue
            }
            Err(e) => return Err(e.into()),
        };
        let withheld = match crate::secrets::fence_worktree(&path) {
            Ok(w) => w,
            Err(e) => {
                undo(&root, &made, &scope, store, None);
                return Err(e.into());
            }
        };
        let now = crate::time::now_rfc3339();
        let task = Task {
            id: id.clone(),
            repo: report.root.clone(),
            repo_name: report.name.clone(),
            base: report.base.clone(),
            base_commit: made.base_commit.clone(),
            branch: branch.clone(),
            worktree: path.to_string_lossy().into_owned(),
            goal: goal_text.clone(),
            goal_warnings: warnings.clone(),
            agent: new.agent,
            state: TaskState::Draft,
            created_at: now.clone(),
            updated_at: now,
        };
        let secrets = SecretsNote {
            warnings: &secret_warnings,
            withheld: &withheld,
        };
        match record_new(store, &task, &report, &copies, &secrets) {
            Ok(true) => {}
            Ok(false) => {
                undo(&root, &made, &scope, store, None);
                continue;
            }
            Err(e) => {
                undo(&root, &made, &scope, store, Some(&id));
                return Err(e);
            }
        }
        return match transition(
            store,
            &id,
            TaskState::Ready,
            Actor::Paddock,
            "workspace and goal are in place",
        ) {
            Ok(t) => Ok(t),
            Err(e) => {
                undo(&root, &made, &scope, store, Some(&id));
                Err(e)
            }
        };
    }
    Err(TaskError::NoFreeName(NAME_ATTEMPTS))
}

fn id_taken(store: &Store, id: &str) -> Result<bool, TaskError> {
    store
        .conn()
        .query_row("SELECT 1 FROM tasks WHERE id = ?1", [id], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
        .map_err(sql("checking a task id"))
}

/// What the secret scan said about the base branch, for the `task.created` event.
struct SecretsNote<'a> {
    warnings: &'a [crate::secrets::BranchWarning],
    withheld: &'a [String],
}

/// The secret warnings recorded when `id` was created (tracked files and history of
/// its base branch), from its `task.created` event.
pub fn secret_warnings(
    store: &Store,
    id: &str,
) -> Result<Vec<crate::secrets::BranchWarning>, TaskError> {
    let created = audit::list(store, Some(id))?
        .into_iter()
        .find(|e| e.kind == "task.created");
    Ok(created
        .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.payload).ok())
        .and_then(|p| serde_json::from_value(p.get("secret_warnings")?.clone()).ok())
        .unwrap_or_default())
}

/// Insert the row and the `task.created` event. `Ok(false)` if the id was taken meanwhile.
fn record_new(
    store: &mut Store,
    task: &Task,
    report: &workspace::RepoReport,
    copies: &[workspace::CopyPlan],
    secrets: &SecretsNote<'_>,
) -> Result<bool, TaskError> {
    let warnings = serde_json::to_string(&task.goal_warnings)
        .map_err(|e| TaskError::Audit(AuditError::Payload(e)))?;
    let inserted = store.conn().execute(
        &format!("INSERT INTO tasks ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
        params![
            task.id,
            task.repo,
            task.repo_name,
            task.base,
            task.base_commit,
            task.branch,
            task.worktree,
            task.goal,
            warnings,
            task.agent.as_str(),
            task.state.as_str(),
            task.created_at,
            task.updated_at
        ],
    );
    match inserted {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation
                && id_taken(store, &task.id).unwrap_or(false) =>
        {
            return Ok(false)
        }
        Err(e) => return Err(sql("recording the task")(e)),
    }
    let payload = serde_json::json!({
        "goal": task.goal,
        "repo": task.repo,
        "base": task.base,
        "base_commit": task.base_commit,
        "branch": task.branch,
        "worktree": task.worktree,
        "agent": task.agent.as_str(),
        "state": task.state.as_str(),
        "checkout": report.checkout_note,
        "copied": copies.iter().map(|c| c.relative.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "goal_warnings_overridden": task.goal_warnings,
        "secret_warnings": secrets.warnings,
        "secrets_withheld": secrets.withheld,
    });
    let reason = if task.goal_warnings.is_empty() {
        format!("goal: {}", task.goal)
    } else {
        format!(
            "goal: {} (user overrode {} goal warning{})",
            task.goal,
            task.goal_warnings.len(),
            if task.goal_warnings.len() == 1 {
                ""
            } else {
                "s"
            }
        )
    };
    audit::record(
        store,
        NewEvent::new("task.created", Actor::User, reason)
            .task(&task.id)
            .payload(payload),
    )?;
    Ok(true)
}

/// Remove what a failed create made: worktree, branch, and the row (if any).
fn undo(root: &Path, made: &Made, scope: &Path, store: &mut Store, row: Option<&str>) {
    if let Ok(repo) = workspace::open_repo(root) {
        let _ = workspace::remove(&repo, made, scope);
    }
    if let Some(id) = row {
        let _ = store
            .conn()
            .execute("DELETE FROM tasks WHERE id = ?1", [id]);
    }
}

/// Move a task to `to`, if the rules allow it; logged as a `task.<state>` event.
pub fn transition(
    store: &mut Store,
    id: &str,
    to: TaskState,
    actor: Actor,
    reason: &str,
) -> Result<Task, TaskError> {
    transition_with(store, id, to, actor, reason, serde_json::json!({}))
}

fn transition_with(
    store: &mut Store,
    id: &str,
    to: TaskState,
    actor: Actor,
    reason: &str,
    extra: serde_json::Value,
) -> Result<Task, TaskError> {
    let task = get(store, id)?;
    let from = task.state;
    from.check_transition(to)?;
    let now = crate::time::now_rfc3339();
    let changed = store
        .conn()
        .execute(
            "UPDATE tasks SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
            params![to.as_str(), now, id, from.as_str()],
        )
        .map_err(sql("changing a task's state"))?;
    if changed != 1 {
        let now = get(store, id)?.state;
        return Err(TaskError::Raced {
            id: id.to_owned(),
            now,
        });
    }
    let mut payload = serde_json::json!({ "from": from.as_str(), "to": to.as_str() });
    if let (Some(p), serde_json::Value::Object(extra)) = (payload.as_object_mut(), extra) {
        p.extend(extra);
    }
    let logged = audit::record(
        store,
        NewEvent::new(format!("task.{}", to.as_str()), actor, reason)
            .task(id)
            .payload(payload),
    );
    if let Err(e) = logged {
        // An unlogged change must not stand: put the state back.
        let _ = store.conn().execute(
            "UPDATE tasks SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = ?4",
            params![from.as_str(), task.updated_at, id, to.as_str()],
        );
        return Err(e.into());
    }
    get(store, id)
}

/// What [`discard`] found and removed.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct DiscardReport {
    pub task: Task,
    /// Commits on the branch that were never reviewed (discarded only with force).
    #[ts(type = "number")]
    pub unreviewed_commits: u64,
    #[ts(type = "number")]
    pub uncommitted_changes: u64,
    pub forced: bool,
}

/// What discarding a task would throw away, without changing anything.
pub fn discard_preview(store: &Store, id: &str) -> Result<DiscardReport, TaskError> {
    let task = get(store, id)?;
    task.state.check_transition(TaskState::Discarded)?;
    let (commits, changes) = pending_work(&task)?;
    Ok(DiscardReport {
        task,
        unreviewed_commits: commits,
        uncommitted_changes: changes,
        forced: false,
    })
}

fn pending_work(task: &Task) -> Result<(u64, u64), TaskError> {
    let commits = match workspace::open_repo(Path::new(&task.repo)) {
        Ok(repo) => {
            workspace::unreviewed_commits(&repo, &task.branch, &task.base, &task.base_commit)?
        }
        // The user's repository is gone: there is nothing left to lose but the worktree.
        Err(_) => 0,
    };
    let changes = workspace::uncommitted_in(Path::new(&task.worktree)).unwrap_or(0);
    Ok((commits, changes))
}

/// Remove a task's worktree and branch and mark it discarded. Refuses when the
/// branch has unreviewed commits or the worktree has uncommitted changes,
/// unless `force`. Never touches the base branch or the user's checkout.
/// (Asking the person is the caller's job: the CLI prompts, the app shows a dialog.)
pub fn discard(
    store: &mut Store,
    home: &PaddockHome,
    id: &str,
    force: bool,
) -> Result<DiscardReport, TaskError> {
    let preview = discard_preview(store, id)?;
    let task = &preview.task;
    if !force && preview.unreviewed_commits > 0 {
        return Err(TaskError::UnreviewedCommits {
            branch: task.branch.clone(),
            base: task.base.clone(),
            count: preview.unreviewed_commits,
        });
    }
    if !force && preview.uncommitted_changes > 0 {
        return Err(TaskError::UncommittedWork {
            worktree: task.worktree.clone(),
            count: preview.uncommitted_changes,
        });
    }
    let scope = home.worktrees();
    let wt_name = format!("paddock-{}", task.id);
    match workspace::open_repo(Path::new(&task.repo)) {
        Ok(repo) => {
            workspace::remove_worktree(&repo, &wt_name, Path::new(&task.worktree), &scope)?;
            workspace::delete_branch(&repo, &task.branch)?;
        }
        Err(_) => {
            // The repository is gone; remove the folder Paddock made.
            let wt = Path::new(&task.worktree);
            if wt.exists() {
                let real = std::fs::canonicalize(wt).unwrap_or_else(|_| wt.to_owned());
                let scope_real = std::fs::canonicalize(&scope).unwrap_or(scope.clone());
                if real.starts_with(&scope_real) && real != scope_real {
                    let _ = std::fs::remove_dir_all(&real);
                }
            }
        }
    }
    let reason = if force && (preview.unreviewed_commits > 0 || preview.uncommitted_changes > 0) {
        format!(
            "discarded with --force: {} unreviewed commit(s) and {} uncommitted change(s) thrown away",
            preview.unreviewed_commits, preview.uncommitted_changes
        )
    } else {
        "discarded: worktree and branch removed".to_owned()
    };
    let task = transition_with(
        store,
        id,
        TaskState::Discarded,
        Actor::User,
        &reason,
        serde_json::json!({
            "branch": task.branch,
            "worktree": task.worktree,
            "unreviewed_commits": preview.unreviewed_commits,
            "uncommitted_changes": preview.uncommitted_changes,
            "forced": force,
        }),
    )?;
    Ok(DiscardReport {
        task,
        forced: force,
        ..preview
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn setup() -> (tempfile::TempDir, PathBuf, PaddockHome, Store) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let repo = root.join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("a.txt"), "a").unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-qm", "one"]);
        let home = PaddockHome::at(root.join("home")).unwrap();
        let store = Store::open_home(&home).unwrap();
        (dir, repo, home, store)
    }

    fn new(repo: &Path) -> NewTask {
        NewTask {
            repo: repo.to_owned(),
            goal: "Fix checkout tax calculation and add tests".into(),
            base: None,
            agent: Agent::Codex,
            copy: vec![],
            accept_goal_warnings: false,
        }
    }

    #[test]
    fn a_name_already_taken_gets_a_new_unique_one() {
        let (_d, repo, home, mut store) = setup();
        // Someone already has the branch the first id would give.
        git(
            &repo,
            &[
                "branch",
                "paddock/fix-checkout-tax-calculation-and-aaaaaaaa",
            ],
        );
        let mut ids = ["aaaaaaaa", "bbbbbbbb", "bbbbbbbb", "cccccccc"].into_iter();
        let mut next = || ids.next().unwrap().to_owned();
        let t = create_with_ids(&mut store, &home, new(&repo), &mut next).unwrap();
        assert_eq!(t.id, "bbbbbbbb");
        // The same id again: the stored task holds it, so the next one is used.
        let t2 = create_with_ids(&mut store, &home, new(&repo), &mut next).unwrap();
        assert_eq!(t2.id, "cccccccc");
        // The pre-existing branch is left alone.
        assert_eq!(
            git(
                &repo,
                &[
                    "rev-parse",
                    "paddock/fix-checkout-tax-calculation-and-aaaaaaaa"
                ]
            ),
            git(&repo, &["rev-parse", "main"])
        );
    }

    #[test]
    fn a_failure_while_recording_removes_the_branch_and_worktree_it_made() {
        let (_d, repo, home, mut store) = setup();
        store
            .conn()
            .execute_batch(
                "CREATE TRIGGER provoke BEFORE INSERT ON tasks
                 BEGIN SELECT RAISE(ABORT, 'provoked failure'); END;",
            )
            .unwrap();
        let e = create(&mut store, &home, new(&repo)).unwrap_err();
        assert!(e.to_string().contains("provoked failure"), "{e}");
        assert_eq!(git(&repo, &["branch", "--list", "paddock/*"]), "");
        assert_eq!(git(&repo, &["worktree", "list"]).lines().count(), 1);
        let scope = home.worktrees().join("repo");
        assert_eq!(std::fs::read_dir(scope).unwrap().count(), 0);
        assert!(list(&store).unwrap().is_empty());
    }

    #[test]
    fn a_failure_while_logging_removes_the_row_too() {
        let (_d, repo, home, mut store) = setup();
        store
            .conn()
            .execute_batch(
                "CREATE TRIGGER provoke BEFORE INSERT ON events
                 BEGIN SELECT RAISE(ABORT, 'provoked log failure'); END;",
            )
            .unwrap();
        let e = create(&mut store, &home, new(&repo)).unwrap_err();
        assert!(e.to_string().contains("provoked log failure"), "{e}");
        assert_eq!(git(&repo, &["branch", "--list", "paddock/*"]), "");
        assert!(list(&store).unwrap().is_empty());
    }

    #[test]
    fn the_transition_table_names_every_illegal_move() {
        for from in TaskState::ALL {
            for to in TaskState::ALL {
                let r = from.check_transition(to);
                assert_eq!(r.is_ok(), from.next().contains(&to));
                if let Err(e) = r {
                    assert_eq!(
                        e.to_string(),
                        format!("a task cannot go from {from} to {to}")
                    );
                }
            }
        }
    }
}
