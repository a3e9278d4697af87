//! The approval commands the UI calls, and what the tray and the desktop
//! notifications show. Every answer comes from the engine
//! (`paddock_engine::approvals`, `approvals_view`); the shell only words it.

use std::sync::Mutex;

use paddock_engine::approvals::{self, ApprovalId, RememberScope, RememberedRule, RuleId};
use paddock_engine::approvals_view::{self, PendingApproval, PolicySummary, UserRuleInput};
use paddock_engine::policy::Verdict;
use paddock_engine::{PaddockHome, Store};
use serde::Serialize;

use crate::commands::AppState;

/// How many requests the tray lists (the newest).
pub const TRAY_ITEMS: usize = 5;
/// Who decided, as the audit log records it.
pub const BY_APP: &str = "user (app)";
pub const BY_TRAY: &str = "user (tray)";
pub const BY_NOTIFICATION: &str = "user (notification)";

/// The event the UI listens to: the pending count changed.
pub const EVENT_CHANGED: &str = "approvals-changed";
/// The event that asks the UI to show the Approvals screen.
pub const EVENT_OPEN: &str = "open-approvals";

/// Exactly what the tray shows right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrayState {
    pub pending_label: String,
    /// None: the store could not be read.
    pub pending: Option<usize>,
    pub items: Vec<TrayItem>,
    /// `idle` or `pending`.
    pub icon: &'static str,
    /// `Ready for review: N` (the entry that opens the review queue).
    pub review_label: String,
    /// Tasks awaiting review; None: the store could not be read.
    pub review: Option<usize>,
}

