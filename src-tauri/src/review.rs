//! The review commands the UI calls (queue, diff, both sides of a file, marks,
//! comments, change requests, the note, the merge) and the per-task timeline
//! read from the audit log. Every answer comes from the engine
//! (`paddock_engine::review`, `audit`); the shell only words it. Git and
//! SQLite work runs on the blocking pool, never on the UI thread.

use paddock_engine::audit::{self, Actor, Event};
use paddock_engine::review::{
    self, FileContents, FileDiff, MergeOptions, MergeOutcome, ReviewComment, ReviewDiff,
    ReviewError, ReviewNote, TestStatus,
};
use paddock_engine::task::{self, Task, TaskState};
use paddock_engine::{PaddockHome, Store};
use serde::Serialize;
use serde_json::Value;

use crate::commands::AppState;

/// The event that asks the UI to show the review queue.
pub const EVENT_OPEN: &str = "open-review";
/// The event the UI listens to: the number of tasks awaiting review changed.
pub const EVENT_CHANGED: &str = "review-changed";

async fn blocking<T: Send + 'static, E: Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
    stopped: impl FnOnce(String) -> E,
) -> Result<T, E> {
    match tauri::async_runtime::spawn_blocking(work).await {
        Ok(r) => r,
        Err(e) => Err(stopped(format!(
            "Paddock's worker stopped unexpectedly: {e}"
        ))),
    }
}

async fn run<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    blocking(work, |e| e).await
}

fn open(home: &PaddockHome) -> Result<Store, String> {
    Store::open_home(home).map_err(|e| e.to_string())
}

fn err(e: ReviewError) -> String {
    e.to_string()
}

// ───────────────────────────── the queue ─────────────────────────────

/// One task awaiting review, with what its badges say (all read from the
/// engine's review note). UI type: `QueueEntry` in `ui/src/backend/index.ts`.
#[derive(Debug, Clone, Serialize)]
pub struct QueueEntry {
    pub task: Task,
    pub files: u32,
    pub additions: u32,
    pub deletions: u32,
    pub reviewed: u32,
    pub test_status: TestStatus,
    /// Approvals a person granted while the agent worked.
    pub approvals: usize,
    /// Actions that were denied (by the policy, a person, or a timeout).
    pub blocked: usize,
    /// Comments written and not yet sent to the agent.
    pub unsent_comments: usize,
    /// Set when the task's diff could not be read.
    pub error: Option<String>,
}

/// Tasks awaiting review, newest first (by when they entered review).
pub fn queue(store: &Store) -> Result<Vec<QueueEntry>, String> {
    let mut tasks: Vec<Task> = task::list(store)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|t| t.state == TaskState::AwaitingReview)
        .collect();
    tasks.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    Ok(tasks
        .into_iter()
        .map(|t| {
            let unsent_comments = review::comments(store, &t.id)
                .map(|c| c.iter().filter(|c| c.sent_at.is_none()).count())
                .unwrap_or(0);
            match review::note(store, &t.id) {
                Ok(n) => QueueEntry {
                    files: n.totals.files,
                    additions: n.totals.additions,
                    deletions: n.totals.deletions,
                    reviewed: n.totals.reviewed,
                    test_status: n.test_status,
                    approvals: n.approvals.len(),
                    blocked: n
                        .attention
                        .iter()
                        .filter(|a| a.kind == paddock_engine::review::AttentionKind::DeniedAction)
                        .count(),
                    unsent_comments,
                    error: n.diff_error,
                    task: t,
                },
                Err(e) => QueueEntry {
                    task: t,
                    files: 0,
                    additions: 0,
                    deletions: 0,
                    reviewed: 0,
                    test_status: TestStatus::Missing,
                    approvals: 0,
                    blocked: 0,
                    unsent_comments,
                    error: Some(e.to_string()),
                },
            }
        })
        .collect())
}

#[tauri::command]
pub async fn review_queue(state: tauri::State<'_, AppState>) -> Result<Vec<QueueEntry>, String> {
    let home = state.home.clone();
    run(move || queue(&open(&home)?)).await
}

// ───────────────────────────── the diff ─────────────────────────────

#[tauri::command]
pub async fn review_diff(
    state: tauri::State<'_, AppState>,
    task: String,
) -> Result<ReviewDiff, String> {
    let home = state.home.clone();
    run(move || review::diff(&open(&home)?, &task).map_err(err)).await
}

