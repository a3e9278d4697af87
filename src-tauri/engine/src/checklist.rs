//! The eight steps of the fence, each measured from real state. The app's
//! wizard and `paddock check` show these; neither computes a state itself.

use serde::Serialize;
use ts_rs::TS;

use std::path::{Path, PathBuf};

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
    /// The one action that puts the step in place: a `paddock …` (or `git …`)
    /// command to run as printed, or an instruction when no command can do it.
    /// Every step that is not `ok` has one; an `ok` step has none.
    pub fix: Option<String>,
}

fn step(id: StepId, status: StepStatus, summary: impl Into<String>) -> StepState {
    StepState {
        id,
        title: id.title().into(),
        why: id.why().into(),
        status,
        summary: summary.into(),
        fix: None,
    }
}

/// A step that is not in place, with the action that puts it in place.
fn broken(
    id: StepId,
    status: StepStatus,
    summary: impl Into<String>,
    fix: impl Into<String>,
) -> StepState {
    StepState {
        fix: Some(fix.into()),
        ..step(id, status, summary)
    }
}

fn q(text: &str) -> String {
    crate::agents::quote_for_shell(text)
}

/// What the steps are measured for.
enum Subject {
    /// A task: its worktree, branch, goal, agent wiring, secrets, network.
    Task(Box<Task>),
    Missing(Missing),
}

/// Why there is no task to measure.
enum Missing {
    /// No active task yet. With a repository (`paddock check --repo`), its
    /// absolute path goes into the fix, and the task steps fail; without one
    /// (the app before its first task) they are merely not set up.
    NoTask(Option<PathBuf>),
    /// `--repo` names a folder that is not a git repository.
    NotARepository(PathBuf, String),
    /// The tasks cannot be read.
    Unreadable(String),
}

/// The eight steps as they stand, in order.
/// Workspace, Branch and Goal are measured from the newest active task.
pub fn steps(store: &Store) -> Vec<StepState> {
    let subject = match task::newest_active(store) {
        Ok(Some(t)) => Subject::Task(Box::new(t)),
        Ok(None) => Subject::Missing(Missing::NoTask(None)),
        Err(e) => Subject::Missing(Missing::Unreadable(e.to_string())),
    };
    steps_for(store, &subject)
}

/// The eight steps measured for one task (`paddock check --task T`); a task
/// that cannot be read fails the task-bound steps with the reason.
pub fn steps_for_task(store: &Store, id: &str) -> Vec<StepState> {
    let subject = match task::get(store, id) {
        Ok(t) => Subject::Task(Box::new(t)),
        Err(e) => Subject::Missing(Missing::Unreadable(e.to_string())),
    };
    steps_for(store, &subject)
}

/// The eight steps for a repository (`paddock check --repo PATH`): measured
/// for its newest active task. With no such task, or no repository there,
/// the task steps fail and say what to run.
pub fn steps_for_repo(store: &Store, repo: &Path) -> Vec<StepState> {
    let shown = std::path::absolute(repo).unwrap_or_else(|_| repo.to_path_buf());
    let subject = match workspace::open_repo(repo) {
        Err(e) => Subject::Missing(Missing::NotARepository(shown, e.to_string())),
        Ok(opened) => {
            // The checkout itself, even when PATH is a folder inside it.
            let top = opened
                .workdir()
                .and_then(|w| std::fs::canonicalize(w).ok())
                .unwrap_or(shown);
            match task::list(store) {
                Err(e) => Subject::Missing(Missing::Unreadable(e.to_string())),
                // The checkout a task was made from, or the task's own worktree
                // (a hook that runs there measures that task).
                Ok(tasks) => match tasks.into_iter().find(|t| {
                    t.state.is_active()
                        && [&t.repo, &t.worktree]
                            .iter()
                            .any(|p| std::fs::canonicalize(p).is_ok_and(|r| r == top))
                }) {
                    Some(t) => Subject::Task(Box::new(t)),
                    None => Subject::Missing(Missing::NoTask(Some(top))),
                },
            }
        }
    };
    steps_for(store, &subject)
}

