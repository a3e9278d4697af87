//! Requests that wait for a person.
//!
//! When the policy says *ask*, the entry point (a hook, the proxy, a sandboxed
//! run) calls [`request`]: it first consults the rules people chose to
//! remember, and otherwise records a pending request and **waits** — polling
//! the database with short sleeps, because the person decides in another
//! process (the desktop app, or `paddock approvals approve ID`). No decision
//! before the deadline → deny. This is the one place in Paddock that waits.
//!
//! A person answers with [`decide`]. "Remember" always has an explicit scope:
//! this task or this project, and this exact command or a command prefix the
//! person typed — there is no "allow everything, forever". A remembered
//! decision becomes a row in `approval_rules` that [`list_rules`] shows and
//! [`revoke_rule`] ends. Every request, decision, timeout and remembered or
//! revoked rule is an audit event.

use std::time::{Duration, Instant};

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Actor, AuditError, NewEvent};
use crate::policy::{Action, Decision, PartDecision, Verdict};
use crate::store::{Store, StoreError};

/// The default time a request waits for a person before it is denied.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// The environment variable that overrides [`DEFAULT_TIMEOUT`], in seconds.
pub const TIMEOUT_ENV: &str = "PADDOCK_APPROVAL_TIMEOUT_SECS";

/// How often a waiting request looks at the database.
const POLL_EVERY: Duration = Duration::from_millis(100);

pub type ApprovalId = i64;
pub type RuleId = i64;

/// The timeout to use: `$PADDOCK_APPROVAL_TIMEOUT_SECS` if set and valid, else the default.
pub fn configured_timeout() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT)
}

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("no approval request {0}")]
    NotFound(ApprovalId),
    #[error("approval request {id} is no longer pending (it was {state})")]
    NotPending { id: ApprovalId, state: String },
    #[error("a person decides allow or deny; `ask` is not an answer")]
    AskIsNotAnAnswer,
    #[error("cannot remember for this project: the request belongs to no project")]
    NoProject,
    #[error("cannot remember for this task: the request belongs to no task")]
    NoTask,
    #[error("a command prefix can only be remembered for a shell command")]
    PrefixNeedsShell,
    #[error("the prefix {prefix:?} is too broad: {why}")]
    PrefixTooBroad { prefix: String, why: &'static str },
    #[error("the prefix {prefix:?} does not start any part of this request that asked")]
    PrefixDoesNotMatch { prefix: String },
    #[error("no remembered rule {0}")]
    RuleNotFound(RuleId),
    #[error("remembered rule {0} was already revoked")]
    RuleAlreadyRevoked(RuleId),
    #[error("the stored request is unreadable: {0}")]
    Corrupt(String),
}

fn sql(doing: &'static str) -> impl FnOnce(rusqlite::Error) -> ApprovalError {
    move |e| ApprovalError::Store(StoreError::sql(doing, e))
}

/// What waits for a person: the action, as the policy saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub task: Option<String>,
    /// The task's repository (for "remember for this project").
    pub project: Option<String>,
    /// `claude`, `codex`, … (for display).
    pub agent: Option<String>,
    /// The action with secret values already redacted: it is stored and shown.
    pub action: Action,
    /// The policy's decision (verdict Ask), its rule, reason and parts.
    pub decision: Decision,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum Outcome {
    /// A person decided.
    Decided,
    /// A remembered rule decided without asking.
    Remembered,
    /// Nobody decided before the deadline: denied.
    TimedOut,
}

/// The answer a requester gets: only ever Allow or Deny.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The pending request's id (None when a remembered rule answered).
    pub id: Option<ApprovalId>,
    pub verdict: Verdict,
    pub outcome: Outcome,
    /// `user`, `paddock` (timeout), or `rule:<id>`.
    pub by: String,
    /// The rule that decided: `approval:<id>`, `remembered:<id>` or `approval:timeout`.
    pub rule: String,
    pub reason: String,
}

/// Where a remembered decision applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum RememberReach {
    Task,
    Project,
}

impl RememberReach {
    fn as_str(self) -> &'static str {
        match self {
            RememberReach::Task => "task",
            RememberReach::Project => "project",
        }
    }
}

/// What a remembered decision matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum RememberMatch {
    /// This exact action (the exact command line, file, URL or MCP tool).
    Exact,
    /// Any simple command that starts with these words (shell commands only).
    Prefix { words: Vec<String> },
}