#[tauri::command]
pub async fn review_file(
    state: tauri::State<'_, AppState>,
    task: String,
    path: String,
) -> Result<FileContents, String> {
    let home = state.home.clone();
    run(move || review::file_contents(&open(&home)?, &task, &path).map_err(err)).await
}

#[tauri::command]
pub async fn review_mark(
    state: tauri::State<'_, AppState>,
    task: String,
    path: String,
    reviewed: bool,
) -> Result<FileDiff, String> {
    let home = state.home.clone();
    run(move || {
        review::mark_reviewed(&mut open(&home)?, &task, &path, reviewed, Actor::User).map_err(err)
    })
    .await
}

// ───────────────────────────── comments ─────────────────────────────

#[tauri::command]
pub async fn review_comment(
    state: tauri::State<'_, AppState>,
    task: String,
    path: String,
    line: Option<u32>,
    text: String,
) -> Result<ReviewComment, String> {
    let home = state.home.clone();
    run(move || {
        review::comment(&mut open(&home)?, &task, &path, line, &text, Actor::User).map_err(err)
    })
    .await
}

#[tauri::command]
pub async fn review_comments(
    state: tauri::State<'_, AppState>,
    task: String,
) -> Result<Vec<ReviewComment>, String> {
    let home = state.home.clone();
    run(move || review::comments(&open(&home)?, &task).map_err(err)).await
}

/// Send the unsent comments to the agent as its next instruction; returns it.
#[tauri::command]
pub async fn review_request_changes(
    state: tauri::State<'_, AppState>,
    task: String,
) -> Result<String, String> {
    let home = state.home.clone();
    run(move || review::request_changes(&mut open(&home)?, &task, Actor::User).map_err(err)).await
}

#[tauri::command]
pub async fn review_note(
    state: tauri::State<'_, AppState>,
    task: String,
) -> Result<ReviewNote, String> {
    let home = state.home.clone();
    run(move || review::note(&open(&home)?, &task).map_err(err)).await
}

// ───────────────────────────── the merge ─────────────────────────────

/// Why the engine refused a merge, as the UI shows it. `merge_anyway` is true
/// only when the refusal is about tests, the one thing "merge anyway" overrides.
/// UI type: `MergeRefusal` in `ui/src/backend/index.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeRefusal {
    /// `unreviewed`, `tests`, `conflict`, `dirty_checkout`, `worktree_dirty`,
    /// `nothing_to_merge`, `base_moved`, `wrong_state` or `error`.
    pub reason: &'static str,
    pub message: String,
    pub merge_anyway: bool,
    /// The files the refusal names (unreviewed, conflicting, dirty).
    pub files: Vec<String>,
}

pub fn refusal(e: ReviewError) -> MergeRefusal {
    let message = e.to_string();
    let (reason, files) = match e {
        ReviewError::Unreviewed { files, .. } => ("unreviewed", files),
        ReviewError::TestsNotPassing { .. } => ("tests", Vec::new()),
        ReviewError::Conflict { files, .. } => ("conflict", files),
        ReviewError::DirtyCheckout { files, .. } => ("dirty_checkout", files),
        ReviewError::WorktreeDirty { .. } => ("worktree_dirty", Vec::new()),
        ReviewError::NothingToMerge { .. } => ("nothing_to_merge", Vec::new()),
        ReviewError::BaseMoved { .. } => ("base_moved", Vec::new()),
        ReviewError::WrongState { .. } => ("wrong_state", Vec::new()),
        _ => ("error", Vec::new()),
    };
    MergeRefusal {
        reason,
        message,
        merge_anyway: reason == "tests",
        files,
    }
}

fn plain_refusal(message: String) -> MergeRefusal {
    MergeRefusal {
        reason: "error",
        message,
        merge_anyway: false,
        files: Vec::new(),
    }
}

/// Approve and merge: the call is the user's approval. The engine refuses
/// (and logs) unless every file is reviewed and the tests pass or the user
/// chose "merge anyway".
#[tauri::command]
pub async fn review_merge(
    state: tauri::State<'_, AppState>,
    task: String,
    options: MergeOptions,
) -> Result<MergeOutcome, MergeRefusal> {
    let home = state.home.clone();
    blocking(
        move || {
            let mut store = open(&home).map_err(plain_refusal)?;
            review::merge(&mut store, &home, &task, options, Actor::User).map_err(refusal)
        },
        plain_refusal,
    )
    .await
}

// ───────────────────────────── the timeline ─────────────────────────────