/// The command that creates a task for `repo` (the goal is the person's to write).
fn task_new_fix(repo: Option<&Path>) -> String {
    let repo = match repo {
        Some(r) => q(&r.to_string_lossy()),
        None => "PATH".into(),
    };
    format!(
        "paddock task new --repo {repo} --goal \"<one sentence: what the agent should change>\""
    )
}

/// A task-bound step when there is no task to measure.
fn without_task(id: StepId, missing: &Missing) -> StepState {
    match missing {
        Missing::NoTask(None) => broken(
            id,
            StepStatus::NotSetUp,
            match id {
                StepId::Secrets => "Not set up: no active task yet; the Secrets step scans its repository.",
                StepId::Network => "Not set up: no active task yet; every task gets its own proxy (deny list, presets, your rules).",
                StepId::Commands => "Not set up: no active task yet; the policy applies to a task's agent.",
                _ => "Not set up: no active task yet; create one here with the form below, or with `paddock task new`.",
            },
            task_new_fix(None),
        ),
        Missing::NoTask(Some(repo)) => broken(
            id,
            StepStatus::Fail,
            format!("No active task for {}: the agent has no worktree, branch or goal yet.", repo.display()),
            task_new_fix(Some(repo)),
        ),
        Missing::NotARepository(path, why) => broken(
            id,
            StepStatus::Fail,
            format!("{} is not a git repository ({why}).", path.display()),
            // An empty first commit: committing the folder's files could
            // commit a secret; the person adds them once the task exists.
            format!(
                "git -C {p} init && git -C {p} commit --allow-empty -m \"First commit\"",
                p = q(&path.to_string_lossy())
            ),
        ),
        Missing::Unreadable(e) => broken(
            id,
            StepStatus::Fail,
            format!("Cannot read the task: {e}"),
            "paddock task list (then `paddock check --task ID` with a task it lists)",
        ),
    }
}

fn steps_for(store: &Store, subject: &Subject) -> Vec<StepState> {
    StepId::ALL
        .iter()
        .map(|&id| match id {
            StepId::Logs => logs_step(store),
            StepId::Review => review_step(store, subject),
            _ => match subject {
                Subject::Task(t) => match id {
                    StepId::Secrets => secrets_step(t, store),
                    StepId::Network => network_step(t, store),
                    StepId::Commands => commands_step(t, store),
                    _ => task_step(id, t),
                },
                Subject::Missing(m) => without_task(id, m),
            },
        })
        .collect()
}

fn task_step(id: StepId, t: &Task) -> StepState {
    let wt = Path::new(&t.worktree);
    let new_task = task_new_fix(Some(Path::new(&t.repo)));
    match id {
        StepId::Workspace if wt.is_dir() => step(
            id,
            StepStatus::Ok,
            format!("Task {} works in {}.", t.id, t.worktree),
        ),
        StepId::Workspace => broken(
            id,
            StepStatus::Fail,
            format!("Task {}'s worktree {} is missing.", t.id, t.worktree),
            format!("paddock task discard {} --yes, then {new_task}", q(&t.id)),
        ),
        StepId::Branch => match workspace::worktree_branch(wt) {
            Some(b) if b == t.branch => step(
                id,
                StepStatus::Ok,
                format!("On {}; {} is protected.", t.branch, t.base),
            ),
            Some(b) => broken(
                id,
                StepStatus::Fail,
                format!(
                    "The worktree is on {b}, not on the task branch {}.",
                    t.branch
                ),
                format!("git -C {} switch {}", q(&t.worktree), q(&t.branch)),
            ),
            None => broken(
                id,
                StepStatus::Fail,
                format!("The worktree is not on a branch (expected {}).", t.branch),
                format!("git -C {} switch {}", q(&t.worktree), q(&t.branch)),
            ),
        },
        _ if t.goal_warnings.is_empty() => step(id, StepStatus::Ok, format!("\"{}\"", t.goal)),
        _ => broken(
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
            format!(
                "paddock task discard {} --yes, then {} with a narrower goal",
                q(&t.id),
                new_task
            ),
        ),
    }
}

