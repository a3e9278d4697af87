//! The task commands behind the wizard's Workspace, Branch and Goal steps and
//! the task list. Each one asks the engine and returns what it said; an error
//! reaches the UI as one readable line. Git and SQLite work runs on the
//! blocking pool, never on the UI thread.

use std::path::PathBuf;

use paddock_engine::goal::{self, GoalWarning};
use paddock_engine::task::{self, Agent, DiscardReport, NewTask, Task, TaskError};
use paddock_engine::workspace::{self, RepoReport};
use paddock_engine::{PaddockHome, Store};
use serde::Deserialize;

use crate::commands::AppState;

/// Run `work` on the blocking pool; a panic there becomes an error line, not a crash.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| format!("Paddock's worker stopped unexpectedly: {e}"))?
}

fn open(home: &PaddockHome) -> Result<Store, String> {
    Store::open_home(home).map_err(|e| e.to_string())
}

/// The engine's error as the app's user should read it. The engine words a
/// few errors for the CLI (`--accept-goal-warnings`, `--force`); say what to do in the app.
fn task_error(e: TaskError) -> String {
    match e {
        TaskError::GoalNeedsNarrowing { warnings } => format!(
            "the goal has {} warning{}; make it narrower or tick \"Create anyway\"",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        ),
        other => other
            .to_string()
            .replace(
                "pass --force to discard them",
                "discard with force to throw them away",
            )
            .replace(
                "pass --base BRANCH to name the base branch",
                "choose a base branch",
            ),
    }
}

/// Validate a repository (and a base branch, default: its current branch) and
/// describe the user's checkout. Reads only.
#[tauri::command]
pub async fn inspect_repo(path: String, base: Option<String>) -> Result<RepoReport, String> {
    blocking(move || {
        let base = base.filter(|b| !b.trim().is_empty());
        workspace::inspect(&PathBuf::from(path.trim()), base.as_deref()).map_err(|e| e.to_string())
    })
    .await
}

/// The repository's local branches, sorted.
#[tauri::command]
pub async fn repo_branches(path: String) -> Result<Vec<String>, String> {
    blocking(move || workspace::branches(&PathBuf::from(path.trim())).map_err(|e| e.to_string()))
        .await
}

/// The engine's warnings for a goal (empty: one narrow, testable aim).
#[tauri::command]
pub fn check_goal(goal: String) -> Vec<GoalWarning> {
    goal::check(&goal)
}

/// What the wizard sends to create a task.
#[derive(Debug, Deserialize)]
pub struct CreateTaskRequest {
    pub repo: String,
    /// Empty or absent: the repository's current branch.
    pub base: Option<String>,
    pub goal: String,
    /// "claude" | "codex" | "other".
    pub agent: String,
    #[serde(default)]
    pub accept_goal_warnings: bool,
}

/// Make the task's branch and worktree and record it (all or nothing).
#[tauri::command]
pub async fn create_task(
    state: tauri::State<'_, AppState>,
    request: CreateTaskRequest,
) -> Result<Task, String> {
    let home = state.home.clone();
    blocking(move || {
        let agent = Agent::parse(&request.agent).ok_or_else(|| {
            format!(
                "unknown agent {:?} (choose claude, codex or other)",
                request.agent
            )
        })?;
        let new = NewTask {
            repo: PathBuf::from(request.repo.trim()),
            goal: request.goal,
            base: request.base.filter(|b| !b.trim().is_empty()),
            agent,
            copy: Vec::new(),
            accept_goal_warnings: request.accept_goal_warnings,
        };
        let mut store = open(&home)?;
        task::create(&mut store, &home, new).map_err(task_error)
    })
    .await
}

/// All tasks, newest first.
#[tauri::command]
pub async fn list_tasks(state: tauri::State<'_, AppState>) -> Result<Vec<Task>, String> {
    let home = state.home.clone();
    blocking(move || task::list(&open(&home)?).map_err(task_error)).await
}

/// Remove a task's worktree and branch. Without `force`, refuses when work would be lost.
#[tauri::command]
pub async fn discard_task(
    state: tauri::State<'_, AppState>,
    id: String,
    force: bool,
) -> Result<DiscardReport, String> {
    let home = state.home.clone();
    blocking(move || {
        let mut store = open(&home)?;
        task::discard(&mut store, &home, &id, force).map_err(task_error)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goal_warnings_are_worded_for_the_app_not_the_cli() {
        let warnings = goal::check("improve stuff");
        let n = warnings.len();
        let msg = task_error(TaskError::GoalNeedsNarrowing { warnings });
        assert_eq!(
            msg,
            format!("the goal has {n} warnings; make it narrower or tick \"Create anyway\"")
        );
        let msg = task_error(TaskError::UncommittedWork {
            worktree: "/w".into(),
            count: 2,
        });
        assert!(!msg.contains("--force"), "{msg}");
    }

    #[test]
    fn create_request_reads_the_wizard_json() {
        let r: CreateTaskRequest = serde_json::from_value(serde_json::json!({
            "repo": "/r", "base": "main", "goal": "g", "agent": "claude",
            "accept_goal_warnings": true
        }))
        .unwrap();
        assert!(r.accept_goal_warnings);
        assert_eq!(r.base.as_deref(), Some("main"));
    }
}