/// The kinds the Logs screen filters by.
pub const KINDS: [&str; 6] = [
    "prompts",
    "commands",
    "decisions",
    "network",
    "files",
    "tests",
];

/// One audit event as the Logs screen shows it. UI type: `TimelineEntry`.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub actor: String,
    pub reason: String,
    /// Which of [`KINDS`] the event belongs to (none: "other").
    pub kinds: Vec<&'static str>,
    /// What it was about in one line: the command, URL, path or prompt.
    pub subject: Option<String>,
    /// allow / ask / deny, when the event records a decision.
    pub verdict: Option<String>,
    /// The stored payload (redacted when it was recorded, and again here).
    pub payload: String,
}

fn text(v: &Value, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let mut cur = v;
        for k in p.split('.') {
            cur = cur.get(k)?;
        }
        cur.as_str()
            .map(str::to_owned)
            .filter(|s| !s.trim().is_empty())
    })
}

/// The command a payload names, if any.
fn command_of(p: &Value) -> Option<String> {
    text(
        p,
        &[
            "input.command",
            "action.command",
            "tool_input.command",
            "command",
        ],
    )
}

fn url_of(p: &Value) -> Option<String> {
    text(
        p,
        &[
            "action.url",
            "input.url",
            "tool_input.url",
            "url",
            "host",
            "domain",
            "action.host",
        ],
    )
}

fn path_of(p: &Value) -> Option<String> {
    text(
        p,
        &[
            "action.path",
            "input.file_path",
            "tool_input.file_path",
            "input.path",
            "path",
        ],
    )
}

/// Sort one event into the Logs screen's kinds, and say what it was about.
pub fn classify(e: &Event) -> TimelineEntry {
    use paddock_engine::redact::redact;
    let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
    let k = e.kind.as_str();
    let mut kinds: Vec<&'static str> = Vec::new();
    let command = command_of(&p);
    let url = url_of(&p);
    let path = path_of(&p);
    let action_kind = text(&p, &["action.kind"]).unwrap_or_default();
    let mut add = |x: &'static str| {
        if !kinds.contains(&x) {
            kinds.push(x);
        }
    };
    if k == "agent.prompt" || k == "task.summary" || k.ends_with("user_prompt_submit") {
        add("prompts");
    }
    let decision = k == "agent.action"
        || k.ends_with("pre_tool_use")
        || k == "command.decided"
        || k.starts_with("approval.")
        || k.starts_with("review.merge")
        || k == "review.changes_requested"
        || k == "network.allow"
        || k == "network.deny"
        || k == "network.ask"
        || k.ends_with("_blocked")
        || k == "sandbox.refused";
    if decision {
        add("decisions");
    }
    let result = k == "agent.result" || k == "command.result" || k.ends_with("post_tool_use");
    let sandbox = k.starts_with("sandbox.");
    if (result || sandbox || (decision && command.is_some()))
        && (command.is_some() || sandbox || action_kind == "shell")
    {
        add("commands");
    }
    if result
        && command
            .as_deref()
            .and_then(review::test_output::runner_of_command)
            .is_some()
    {
        add("tests");
    }
    if k.starts_with("network.")
        || k.starts_with("proxy.")
        || matches!(action_kind.as_str(), "fetch" | "connect")
        || (decision && url.is_some() && command.is_none())
    {
        add("network");
    }
    if k.starts_with("file.")
        || k == "review.committed"
        || k == "sandbox.write_blocked"
        || k == "sandbox.read_blocked"
        || matches!(action_kind.as_str(), "read" | "write")
        || (path.is_some() && command.is_none() && !k.starts_with("review.file"))
    {
        add("files");
    }
    let subject = if kinds.contains(&"prompts") {
        text(&p, &["prompt", "summary"]).map(|s| shorten(&s, 240))
    } else {
        command.or(url).or(path).map(|s| shorten(&s, 240))
    };
    TimelineEntry {
        id: e.id,
        at: e.at.clone(),
        kind: e.kind.clone(),
        actor: e.actor.clone(),
        reason: redact(&e.reason),
        kinds,
        subject: subject.map(|s| redact(&s)),
        verdict: text(&p, &["verdict"]).or_else(|| text(&p, &["decision"])),
        payload: redact(&e.payload),
    }
}