/// Measured from the tasks' states: how many wait for review, how many
/// merged. For a task (`--task`, `--repo`) only that task's own state counts.
fn review_step(store: &Store, subject: &Subject) -> StepState {
    let id = StepId::Review;
    let tasks = match task::list(store) {
        Ok(t) => t,
        Err(e) => {
            return broken(
                id,
                StepStatus::Fail,
                format!("Cannot read tasks: {e}"),
                "paddock task list (it names what is unreadable)",
            )
        }
    };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if let Subject::Task(t) = subject {
        return if t.state == task::TaskState::AwaitingReview {
            broken(
                id,
                StepStatus::Warn,
                format!(
                    "Task {} awaits your review; nothing merges into {} without your approval.",
                    t.id, t.base
                ),
                format!("paddock review diff --task {}", q(&t.id)),
            )
        } else {
            step(
                id,
                StepStatus::Ok,
                format!(
                    "Task {} is {}; it reaches {} only through the review queue and your approval.",
                    t.id, t.state, t.base
                ),
            )
        };
    }
    let waiting: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.state == task::TaskState::AwaitingReview)
        .collect();
    let merged = tasks
        .iter()
        .filter(|t| t.state == task::TaskState::Merged)
        .count();
    let merged_text = if merged > 0 {
        format!(" {merged} merged after review.")
    } else {
        String::new()
    };
    match waiting.first() {
        Some(first) => broken(
            id,
            StepStatus::Warn,
            format!(
                "{} task{} awaiting review in the Review queue; nothing merges without your approval.{merged_text}",
                waiting.len(),
                plural(waiting.len())
            ),
            format!("paddock review diff --task {}", q(&first.id)),
        ),
        None => step(
            id,
            StepStatus::Ok,
            format!(
                "No task awaiting review; nothing merges into a base branch without your approval.{merged_text}"
            ),
        ),
    }
}

/// Held secrets of the task's project, and what a scan of its repository still finds.
fn secrets_step(t: &Task, store: &Store) -> StepState {
    let id = StepId::Secrets;
    let held = match crate::secrets::list(store, Some(&t.repo_name), false) {
        Ok(h) => h.len(),
        Err(e) => {
            return broken(
                id,
                StepStatus::Fail,
                format!("Cannot read the held secrets: {e}"),
                "paddock secrets list (it names what is unreadable)",
            )
        }
    };
    let left = match crate::secrets::scan_tree(
        Path::new(&t.repo),
        &crate::secrets::ScanOptions::default(),
        &|_| {},
    ) {
        Ok(r) => r.findings.len(),
        Err(e) => {
            return broken(
                id,
                StepStatus::Fail,
                format!("Cannot scan {}: {e}", t.repo),
                format!("paddock secrets scan --task {}", q(&t.id)),
            )
        }
    };
    let text = format!(
        "{held} secret{} held in the keychain for this project; {left} finding{} left.",
        if held == 1 { "" } else { "s" },
        if left == 1 { "" } else { "s" },
    );
    if left == 0 {
        step(id, StepStatus::Ok, text)
    } else {
        // A warning, not a failure: the scanner also reports high-entropy
        // strings, and a false positive must not block every commit.
        broken(
            id,
            StepStatus::Warn,
            text,
            format!("paddock secrets move --task {} --all", q(&t.id)),
        )
    }
}

/// Is the task's agent wired to `paddock hook`? Claude Code through the
/// worktree's `.claude/settings.json`, Codex through the task's CODEX_HOME.
/// `None` for an agent without hooks (it runs under `paddock run` only).
fn agent_wired(t: &Task, home: &crate::PaddockHome) -> Option<bool> {
    match t.agent {
        task::Agent::Claude => Some(crate::agents::claude::is_wired(
            Path::new(&t.worktree),
            &t.id,
        )),
        task::Agent::Codex => Some(crate::agents::codex::is_wired(home, &t.id)),
        task::Agent::Other => None,
    }
}