/// "Remember" as a person chose it. "Once" is no scope at all (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct RememberScope {
    pub reach: RememberReach,
    pub matching: RememberMatch,
}

/// A request as stored, for the app and `paddock approvals list`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Approval {
    #[ts(type = "number")]
    pub id: ApprovalId,
    pub task: Option<String>,
    pub project: Option<String>,
    pub agent: Option<String>,
    pub action: Action,
    pub parts: Vec<PartDecision>,
    pub rule: String,
    pub reason: String,
    /// pending, approved, denied, expired
    pub state: String,
    pub created_at: String,
    pub deadline: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    #[ts(type = "number | null")]
    pub remembered_rule: Option<RuleId>,
}

/// A remembered decision, as a rule a person can see and revoke.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct RememberedRule {
    #[ts(type = "number")]
    pub id: RuleId,
    pub verdict: Verdict,
    pub reach: RememberReach,
    pub task: Option<String>,
    pub project: Option<String>,
    /// shell, read, write, fetch, mcp
    pub action_kind: String,
    pub matching: RememberMatch,
    /// The exact action text (for `Exact`), or the prefix as words joined by spaces.
    pub pattern: String,
    #[ts(type = "number | null")]
    pub from_approval: Option<ApprovalId>,
    pub created_at: String,
    pub created_by: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl RememberedRule {
    /// One line a person can read: `allow shell prefix "npm install" for task 1a2b3c4d`.
    pub fn describe(&self) -> String {
        let what = match &self.matching {
            RememberMatch::Exact => format!("exactly {:?}", self.pattern),
            RememberMatch::Prefix { .. } => format!("commands starting {:?}", self.pattern),
        };
        let where_ = match self.reach {
            RememberReach::Task => format!("in task {}", self.task.as_deref().unwrap_or("?")),
            RememberReach::Project => {
                format!("in project {}", self.project.as_deref().unwrap_or("?"))
            }
        };
        format!("{} {} {what} {where_}", self.verdict, self.action_kind)
    }
}

/// The kind word of an action, as rules store it.
pub fn action_kind(action: &Action) -> &'static str {
    match action {
        Action::Shell { .. } => "shell",
        Action::Read { .. } => "read",
        Action::Write { .. } => "write",
        Action::Fetch { .. } => "fetch",
        Action::Mcp { .. } => "mcp",
    }
}