fn shorten(s: &str, max: usize) -> String {
    let one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= max {
        one
    } else {
        let mut t: String = one.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A task's events, oldest first, keeping those in any of `kinds` (None: all,
/// including events of no kind).
pub fn timeline(
    store: &Store,
    task: &str,
    kinds: Option<&[String]>,
) -> Result<Vec<TimelineEntry>, String> {
    if let Some(unknown) = kinds
        .into_iter()
        .flatten()
        .find(|k| !KINDS.contains(&k.as_str()))
    {
        return Err(format!(
            "unknown kind {unknown:?} (choose from {})",
            KINDS.join(", ")
        ));
    }
    task::get(store, task).map_err(|e| e.to_string())?;
    let events = audit::list(store, Some(task)).map_err(|e| e.to_string())?;
    Ok(events
        .iter()
        .map(classify)
        .filter(|t| match kinds {
            None => true,
            Some(want) => t.kinds.iter().any(|k| want.iter().any(|w| w == k)),
        })
        .collect())
}

#[tauri::command]
pub async fn task_timeline(
    state: tauri::State<'_, AppState>,
    task: String,
    kinds: Option<Vec<String>>,
) -> Result<Vec<TimelineEntry>, String> {
    let home = state.home.clone();
    run(move || timeline(&open(&home)?, &task, kinds.as_deref())).await
}

/// Tasks awaiting review, for the tray and notifications (newest first).
pub fn awaiting(store: &Store) -> Result<Vec<Task>, String> {
    let mut t: Vec<Task> = task::list(store)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|t| t.state == TaskState::AwaitingReview)
        .collect();
    t.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
    Ok(t)
}

/// A desktop notification's words for a task that is ready for review.
pub fn ready_text(t: &Task) -> (String, String) {
    use paddock_engine::redact::redact;
    (
        format!("Paddock: {} is ready for review", t.id),
        format!(
            "{}\n{} → {}",
            shorten(&redact(&t.goal), 160),
            t.branch,
            t.base
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, payload: Value) -> Event {
        Event {
            id: 1,
            task: Some("t1".into()),
            kind: kind.into(),
            payload: payload.to_string(),
            reason: "r".into(),
            actor: "agent".into(),
            at: "2025-01-01T00:00:00Z".into(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn a_test_run_is_both_a_command_and_a_test() {
        let e = classify(&event(
            "agent.result",
            serde_json::json!({"tool": "Bash", "input": {"command": "cargo test -q"}, "exit_code": 0}),
        ));
        assert_eq!(e.kinds, ["commands", "tests"]);
        assert_eq!(e.subject.as_deref(), Some("cargo test -q"));
        let e = classify(&event(
            "agent.result",
            serde_json::json!({"input": {"command": "ls -la"}}),
        ));
        assert_eq!(e.kinds, ["commands"]);
    }

    #[test]
    fn decisions_are_sorted_by_what_they_decided() {
        let shell = classify(&event(
            "agent.action",
            serde_json::json!({"action": {"kind": "shell", "command": "npm install x"}, "verdict": "ask"}),
        ));
        assert_eq!(shell.kinds, ["decisions", "commands"]);
        assert_eq!(shell.verdict.as_deref(), Some("ask"));
        let fetch = classify(&event(
            "agent.action",
            serde_json::json!({"action": {"kind": "fetch", "url": "https://example.com/x"}, "verdict": "deny"}),
        ));
        assert_eq!(fetch.kinds, ["decisions", "network"]);
        let write = classify(&event(
            "agent.action",
            serde_json::json!({"action": {"kind": "write", "path": "src/a.rs"}, "verdict": "allow"}),
        ));
        assert_eq!(write.kinds, ["decisions", "files"]);
        let prompt = classify(&event(
            "agent.prompt",
            serde_json::json!({"prompt": "fix   the\ntax"}),
        ));
        assert_eq!(prompt.kinds, ["prompts"]);
        assert_eq!(prompt.subject.as_deref(), Some("fix the tax"));
        assert!(classify(&event("task.created", Value::Null))
            .kinds
            .is_empty());
    }

    #[test]
    fn only_a_test_refusal_offers_merge_anyway() {
        let r = refusal(ReviewError::TestsNotPassing {
            reason: "no tests were run".into(),
        });
        assert!(r.merge_anyway);
        assert_eq!(r.reason, "tests");
        let r = refusal(ReviewError::Unreviewed {
            count: 1,
            files: vec!["a.rs".into()],
        });
        assert!(!r.merge_anyway);
        assert_eq!(r.files, ["a.rs"]);
        assert!(
            r.message.contains("mark every file reviewed"),
            "{}",
            r.message
        );
    }
}