/// The policy parses, the agent is wired to it, and its actions reach it:
/// measured from the agent's configuration and the task's own `agent.action`
/// events (written by `paddock hook`).
fn commands_step(t: &Task, store: &Store) -> StepState {
    let id = StepId::Commands;
    // The database lives at the root of the Paddock home (see `PaddockHome::database`).
    let home = match store.path().parent().map(crate::PaddockHome::at) {
        Some(Ok(home)) => home,
        _ => {
            return broken(
                id,
                StepStatus::Fail,
                "Cannot locate the Paddock home.",
                "set PADDOCK_HOME to the folder that holds paddock.db",
            )
        }
    };
    let policy = match crate::policy::Policy::load(Some(Path::new(&t.repo)), &home) {
        Ok(p) => p,
        Err(e) => {
            return broken(
                id,
                StepStatus::Fail,
                format!("The policy does not load, so every action is denied: {e}"),
                format!(
                    "correct the rule named above in {} or the repository's paddock.toml",
                    home.root().join("policy.toml").display()
                ),
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
        Err(e) => {
            return broken(
                id,
                StepStatus::Fail,
                format!("Cannot read the log: {e}"),
                "paddock log verify",
            )
        }
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
    let decided = counts.iter().sum::<usize>();
    let agent = t.agent.as_str();
    match agent_wired(t, &home) {
        // Actions that reached Paddock prove the wiring, whatever the files say.
        _ if decided > 0 => step(
            id,
            StepStatus::Ok,
            format!(
                "Policy: {rules}. Task {}: {} actions allowed, {} asked, {} denied.",
                t.id, counts[0], counts[1], counts[2]
            ),
        ),
        Some(true) => step(
            id,
            StepStatus::Ok,
            format!(
                "Policy: {rules}. The {agent} agent of task {} sends every tool call to Paddock; no action yet.",
                t.id
            ),
        ),
        Some(false) => broken(
            id,
            StepStatus::Fail,
            format!(
                "Policy: {rules}. The {agent} agent of task {} is not wired to Paddock: its commands would run unchecked.",
                t.id
            ),
            format!("paddock agent setup {agent} --task {}", q(&t.id)),
        ),
        None => broken(
            id,
            StepStatus::Warn,
            format!(
                "Policy: {rules}. Task {}'s agent has no hooks: only `paddock run` confines it.",
                t.id
            ),
            format!("paddock run --task {} -- AGENT-COMMAND", q(&t.id)),
        ),
    }
}

/// Measured from the task's network settings and connections.
fn network_step(t: &Task, store: &Store) -> StepState {
    let id = StepId::Network;
    match crate::network_view::summary(store, &t.id) {
        Ok((text, 0)) => step(id, StepStatus::Ok, text),
        Ok((text, _)) => broken(id, StepStatus::Warn, text, "paddock approvals list"),
        Err(e) => broken(
            id,
            StepStatus::Fail,
            format!("Cannot read the network settings: {e}"),
            format!("paddock network rules --task {}", q(&t.id)),
        ),
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
        Ok(report) => broken(
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
            format!(
                "restore {} from a backup; `paddock log verify` names every edited row",
                store.path().display()
            ),
        ),
        Err(e) => broken(
            StepId::Logs,
            StepStatus::Fail,
            format!("Cannot read the log: {e}"),
            "paddock log verify",
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
    fn a_step_has_a_fix_exactly_when_it_is_not_ok() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("p.db")).unwrap();
        let plain = dir.path().join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        for (what, all) in [
            ("no task", steps(&s)),
            ("not a repository", steps_for_repo(&s, &plain)),
            ("unknown task", steps_for_task(&s, "nope")),
        ] {
            assert_eq!(all.len(), 8, "{what}");
            for st in &all {
                assert_eq!(
                    st.fix.is_none(),
                    st.status == StepStatus::Ok,
                    "{what}: {st:?}"
                );
            }
        }
        let ws = &steps_for_repo(&s, &plain)[0];
        assert_eq!(ws.status, StepStatus::Fail);
        assert!(ws.summary.contains("is not a git repository"), "{ws:?}");
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