/// The text an `Exact` rule compares: the command line, path, URL or `server/tool`.
pub fn action_text(action: &Action) -> String {
    match action {
        Action::Shell { command, .. } => command.trim().to_string(),
        Action::Read { path } | Action::Write { path } => path.to_string_lossy().into_owned(),
        Action::Fetch { url } => url.trim().to_string(),
        Action::Mcp { server, tool } => format!("{server}/{tool}"),
    }
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn starts_with(words: &[String], prefix: &[String]) -> bool {
    !prefix.is_empty() && words.len() >= prefix.len() && words[..prefix.len()] == *prefix
}

/// Commands that run whatever follows them: a one-word prefix of these would
/// remember "everything".
const RUNS_ANYTHING: &[&str] = &[
    "sh", "bash", "zsh", "dash", "fish", "env", "sudo", "doas", "xargs", "exec", "eval", "command",
    "nohup", "timeout", "nice", "time", "busybox", "python", "python3", "node", "perl", "ruby",
    "npx", "find",
];

fn check_prefix(prefix: &[String]) -> Result<(), ApprovalError> {
    let joined = prefix.join(" ");
    if prefix.is_empty() || prefix.iter().all(|w| w.trim().is_empty()) {
        return Err(ApprovalError::PrefixTooBroad {
            prefix: joined,
            why: "an empty prefix would match every command",
        });
    }
    if prefix.iter().any(|w| w.contains('*')) {
        return Err(ApprovalError::PrefixTooBroad {
            prefix: joined,
            why: "a prefix is literal words, not a pattern",
        });
    }
    if prefix.len() == 1 && RUNS_ANYTHING.contains(&prefix[0].as_str()) {
        return Err(ApprovalError::PrefixTooBroad {
            prefix: joined,
            why: "this command runs any other command; name at least one more word",
        });
    }
    Ok(())
}

/// The parts of a decision that asked (those a rule must cover).
fn asking_parts(decision: &Decision) -> Vec<&PartDecision> {
    decision
        .parts
        .iter()
        .filter(|p| p.verdict == Verdict::Ask)
        .collect()
}

fn read_rule(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<RememberedRule, ApprovalError>> {
    let verdict: String = r.get(1)?;
    let scope: String = r.get(2)?;
    let match_kind: String = r.get(6)?;
    let pattern: String = r.get(7)?;
    let id: RuleId = r.get(0)?;
    let task: Option<String> = r.get(3)?;
    let project: Option<String> = r.get(4)?;
    let action_kind: String = r.get(5)?;
    let from_approval: Option<ApprovalId> = r.get(8)?;
    let created_at: String = r.get(9)?;
    let created_by: String = r.get(10)?;
    let revoked_at: Option<String> = r.get(11)?;
    let revoked_by: Option<String> = r.get(12)?;
    Ok((|| {
        let verdict = match verdict.as_str() {
            "allow" => Verdict::Allow,
            "deny" => Verdict::Deny,
            v => return Err(ApprovalError::Corrupt(format!("rule verdict {v:?}"))),
        };
        let reach = match scope.as_str() {
            "task" => RememberReach::Task,
            "project" => RememberReach::Project,
            v => return Err(ApprovalError::Corrupt(format!("rule scope {v:?}"))),
        };
        let (matching, pattern) = match match_kind.as_str() {
            "exact" => (RememberMatch::Exact, pattern),
            "prefix" => {
                let words: Vec<String> = serde_json::from_str(&pattern)
                    .map_err(|e| ApprovalError::Corrupt(format!("rule prefix: {e}")))?;
                let joined = words.join(" ");
                (RememberMatch::Prefix { words }, joined)
            }
            v => return Err(ApprovalError::Corrupt(format!("rule match {v:?}"))),
        };
        Ok(RememberedRule {
            id,
            verdict,
            reach,
            task,
            project,
            action_kind,
            matching,
            pattern,
            from_approval,
            created_at,
            created_by,
            revoked_at,
            revoked_by,
        })
    })())
}

const RULE_COLUMNS: &str = "id, verdict, scope, task, project, action_kind, match_kind, pattern, from_approval, created_at, created_by, revoked_at, revoked_by";

/// Remembered rules, oldest first; revoked ones only if asked for.
pub fn list_rules(
    store: &Store,
    include_revoked: bool,
) -> Result<Vec<RememberedRule>, ApprovalError> {
    let filter = if include_revoked {
        ""
    } else {
        "WHERE revoked_at IS NULL"
    };
    let mut st = store
        .conn()
        .prepare(&format!(
            "SELECT {RULE_COLUMNS} FROM approval_rules {filter} ORDER BY id"
        ))
        .map_err(sql("listing remembered rules"))?;
    let rows = st
        .query_map([], read_rule)
        .map_err(sql("listing remembered rules"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("listing remembered rules"))?;
    rows.into_iter().collect()
}

/// Does `rule` apply to this request at all (scope and kind)?
fn rule_in_scope(rule: &RememberedRule, req: &Request) -> bool {
    let scope_ok = match rule.reach {
        RememberReach::Task => rule.task.is_some() && rule.task == req.task,
        RememberReach::Project => rule.project.is_some() && rule.project == req.project,
    };
    scope_ok && rule.action_kind == action_kind(&req.action)
}

/// Does `rule` cover one asking part (or, for non-shell actions, the action)?
fn rule_covers_part(rule: &RememberedRule, part: &PartDecision) -> bool {
    match &rule.matching {
        RememberMatch::Prefix { words: prefix } => starts_with(&words(&part.command), prefix),
        RememberMatch::Exact => false,
    }
}

/// What remembered rules say about a request: Some(rule) that decides, or None (ask).
///
/// A deny rule that matches wins. An allow needs every asking part covered:
/// an exact rule covers the whole (identical) command line; prefix rules
/// cover parts one by one, so `npm install x && curl evil` is not covered by
/// a remembered `npm install` prefix.
pub fn remembered_for(
    store: &Store,
    req: &Request,
) -> Result<Option<RememberedRule>, ApprovalError> {
    let rules: Vec<RememberedRule> = list_rules(store, false)?
        .into_iter()
        .filter(|r| rule_in_scope(r, req))
        .collect();
    if rules.is_empty() {
        return Ok(None);
    }
    let text = action_text(&req.action);
    let asking = asking_parts(&req.decision);
    let covers_whole = |r: &RememberedRule| match &r.matching {
        RememberMatch::Exact => r.pattern == text,
        RememberMatch::Prefix { .. } => {
            !asking.is_empty() && asking.iter().all(|p| rule_covers_part(r, p))
        }
    };
    // A deny rule matching the whole line, or any asking part, denies.
    if let Some(deny) = rules.iter().find(|r| {
        r.verdict == Verdict::Deny
            && (covers_whole(r) || asking.iter().any(|p| rule_covers_part(r, p)))
    }) {
        return Ok(Some(deny.clone()));
    }
    let allows: Vec<&RememberedRule> = rules
        .iter()
        .filter(|r| r.verdict == Verdict::Allow)
        .collect();
    if let Some(exact) = allows
        .iter()
        .find(|r| matches!(r.matching, RememberMatch::Exact) && r.pattern == text)
    {
        return Ok(Some((*exact).clone()));
    }
    if asking.is_empty() {
        return Ok(None);
    }
    // Every asking part needs some prefix rule; report the first one used.
    let mut first: Option<&RememberedRule> = None;
    for part in &asking {
        match allows.iter().find(|r| rule_covers_part(r, part)) {
            Some(r) => {
                first.get_or_insert(r);
            }
            None => return Ok(None),
        }
    }
    Ok(first.cloned())
}

/// Deadlines are compared as text, so they use one fixed-width format.
const FIXED: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

fn fixed_time(after: Duration) -> String {
    let at = time::OffsetDateTime::now_utc() + after;
    at.format(FIXED).unwrap_or_default()
}

fn deadline_text(timeout: Duration) -> String {
    fixed_time(timeout)
}

fn request_payload(req: &Request) -> serde_json::Value {
    serde_json::json!({
        "action": req.action,
        "parts": req.decision.parts,
        "rule": req.decision.rule,
        "agent": req.agent,
        "project": req.project,
    })
}

/// Ask a person, and wait up to `timeout` for the answer. Returns Allow or Deny, never Ask.
///
/// Remembered rules are consulted first. Otherwise a pending row is written
/// and the database polled until someone decides (in any process) or the
/// deadline passes (→ Deny, state `expired`). Any error is returned, and the
/// caller must deny.
pub fn request(
    store: &mut Store,
    req: Request,
    timeout: Duration,
) -> Result<Resolution, ApprovalError> {
    if let Some(rule) = remembered_for(store, &req)? {
        let reason = format!(
            "{} by a remembered decision (rule {}: {})",
            if rule.verdict == Verdict::Allow {
                "allowed"
            } else {
                "denied"
            },
            rule.id,
            rule.describe()
        );
        let mut ev = NewEvent::new("approval.remembered", Actor::Paddock, reason.clone()).payload(
            serde_json::json!({
                "rule_id": rule.id,
                "verdict": rule.verdict,
                "action": req.action,
                "policy_rule": req.decision.rule,
            }),
        );
        ev.task = req.task.clone();
        audit::record(store, ev)?;
        return Ok(Resolution {
            id: None,
            verdict: rule.verdict,
            outcome: Outcome::Remembered,
            by: format!("rule:{}", rule.id),
            rule: format!("remembered:{}", rule.id),
            reason,
        });
    }

    let action_json = serde_json::to_string(&req.action).map_err(AuditError::from)?;
    let parts_json = serde_json::to_string(&req.decision.parts).map_err(AuditError::from)?;
    let created = crate::time::now_rfc3339();
    let deadline = deadline_text(timeout);
    store
        .conn()
        .execute(
            "INSERT INTO approvals (task, action, rule, reason, state, created_at, parts, project, agent, deadline)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9)",
            params![
                req.task,
                action_json,
                req.decision.rule,
                req.decision.reason,
                created,
                parts_json,
                req.project,
                req.agent,
                deadline
            ],
        )
        .map_err(sql("recording an approval request"))?;
    let id = store.conn().last_insert_rowid();
    let mut payload = request_payload(&req);
    payload["approval_id"] = id.into();
    payload["timeout_secs"] = timeout.as_secs().into();
    let mut ev = NewEvent::new(
        "approval.requested",
        Actor::Paddock,
        req.decision.reason.clone(),
    )
    .payload(payload);
    ev.task = req.task.clone();
    let actor_agent = req.agent.clone();
    if let Some(a) = actor_agent {
        ev.actor = Actor::Agent(a);
    }
    audit::record(store, ev)?;

    let started = Instant::now();
    loop {
        if let Some(res) = resolution_of(store, id)? {
            return Ok(res);
        }
        if started.elapsed() >= timeout {
            let changed = store
                .conn()
                .execute(
                    "UPDATE approvals SET state = 'expired', decided_at = ?2, decided_by = 'paddock'
                     WHERE id = ?1 AND state = 'pending'",
                    params![id, crate::time::now_rfc3339()],
                )
                .map_err(sql("expiring an approval request"))?;
            if changed == 0 {
                // Decided at the last moment: honour the decision.
                if let Some(res) = resolution_of(store, id)? {
                    return Ok(res);
                }
            }
            let reason = format!(
                "nobody decided within {} s, so Paddock denied it (approval {id}: {})",
                timeout.as_secs(),
                req.decision.reason
            );
            let mut ev = NewEvent::new("approval.expired", Actor::Paddock, reason.clone()).payload(
                serde_json::json!({
                    "approval_id": id,
                    "action": req.action,
                    "timeout_secs": timeout.as_secs(),
                }),
            );
            ev.task = req.task.clone();
            audit::record(store, ev)?;
            return Ok(Resolution {
                id: Some(id),
                verdict: Verdict::Deny,
                outcome: Outcome::TimedOut,
                by: "paddock".into(),
                rule: "approval:timeout".into(),
                reason,
            });
        }
        let left = timeout.saturating_sub(started.elapsed());
        std::thread::sleep(POLL_EVERY.min(left).max(Duration::from_millis(1)));
    }
}

/// The resolution of a decided request, or None while it is pending.
fn resolution_of(store: &Store, id: ApprovalId) -> Result<Option<Resolution>, ApprovalError> {
    let row: Option<(String, Option<String>, String, Option<RuleId>)> = store
        .conn()
        .query_row(
            "SELECT state, decided_by, reason, remembered_rule FROM approvals WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(sql("reading an approval request"))?;
    let Some((state, by, reason, remembered)) = row else {
        return Err(ApprovalError::NotFound(id));
    };
    let by = by.unwrap_or_else(|| "unknown".into());
    let remembered = remembered
        .map(|r| format!("; remembered as rule {r}"))
        .unwrap_or_default();
    Ok(match state.as_str() {
        "pending" => None,
        "approved" => Some(Resolution {
            id: Some(id),
            verdict: Verdict::Allow,
            outcome: Outcome::Decided,
            rule: format!("approval:{id}"),
            reason: format!(
                "approved by {by} (approval {id}; it asked because: {reason}){remembered}"
            ),
            by,
        }),
        "denied" => Some(Resolution {
            id: Some(id),
            verdict: Verdict::Deny,
            outcome: Outcome::Decided,
            rule: format!("approval:{id}"),
            reason: format!(
                "denied by {by} (approval {id}; it asked because: {reason}){remembered}"
            ),
            by,
        }),
        _ => Some(Resolution {
            id: Some(id),
            verdict: Verdict::Deny,
            outcome: Outcome::TimedOut,
            rule: "approval:timeout".into(),
            reason: format!("approval {id} expired before anyone decided: {reason}"),
            by,
        }),
    })
}

/// A person's answer to a pending request, optionally remembered as a rule.
/// `by` names who decided (`user`, `user:app`, …). Returns the rule made, if any.
pub fn decide(
    store: &mut Store,
    id: ApprovalId,
    verdict: Verdict,
    by: &str,
    remember: Option<RememberScope>,
) -> Result<Option<RememberedRule>, ApprovalError> {
    if verdict == Verdict::Ask {
        return Err(ApprovalError::AskIsNotAnAnswer);
    }
    let approval = get(store, id)?;
    if approval.state != "pending" {
        return Err(ApprovalError::NotPending {
            id,
            state: approval.state,
        });
    }
    if approval
        .deadline
        .as_deref()
        .is_some_and(|d| d <= fixed_time(Duration::ZERO).as_str())
    {
        return Err(ApprovalError::NotPending {
            id,
            state: "expired".into(),
        });
    }
    // Validate the remembered scope against this very request before changing anything.
    let rule_row = match &remember {
        None => None,
        Some(scope) => {
            let (task, project) = match scope.reach {
                RememberReach::Task => (
                    Some(approval.task.clone().ok_or(ApprovalError::NoTask)?),
                    None,
                ),
                RememberReach::Project => (
                    None,
                    Some(approval.project.clone().ok_or(ApprovalError::NoProject)?),
                ),
            };
            let (match_kind, pattern) = match &scope.matching {
                RememberMatch::Exact => ("exact", action_text(&approval.action)),
                RememberMatch::Prefix { words: prefix } => {
                    if !matches!(approval.action, Action::Shell { .. }) {
                        return Err(ApprovalError::PrefixNeedsShell);
                    }
                    check_prefix(prefix)?;
                    let any = approval
                        .parts
                        .iter()
                        .filter(|p| p.verdict == Verdict::Ask)
                        .any(|p| starts_with(&words(&p.command), prefix));
                    if !any {
                        return Err(ApprovalError::PrefixDoesNotMatch {
                            prefix: prefix.join(" "),
                        });
                    }
                    (
                        "prefix",
                        serde_json::to_string(prefix).map_err(AuditError::from)?,
                    )
                }
            };
            Some((task, project, match_kind, pattern))
        }
    };

    let now = crate::time::now_rfc3339();
    let state = if verdict == Verdict::Allow {
        "approved"
    } else {
        "denied"
    };
    let remember_json = match &remember {
        Some(s) => Some(serde_json::to_string(s).map_err(AuditError::from)?),
        None => None,
    };
    let tx = store
        .conn_mut()
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql("starting a decision"))?;
    let mut rule_id = None;
    if let (Some(scope), Some((task, project, match_kind, pattern))) = (&remember, &rule_row) {
        tx.execute(
            "INSERT INTO approval_rules (verdict, scope, task, project, action_kind, match_kind, pattern, from_approval, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                verdict.to_string(),
                scope.reach.as_str(),
                task,
                project,
                action_kind(&approval.action),
                match_kind,
                pattern,
                id,
                now,
                by
            ],
        )
        .map_err(sql("remembering a decision"))?;
        rule_id = Some(tx.last_insert_rowid());
    }
    let changed = tx
        .execute(
            "UPDATE approvals SET state = ?2, decided_at = ?3, decided_by = ?4, remember = ?5, remembered_rule = ?6
             WHERE id = ?1 AND state = 'pending'",
            params![id, state, now, by, remember_json, rule_id],
        )
        .map_err(sql("recording a decision"))?;
    if changed == 0 {
        drop(tx);
        let now_state = get(store, id)?.state;
        return Err(ApprovalError::NotPending {
            id,
            state: now_state,
        });
    }
    tx.commit().map_err(sql("committing a decision"))?;

    let mut ev = NewEvent::new(
        "approval.decided",
        Actor::User,
        format!("{by} {state} approval {id}: {}", approval.reason),
    )
    .payload(serde_json::json!({
        "approval_id": id,
        "verdict": verdict,
        "by": by,
        "action": approval.action,
        "remember": remember,
        "remembered_rule": rule_id,
    }));
    ev.task = approval.task.clone();
    audit::record(store, ev)?;

    let rule = match rule_id {
        Some(rid) => Some(get_rule(store, rid)?),
        None => None,
    };
    if let Some(r) = &rule {
        let mut ev = NewEvent::new(
            "rule.remembered",
            Actor::User,
            format!("{by} remembered: {}", r.describe()),
        )
        .payload(serde_json::to_value(r).map_err(AuditError::from)?);
        ev.task = approval.task.clone();
        audit::record(store, ev)?;
    }
    Ok(rule)
}

/// One remembered rule by id (revoked or not).
pub fn get_rule(store: &Store, id: RuleId) -> Result<RememberedRule, ApprovalError> {
    store
        .conn()
        .query_row(
            &format!("SELECT {RULE_COLUMNS} FROM approval_rules WHERE id = ?1"),
            [id],
            read_rule,
        )
        .optional()
        .map_err(sql("reading a remembered rule"))?
        .ok_or(ApprovalError::RuleNotFound(id))?
}

/// End a remembered rule: from now on the requests it covered ask again.
pub fn revoke_rule(
    store: &mut Store,
    id: RuleId,
    by: &str,
) -> Result<RememberedRule, ApprovalError> {
    let rule = get_rule(store, id)?;
    if rule.revoked_at.is_some() {
        return Err(ApprovalError::RuleAlreadyRevoked(id));
    }
    let changed = store
        .conn()
        .execute(
            "UPDATE approval_rules SET revoked_at = ?2, revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, crate::time::now_rfc3339(), by],
        )
        .map_err(sql("revoking a remembered rule"))?;
    if changed == 0 {
        return Err(ApprovalError::RuleAlreadyRevoked(id));
    }
    let mut ev = NewEvent::new(
        "rule.revoked",
        Actor::User,
        format!("{by} revoked rule {id}: {}", rule.describe()),
    )
    .payload(serde_json::json!({"rule_id": id, "by": by}));
    ev.task = rule.task.clone();
    audit::record(store, ev)?;
    get_rule(store, id)
}

fn read_approval(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Approval, ApprovalError>> {
    let action: String = r.get(4)?;
    let parts: String = r.get(5)?;
    let id: ApprovalId = r.get(0)?;
    let base = (
        r.get::<_, Option<String>>(1)?,
        r.get::<_, Option<String>>(2)?,
        r.get::<_, Option<String>>(3)?,
        r.get::<_, String>(6)?,
        r.get::<_, String>(7)?,
        r.get::<_, String>(8)?,
        r.get::<_, String>(9)?,
        r.get::<_, Option<String>>(10)?,
        r.get::<_, Option<String>>(11)?,
        r.get::<_, Option<String>>(12)?,
        r.get::<_, Option<RuleId>>(13)?,
    );
    Ok((|| {
        let action: Action = serde_json::from_str(&action)
            .map_err(|e| ApprovalError::Corrupt(format!("approval {id} action: {e}")))?;
        let parts: Vec<PartDecision> = serde_json::from_str(&parts)
            .map_err(|e| ApprovalError::Corrupt(format!("approval {id} parts: {e}")))?;
        let (
            task,
            project,
            agent,
            rule,
            reason,
            state,
            created_at,
            deadline,
            decided_at,
            decided_by,
            remembered_rule,
        ) = base;
        Ok(Approval {
            id,
            task,
            project,
            agent,
            action,
            parts,
            rule,
            reason,
            state,
            created_at,
            deadline,
            decided_at,
            decided_by,
            remembered_rule,
        })
    })())
}

const APPROVAL_COLUMNS: &str = "id, task, project, agent, action, parts, rule, reason, state, created_at, deadline, decided_at, decided_by, remembered_rule";

/// One request by id, whatever its state.
pub fn get(store: &Store, id: ApprovalId) -> Result<Approval, ApprovalError> {
    store
        .conn()
        .query_row(
            &format!("SELECT {APPROVAL_COLUMNS} FROM approvals WHERE id = ?1"),
            [id],
            read_approval,
        )
        .optional()
        .map_err(sql("reading an approval request"))?
        .ok_or(ApprovalError::NotFound(id))?
}

/// Requests waiting for a person, oldest first. A pending row whose deadline
/// has passed (its requester died) is not listed: nobody is waiting for it.
pub fn list_pending(store: &Store) -> Result<Vec<Approval>, ApprovalError> {
    let now = fixed_time(Duration::ZERO);
    let mut st = store
        .conn()
        .prepare(&format!(
            "SELECT {APPROVAL_COLUMNS} FROM approvals
             WHERE state = 'pending' AND (deadline IS NULL OR deadline > ?1) ORDER BY id"
        ))
        .map_err(sql("listing pending approvals"))?;
    let rows = st
        .query_map([now], read_approval)
        .map_err(sql("listing pending approvals"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sql("listing pending approvals"))?;
    rows.into_iter().collect()
}

/// How many requests are waiting for a person right now.
pub fn pending_count(store: &Store) -> Result<i64, StoreError> {
    store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM approvals WHERE state = 'pending' AND (deadline IS NULL OR deadline > ?1)",
            [fixed_time(Duration::ZERO)],
            |r| r.get(0),
        )
        .map_err(|e| StoreError::sql("counting pending approvals", e))
}