impl TrayState {
    /// The same state with the review count the tray shows.
    pub fn with_review(mut self, awaiting: Result<usize, String>) -> Self {
        match awaiting {
            Ok(n) => {
                self.review_label = format!("Ready for review: {n}");
                self.review = Some(n);
            }
            Err(_) => {
                self.review_label = "Ready for review: unknown (store unreadable)".into();
                self.review = None;
            }
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrayItem {
    pub approval_id: ApprovalId,
    pub task: Option<String>,
    /// `<task>: <short command>`
    pub label: String,
    pub approve_label: String,
    pub deny_label: String,
}

/// The shared, current tray state (written by the watcher, read by `tray_state`).
#[derive(Default)]
pub struct TrayShown(pub Mutex<Option<TrayState>>);

/// The task's name as the tray and notifications say it.
pub fn task_name(p: &PendingApproval) -> String {
    match &p.approval.task {
        Some(id) => format!("task {id}"),
        None => "an agent with no task".into(),
    }
}

/// The tray's words for the pending requests (newest first), the newest
/// [`TRAY_ITEMS`] grouped by task in the order their tasks first appear.
pub fn tray_view(pending: Result<&[PendingApproval], String>) -> TrayState {
    let pending = match pending {
        Ok(p) => p,
        Err(_) => {
            return TrayState {
                pending_label: "Pending approvals: unknown (store unreadable)".into(),
                pending: None,
                items: Vec::new(),
                icon: "pending",
                review_label: String::new(),
                review: None,
            }
        }
    };
    let newest: Vec<&PendingApproval> = pending.iter().take(TRAY_ITEMS).collect();
    let mut tasks: Vec<Option<String>> = Vec::new();
    for p in &newest {
        if !tasks.contains(&p.approval.task) {
            tasks.push(p.approval.task.clone());
        }
    }
    let mut items = Vec::new();
    for t in &tasks {
        for p in newest.iter().filter(|p| &p.approval.task == t) {
            let who = p.approval.task.as_deref().unwrap_or("no task");
            items.push(TrayItem {
                approval_id: p.approval.id,
                task: p.approval.task.clone(),
                label: format!("{who}: {}", p.short_action),
                approve_label: "Approve once".into(),
                deny_label: "Deny".into(),
            });
        }
    }
    let more = pending.len().saturating_sub(items.len());
    let pending_label = if more > 0 {
        format!(
            "Pending approvals: {} ({more} more in the Approvals window)",
            pending.len()
        )
    } else {
        format!("Pending approvals: {}", pending.len())
    };
    TrayState {
        pending_label,
        pending: Some(pending.len()),
        icon: if pending.is_empty() {
            "idle"
        } else {
            "pending"
        },
        items,
        review_label: String::new(),
        review: None,
    }
}

/// A desktop notification's words for one request: no secret value (the
/// stored action is already redacted; it is redacted again here).
pub struct NotificationText {
    pub summary: String,
    pub body: String,
}

pub fn notification_text(p: &PendingApproval) -> NotificationText {
    use paddock_engine::redact::redact;
    let mut body = approvals_view::shorten(&redact(&p.action_text), 200);
    body.push('\n');
    body.push_str(&approvals_view::shorten(&redact(&p.approval.reason), 200));
    if let Some(goal) = &p.task_goal {
        body.push_str("\nGoal: ");
        body.push_str(&approvals_view::shorten(&redact(goal), 120));
    }
    NotificationText {
        summary: format!("Paddock: {} asks", task_name(p)),
        body,
    }
}

pub fn open(home: &PaddockHome) -> Result<Store, String> {
    Store::open_home(home).map_err(|e| e.to_string())
}

/// Record a person's answer. `by` says where they answered.
pub fn decide(
    home: &PaddockHome,
    id: ApprovalId,
    verdict: Verdict,
    by: &str,
    remember: Option<RememberScope>,
) -> Result<Option<RememberedRule>, String> {
    let mut store = open(home)?;
    approvals::decide(&mut store, id, verdict, by, remember).map_err(|e| e.to_string())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| format!("Paddock's worker stopped unexpectedly: {e}"))?
}

/// Pending requests, newest first, with their task's context.
#[tauri::command]
pub async fn list_pending_approvals(
    state: tauri::State<'_, AppState>,
) -> Result<Vec<PendingApproval>, String> {
    let home = state.home.clone();
    blocking(move || approvals_view::pending(&open(&home)?).map_err(|e| e.to_string())).await
}

/// Approve or deny one request; `remember` (None: once) makes it a rule.
#[tauri::command]
pub async fn decide_approval(
    state: tauri::State<'_, AppState>,
    id: ApprovalId,
    verdict: Verdict,
    remember: Option<RememberScope>,
) -> Result<Option<RememberedRule>, String> {
    let home = state.home.clone();
    blocking(move || decide(&home, id, verdict, BY_APP, remember)).await
}

/// Remembered decisions still in force, oldest first.
#[tauri::command]
pub async fn list_rules(state: tauri::State<'_, AppState>) -> Result<Vec<RememberedRule>, String> {
    let home = state.home.clone();
    blocking(move || approvals::list_rules(&open(&home)?, false).map_err(|e| e.to_string())).await
}

/// End a remembered decision: what it covered asks again.
#[tauri::command]
pub async fn revoke_rule(
    state: tauri::State<'_, AppState>,
    id: RuleId,
) -> Result<RememberedRule, String> {
    let home = state.home.clone();
    blocking(move || {
        approvals::revoke_rule(&mut open(&home)?, id, BY_APP).map_err(|e| e.to_string())
    })
    .await
}

fn summary(home: &PaddockHome) -> Result<PolicySummary, String> {
    let store = open(home)?;
    let repo = approvals_view::active_repo(&store);
    Ok(approvals_view::policy_summary(home, repo.as_deref()))
}

/// The active policy: built-in defaults (as decided), the user's and the repository's rules.
#[tauri::command]
pub async fn policy_summary(state: tauri::State<'_, AppState>) -> Result<PolicySummary, String> {
    let home = state.home.clone();
    blocking(move || summary(&home)).await
}

/// Add a rule to `$PADDOCK_HOME/policy.toml` (validated first; the old file is kept as a backup).
#[tauri::command]
pub async fn save_user_rule(
    state: tauri::State<'_, AppState>,
    rule: UserRuleInput,
) -> Result<PolicySummary, String> {
    let home = state.home.clone();
    blocking(move || {
        approvals_view::save_user_rule(&mut open(&home)?, &home, &rule)
            .map_err(|e| e.to_string())?;
        summary(&home)
    })
    .await
}

/// Remove a user rule by the id the summary showed.
#[tauri::command]
pub async fn delete_user_rule(
    state: tauri::State<'_, AppState>,
    id: String,
) -> Result<PolicySummary, String> {
    let home = state.home.clone();
    blocking(move || {
        approvals_view::delete_user_rule(&mut open(&home)?, &home, &id)
            .map_err(|e| e.to_string())?;
        summary(&home)
    })
    .await
}

/// Exactly the strings the tray shows now (None before its first read).
#[tauri::command]
pub fn tray_state(shown: tauri::State<'_, TrayShown>) -> Option<TrayState> {
    shown.0.lock().ok().and_then(|s| s.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use paddock_engine::approvals::Approval;
    use paddock_engine::policy::Action;

    fn pending(id: i64, task: Option<&str>, command: &str) -> PendingApproval {
        PendingApproval {
            approval: Approval {
                id,
                task: task.map(str::to_string),
                project: None,
                agent: Some("claude".into()),
                action: Action::Shell {
                    command: command.into(),
                    cwd: ".".into(),
                },
                parts: Vec::new(),
                rule: "default:install".into(),
                reason: "installing packages runs their scripts; ask first".into(),
                state: "pending".into(),
                created_at: "2025-01-01T00:00:00Z".into(),
                deadline: None,
                decided_at: None,
                decided_by: None,
                remembered_rule: None,
            },
            action_text: command.into(),
            short_action: approvals_view::shorten(command, approvals_view::SHORT_ACTION_CHARS),
            task_goal: Some("Fix checkout tax".into()),
            task_branch: None,
            task_repo_name: None,
            waiting_secs: 3,
            secs_left: Some(100),
        }
    }

    #[test]
    fn the_tray_lists_the_newest_five_grouped_by_task() {
        let list: Vec<PendingApproval> = (1..=7)
            .rev()
            .map(|i| {
                let task = if i % 2 == 0 { "aaaa1111" } else { "bbbb2222" };
                pending(i, Some(task), &format!("npm install pkg{i}"))
            })
            .collect();
        let s = tray_view(Ok(&list));
        assert_eq!(
            s.pending_label,
            "Pending approvals: 7 (2 more in the Approvals window)"
        );
        assert_eq!(s.icon, "pending");
        let labels: Vec<&str> = s.items.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "bbbb2222: npm install pkg7",
                "bbbb2222: npm install pkg5",
                "bbbb2222: npm install pkg3",
                "aaaa1111: npm install pkg6",
                "aaaa1111: npm install pkg4",
            ]
        );
    }

    #[test]
    fn the_tray_says_when_it_cannot_read_the_store() {
        let s = tray_view(Err("locked".into()));
        assert_eq!(s.pending, None);
        assert!(s.pending_label.contains("unknown"));
        let empty = tray_view(Ok(&[]));
        assert_eq!(empty.pending_label, "Pending approvals: 0");
        assert_eq!(empty.icon, "idle");
    }

    #[test]
    fn a_notification_names_the_task_and_never_a_secret() {
        let p = pending(
            3,
            Some("1a2b3c4d"),
            "curl -H 'Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123' https://api.github.com",
        );
        let n = notification_text(&p);
        assert_eq!(n.summary, "Paddock: task 1a2b3c4d asks");
        assert!(
            !n.body.contains("ghp_abcdefghijklmnopqrstuvwxyz0123"),
            "{}",
            n.body
        );
        assert!(n.body.contains("https://api.github.com"), "{}", n.body);
        assert!(n.body.contains("ask first"));
        assert!(n.body.contains("Goal: Fix checkout tax"));
    }
}
