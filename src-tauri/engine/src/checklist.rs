//! The eight steps of the fence, each measured from real state. The app's
//! wizard and `paddock check` show these; neither computes a state itself.

use serde::Serialize;
use ts_rs::TS;

use crate::audit;
use crate::store::Store;
use crate::task::{self, Task};
use crate::workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum StepId {
    Workspace,
    Branch,
    Goal,
    Secrets,
    Network,
    Commands,
    Logs,
    Review,
}

impl StepId {
    pub const ALL: [StepId; 8] = [
        StepId::Workspace,
        StepId::Branch,
        StepId::Goal,
        StepId::Secrets,
        StepId::Network,
        StepId::Commands,
        StepId::Logs,
        StepId::Review,
    ];

    pub fn title(self) -> &'static str {
        match self {
            StepId::Workspace => "Workspace",
            StepId::Branch => "Branch",
            StepId::Goal => "Goal",
            StepId::Secrets => "Secrets",
            StepId::Network => "Network",
            StepId::Commands => "Commands",
            StepId::Logs => "Logs",
            StepId::Review => "Review",
        }
    }

    /// Why the step matters, in one sentence.
    pub fn why(self) -> &'static str {
        match self {
            StepId::Workspace => {
                "The agent works in its own worktree, so your checkout stays untouched."
            }
            StepId::Branch => "A dedicated branch keeps the base branch out of the agent's reach.",
            StepId::Goal => "A narrow goal keeps the change small enough to review.",
            StepId::Secrets => "Secrets live in the OS keychain, not in files the agent can read.",
            StepId::Network => {
                "Traffic goes through an allowlist; unknown destinations wait for you."
            }
            StepId::Commands => {
                "Every action is allowed, asked or denied by a policy you can read."
            }
            StepId::Logs => "An append-only log reconstructs what happened and why.",
            StepId::Review => "Nothing merges into the base branch until you approve the diff.",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum StepStatus {
    /// Measured and in place.
    Ok,
    /// In place, with something to look at.
    Warn,
    /// Measured and broken.
    Fail,
    /// Paddock cannot set this up yet, or nothing has been set up.
    NotSetUp,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct StepState {
    pub id: StepId,
    pub title: String,
    pub why: String,
    pub status: StepStatus,
    /// What Paddock measured, in one line.
    pub summary: String,
}

fn step(id: StepId, status: StepStatus, summary: impl Into<String>) -> StepState {
    StepState {
        id,
        title: id.title().into(),
        why: id.why().into(),
        status,
        summary: summary.into(),
    }
}

/// The eight steps as they stand, in order.
/// Workspace, Branch and Goal are measured from the newest active task.
pub fn steps(store: &Store) -> Vec<StepState> {
    steps_for(store, task::newest_active(store))
}

/// The eight steps measured for one task (`paddock check --task T`); a task
/// that cannot be read fails the task-bound steps with the reason.
pub fn steps_for_task(store: &Store, id: &str) -> Vec<StepState> {
    steps_for(store, task::get(store, id).map(Some))
}

fn steps_for(store: &Store, active: Result<Option<Task>, task::TaskError>) -> Vec<StepState> {
    StepId::ALL
        .iter()
        .map(|&id| match id {
            StepId::Logs => logs_step(store),
            StepId::Workspace | StepId::Branch | StepId::Goal => match &active {
                Ok(Some(t)) => task_step(id, t),
                Ok(None) => step(
                    id,
                    StepStatus::NotSetUp,
                    "Not set up: no active task yet; create one here with the form below, or with `paddock task new`.",
                ),
                Err(e) => step(id, StepStatus::Fail, format!("Cannot read tasks: {e}")),
            },
            StepId::Secrets => secrets_step(&active, store),
            StepId::Network => network_step(&active, store),
            StepId::Commands => commands_step(&active, store),
            StepId::Review => review_step(store),
        })
        .collect()
}

fn task_step(id: StepId, t: &Task) -> StepState {
    let wt = std::path::Path::new(&t.worktree);
    match id {
        StepId::Workspace if wt.is_dir() => step(
            id,
            StepStatus::Ok,
            format!("Task {} works in {}.", t.id, t.worktree),
        ),
        StepId::Workspace => step(
            id,
            StepStatus::Fail,
            format!("Task {}'s worktree {} is missing.", t.id, t.worktree),
        ),
        StepId::Branch => match workspace::worktree_branch(wt) {
            Some(b) if b == t.branch => step(
                id,
                StepStatus::Ok,
                format!("On {}; {} is protected.", t.branch, t.base),
            ),
            Some(b) => step(
                id,
                StepStatus::Fail,
                format!(
                    "The worktree is on {b}, not on the task branch {}.",
                    t.branch
                ),
            ),
            None => step(
                id,
                StepStatus::Fail,
                format!("The worktree is not on a branch (expected {}).", t.branch),
            ),
        },
        _ if t.goal_warnings.is_empty() => step(id, StepStatus::Ok, format!("\"{}\"", t.goal)),
        _ => step(
            id,
            StepStatus::Warn,
            format!(
                "\"{}\" (created despite {} goal warning{}: {})",
                t.goal,
                t.goal_warnings.len(),
                if t.goal_warnings.len() == 1 { "" } else { "s" },
                t.goal_warnings
                    .iter()
                    .map(|w| w.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    }
}

/// Measured from the tasks' states: how many wait for review, how many merged.
fn review_step(store: &Store) -> StepState {
    let tasks = match task::list(store) {
        Ok(t) => t,
        Err(e) => {
            return step(
                StepId::Review,
                StepStatus::Fail,
                format!("Cannot read tasks: {e}"),
            )
        }
    };
    let waiting = tasks
        .iter()
        .filter(|t| t.state == task::TaskState::AwaitingReview)
        .count();
    let merged = tasks
        .iter()
        .filter(|t| t.state == task::TaskState::Merged)
        .count();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let merged_text = if merged > 0 {
        format!(" {merged} merged after review.")
    } else {
        String::new()
    };
    if waiting > 0 {
        step(
            StepId::Review,
            StepStatus::Warn,
            format!(
                "{waiting} task{} awaiting review in the Review queue; nothing merges without your approval.{merged_text}",
                plural(waiting)
            ),
        )
    } else {
        step(
            StepId::Review,
            StepStatus::Ok,
            format!(
                "No task awaiting review; nothing merges into a base branch without your approval.{merged_text}"
            ),
        )
    }
}

/// Measured from the newest active task's network settings and connections.
/// Held secrets of the active task's project, and what a scan of its repository still finds.
fn secrets_step(active: &Result<Option<Task>, task::TaskError>, store: &Store) -> StepState {
    let id = StepId::Secrets;
    let t = match active {
        Ok(Some(t)) => t,
        Ok(None) => {
            return step(
                id,
                StepStatus::NotSetUp,
                "Not set up: no active task yet; the Secrets step scans its repository.",
            )
        }
        Err(e) => return step(id, StepStatus::Fail, format!("Cannot read tasks: {e}")),
    };
    let held = match crate::secrets::list(store, Some(&t.repo_name), false) {
        Ok(h) => h.len(),
        Err(e) => {
            return step(
                id,
                StepStatus::Fail,
                format!("Cannot read the held secrets: {e}"),
            )
        }
    };
    let left = match crate::secrets::scan_tree(
        std::path::Path::new(&t.repo),
        &crate::secrets::ScanOptions::default(),
        &|_| {},
    ) {
        Ok(r) => r.findings.len(),
        Err(e) => return step(id, StepStatus::Fail, format!("Cannot scan {}: {e}", t.repo)),
    };
    let text = format!(
        "{held} secret{} held in the keychain for this project; {left} finding{} left.",
        if held == 1 { "" } else { "s" },
        if left == 1 { "" } else { "s" },
    );
    step(
        id,
        if left == 0 {
            StepStatus::Ok
        } else {
            StepStatus::Warn
        },
        text,
    )
}

/// The policy parses, and the agent's actions reach it: measured from the
/// task's own `agent.action` events (written by `paddock hook`).
fn commands_step(active: &Result<Option<Task>, task::TaskError>, store: &Store) -> StepState {
    let id = StepId::Commands;
    let t = match active {
        Ok(Some(t)) => t,
        Ok(None) => {
            return step(
                id,
                StepStatus::NotSetUp,
                "Not set up: no active task yet; the policy applies to a task's agent.",
            )
        }
        Err(e) => return step(id, StepStatus::Fail, format!("Cannot read tasks: {e}")),
    };
    // The database lives at the root of the Paddock home (see `PaddockHome::database`).
    let policy = match store.path().parent().map(crate::PaddockHome::at) {
        Some(Ok(home)) => crate::policy::Policy::load(Some(std::path::Path::new(&t.repo)), &home),
        _ => return step(id, StepStatus::Fail, "Cannot locate the Paddock home."),
    };
    let policy = match policy {
        Ok(p) => p,
        Err(e) => {
            return step(
                id,
                StepStatus::Fail,
                format!("The policy does not load, so every action is denied: {e}"),
            )
        }
    };
    let rules = format!(
        "built-in defaults + {} rule{} of yours + {} from the repository's paddock.toml",
        policy.user.len(),
        if policy.user.len() == 1 { "" } else { "s" },
        policy.repo.len()
    );
    let events = match audit::list(store, Some(&t.id)) {
        Ok(e) => e,
        Err(e) => return step(id, StepStatus::Fail, format!("Cannot read the log: {e}")),
    };
    let mut counts = [0usize; 3];
    for e in events.iter().filter(|e| e.kind == "agent.action") {
        let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
        match v["verdict"].as_str() {
            Some("allow") => counts[0] += 1,
            Some("ask") => counts[1] += 1,
            _ => counts[2] += 1,
        }
    }
    if counts.iter().sum::<usize>() == 0 {
        return step(
            id,
            StepStatus::Warn,
            format!(
                "Policy: {rules}. No agent action has reached Paddock for task {} yet: wire the agent with `paddock agent setup claude|codex --task {}`.",
                t.id, t.id
            ),
        );
    }
    step(
        id,
        StepStatus::Ok,
        format!(
            "Policy: {rules}. Task {}: {} actions allowed, {} asked, {} denied.",
            t.id, counts[0], counts[1], counts[2]
        ),
    )
}

fn network_step(active: &Result<Option<Task>, task::TaskError>, store: &Store) -> StepState {
    let id = StepId::Network;
    match active {
        Ok(Some(t)) => match crate::network_view::summary(store, &t.id) {
            Ok((text, 0)) => step(id, StepStatus::Ok, text),
            Ok((text, _)) => step(id, StepStatus::Warn, text),
            Err(e) => step(id, StepStatus::Fail, format!("Cannot read the network settings: {e}")),
        },
        Ok(None) => step(
            id,
            StepStatus::NotSetUp,
            "Not set up: no active task yet; every task gets its own proxy (deny list, presets, your rules).",
        ),
        Err(e) => step(id, StepStatus::Fail, format!("Cannot read tasks: {e}")),
    }
}

fn logs_step(store: &Store) -> StepState {
    match audit::verify(store) {
        Ok(report) if report.is_intact() => step(
            StepId::Logs,
            StepStatus::Ok,
            format!(
                "{} event{} in {}; hash chain verified.",
                report.events,
                if report.events == 1 { "" } else { "s" },
                store.path().display()
            ),
        ),
        Ok(report) => step(
            StepId::Logs,
            StepStatus::Fail,
            format!(
                "{} events; the hash chain is broken: {}.",
                report.events,
                report
                    .problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Err(e) => step(
            StepId::Logs,
            StepStatus::Fail,
            format!("Cannot read the log: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{record, Actor, NewEvent};

    #[test]
    fn logs_step_reports_the_real_event_count_and_a_broken_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("p.db")).unwrap();
        for _ in 0..3 {
            record(&mut s, NewEvent::new("x", Actor::User, "r")).unwrap();
        }
        let all = steps(&s);
        assert_eq!(all.len(), 8);
        let logs = all.iter().find(|s| s.id == StepId::Logs).unwrap();
        assert_eq!(logs.status, StepStatus::Ok);
        assert!(logs.summary.starts_with("3 events"), "{}", logs.summary);

        s.conn()
            .execute_batch("DROP TRIGGER events_no_update; UPDATE events SET reason='y' WHERE id=2")
            .unwrap();
        let logs = steps(&s)
            .into_iter()
            .find(|s| s.id == StepId::Logs)
            .unwrap();
        assert_eq!(logs.status, StepStatus::Fail);
        assert!(
            logs.summary.contains("row 2 was edited"),
            "{}",
            logs.summary
        );
    }

    #[test]
    fn review_step_counts_the_tasks_awaiting_review() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("p.db")).unwrap();
        let review = steps(&s)
            .into_iter()
            .find(|s| s.id == StepId::Review)
            .unwrap();
        assert_eq!(review.status, StepStatus::Ok);
        assert!(
            review.summary.starts_with("No task awaiting review"),
            "{}",
            review.summary
        );
    }
}
