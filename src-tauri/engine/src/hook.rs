//! `paddock hook`: one hook event from Claude Code or Codex in, one answer out.
//!
//! Both agents send the same JSON shape on stdin (`session_id`, `cwd`,
//! `hook_event_name`, `tool_name`, `tool_input`, `tool_use_id`, …). For
//! `PreToolUse` and `PermissionRequest` the tool call becomes a policy
//! [`Action`] (through [`crate::agents::tool_call`]), the policy decides, an
//! *ask* waits for a person through [`approvals::request`], and the answer is
//! allow or deny with a reason the model can read. `PostToolUse`,
//! `UserPromptSubmit` and `Stop` are logged. The first tool call of a `ready`
//! task moves it to `running`; `Stop` hands the work over for review
//! ([`review::submit`]). Every event is an audit row, with secret values
//! redacted.
//!
//! It fails closed: bad or empty JSON, an unknown event or task, a missing,
//! locked or corrupt database, a policy file that does not parse, no decision
//! before the timeout — all answer exit code 2 with the reason on stderr.
//! Exit code 1 never happens here (Claude Code lets a call through on it).
//! The one exception: a review that cannot be prepared on `Stop` answers 0
//! with a `systemMessage` (see [`submit_on_stop`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::agents::{self, AgentKind, ToolCall};
use crate::approvals::{self, Outcome, Request};
use crate::audit::{self, Actor, NewEvent};
use crate::policy::{self, Action, Decision, PartDecision, Policy, TaskContext, Verdict};
use crate::redact::{redact, redact_json};
use crate::review::{self, ReviewError};
use crate::task::{self, Task, TaskState};
use crate::{PaddockHome, Store};

/// The exit code that blocks a call in both agents.
pub const EXIT_BLOCK: u8 = 2;

/// How long the hook waits for another process's write lock before failing closed.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Overrides [`DEFAULT_BUSY_TIMEOUT`], in milliseconds.
pub const BUSY_TIMEOUT_ENV: &str = "PADDOCK_DB_BUSY_TIMEOUT_MS";

/// The largest hook event Paddock reads (a Write of a big file carries its content).
pub const MAX_INPUT: usize = 32 * 1024 * 1024;

/// How much of a tool's output is kept in the log.
const KEEP_OUTPUT: usize = 4000;

/// How the hook was started.
#[derive(Debug, Clone)]
pub struct HookOptions {
    /// `--task`: the task the agent works on. Without it, the task whose
    /// worktree contains the event's `cwd`.
    pub task: Option<String>,
    /// `--agent`: who sends the events (for the log).
    pub agent: Option<AgentKind>,
    /// How long an *ask* waits for a person.
    pub approval_timeout: Duration,
    /// The Paddock home (None → `PaddockHome::locate()`).
    pub home: Option<PathBuf>,
}

/// What to print and how to exit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAnswer {
    /// 0 or 2, never anything else.
    pub exit_code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl HookAnswer {
    fn ok(stdout: String) -> Self {
        Self {
            exit_code: 0,
            stdout,
            stderr: String::new(),
        }
    }

    /// Block, with the reason on stderr (the agent shows it to the model).
    pub fn block(reason: impl AsRef<str>) -> Self {
        Self {
            exit_code: EXIT_BLOCK,
            stdout: String::new(),
            stderr: format!("paddock: {}\n", reason.as_ref()),
        }
    }
}

/// Why the hook could not answer normally (→ exit 2).
#[derive(Debug, thiserror::Error)]
enum HookFailure {
    #[error("empty hook input: expected one JSON event on stdin; blocked")]
    Empty,
    #[error("malformed hook input ({0}); blocked")]
    Malformed(String),
    #[error("unknown hook event {0:?}; blocked")]
    UnknownEvent(String),
    #[error("{0}; blocked")]
    NoTask(String),
    #[error("{0}; blocked")]
    Database(String),
    #[error("the policy could not be read ({0}); blocked until it is fixed")]
    Policy(String),
    #[error("{0}")]
    TimedOut(String),
}

/// The one event shape both agents send.
struct HookEvent {
    raw: Value,
    event: String,
    cwd: Option<PathBuf>,
}

impl HookEvent {
    fn str(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(Value::as_str)
    }
}

fn parse(input: &[u8]) -> Result<HookEvent, HookFailure> {
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(HookFailure::Empty);
    }
    let raw: Value =
        serde_json::from_slice(input).map_err(|e| HookFailure::Malformed(e.to_string()))?;
    if !raw.is_object() {
        return Err(HookFailure::Malformed("not a JSON object".into()));
    }
    let event = raw
        .get("hook_event_name")
        .and_then(Value::as_str)
        .ok_or_else(|| HookFailure::Malformed("no hook_event_name".into()))?
        .to_string();
    if !agents::is_hook_event(&event) {
        return Err(HookFailure::UnknownEvent(event));
    }
    let cwd = raw.get("cwd").and_then(Value::as_str).map(PathBuf::from);
    Ok(HookEvent { raw, event, cwd })
}

/// Run the hook on one input. Never returns an exit code other than 0 or 2.
pub fn run(input: &[u8], opts: &HookOptions) -> HookAnswer {
    let started = Instant::now();
    match handle(input, opts, started) {
        Ok(answer) => answer,
        Err(failure) => HookAnswer::block(failure.to_string()),
    }
}

fn open_store(opts: &HookOptions) -> Result<(PaddockHome, Store), HookFailure> {
    let home = match &opts.home {
        Some(h) => PaddockHome::at(h.clone()),
        None => PaddockHome::locate(),
    }
    .map_err(|e| HookFailure::Database(e.to_string()))?;
    let db = home.database();
    if !db.is_file() {
        return Err(HookFailure::Database(format!(
            "no Paddock database at {}: no task is known",
            db.display()
        )));
    }
    let store = Store::open(&db).map_err(|e| HookFailure::Database(e.to_string()))?;
    let busy = std::env::var(BUSY_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_BUSY_TIMEOUT);
    store
        .conn()
        .busy_timeout(busy)
        .map_err(|e| HookFailure::Database(e.to_string()))?;
    // The hook is a short process, usually the database's only connection:
    // SQLite would checkpoint the WAL into the main file (four fsyncs) and
    // delete it on every close. The hook checkpoints only when the WAL has
    // grown (see `checkpoint_if_large`); each commit is already in the WAL.
    store
        .conn()
        .execute_batch("PRAGMA wal_autocheckpoint = 0")
        .map_err(|e| HookFailure::Database(e.to_string()))?;
    store
        .conn()
        .set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .map_err(|e| HookFailure::Database(e.to_string()))?;
    Ok((home, store))
}

/// The WAL size above which a hook folds it back into the database.
const CHECKPOINT_ABOVE: u64 = 512 * 1024;

/// Every process that opens the database reads the whole WAL back, so it must
/// stay small: once it passes [`CHECKPOINT_ABOVE`], fold it into the database
/// and truncate it (about one call in 50 pays for this). Best effort: a busy
/// database just leaves it for the next call.
fn checkpoint_if_large(store: &Store) {
    let wal = {
        let mut p = store.path().as_os_str().to_owned();
        p.push("-wal");
        PathBuf::from(p)
    };
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > CHECKPOINT_ABOVE) {
        let _ = store
            .conn()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
}

fn find_task(store: &Store, opts: &HookOptions, ev: &HookEvent) -> Result<Task, HookFailure> {
    let task = match &opts.task {
        Some(id) => task::get(store, id).map_err(|e| match e {
            task::TaskError::NotFound { id } => HookFailure::NoTask(format!("unknown task {id:?}")),
            other => HookFailure::Database(other.to_string()),
        })?,
        None => {
            let cwd = ev.cwd.as_ref().ok_or_else(|| {
                HookFailure::NoTask(
                    "no --task and no cwd in the event: no task to check against".into(),
                )
            })?;
            let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.clone());
            let tasks = task::list(store).map_err(|e| HookFailure::Database(e.to_string()))?;
            tasks
                .into_iter()
                .filter(|t| t.state.is_active())
                .find(|t| {
                    let wt = PathBuf::from(&t.worktree);
                    let wt = std::fs::canonicalize(&wt).unwrap_or(wt);
                    cwd.starts_with(&wt)
                })
                .ok_or_else(|| {
                    HookFailure::NoTask(format!(
                        "{} is not inside any active task's worktree and no --task was given",
                        cwd.display()
                    ))
                })?
        }
    };
    if !task.state.is_active() {
        return Err(HookFailure::NoTask(format!(
            "task {} is {}: agents may not act in it",
            task.id, task.state
        )));
    }
    Ok(task)
}

fn actor(opts: &HookOptions, task: &Task) -> Actor {
    Actor::Agent(
        opts.agent
            .map(|a| a.as_str().to_string())
            .unwrap_or_else(|| task.agent.as_str().to_string()),
    )
}

fn record(store: &mut Store, ev: NewEvent) -> Result<(), HookFailure> {
    audit::record(store, ev)
        .map(|_| ())
        .map_err(|e| HookFailure::Database(format!("cannot log the event: {e}")))
}

/// The action as it may be stored and shown: secret values redacted.
pub fn redacted_action(action: &Action) -> Action {
    match action {
        Action::Shell { command, cwd } => Action::Shell {
            command: redact(command),
            cwd: cwd.clone(),
        },
        Action::Fetch { url } => Action::Fetch { url: redact(url) },
        other => other.clone(),
    }
}

fn redacted_parts(parts: &[PartDecision]) -> Vec<PartDecision> {
    parts
        .iter()
        .map(|p| PartDecision {
            command: redact(&p.command),
            ..p.clone()
        })
        .collect()
}

fn truncate(text: &str, keep: usize) -> String {
    if text.len() <= keep {
        return text.to_string();
    }
    let mut end = keep;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} bytes more]", &text[..end], text.len() - end)
}

fn handle(input: &[u8], opts: &HookOptions, started: Instant) -> Result<HookAnswer, HookFailure> {
    let ev = parse(input)?;
    let (home, mut store) = open_store(opts)?;
    let answer = answer_event(&ev, &home, &mut store, opts, started);
    checkpoint_if_large(&store);
    answer
}

fn answer_event(
    ev: &HookEvent,
    home: &PaddockHome,
    store: &mut Store,
    opts: &HookOptions,
    started: Instant,
) -> Result<HookAnswer, HookFailure> {
    let task = find_task(store, opts, ev)?;
    let who = actor(opts, &task);
    let session = ev.str("session_id").map(str::to_string);
    match ev.event.as_str() {
        "PreToolUse" | "PermissionRequest" => {
            let task = start_running(store, task, who.clone())?;
            decide_tool_call(store, home, &task, who, ev, opts, started)
        }
        "PostToolUse" => {
            let tool = ev.str("tool_name").unwrap_or("").to_string();
            let resp = ev.raw.get("tool_response").cloned().unwrap_or(Value::Null);
            let text_of = |k: &str| {
                resp.get(k)
                    .and_then(Value::as_str)
                    .map(|s| redact(&truncate(s, KEEP_OUTPUT)))
            };
            let reported = ["exit_code", "exitCode", "returncode", "code"]
                .iter()
                .find_map(|k| resp.get(*k).and_then(Value::as_i64));
            let inferred = reported.is_none() && claude_bash_succeeded(&who, &tool, &resp);
            let exit_code = reported.or(inferred.then_some(0));
            let duration_ms = ev
                .raw
                .get("duration_ms")
                .and_then(Value::as_u64)
                .or_else(|| resp.get("duration_ms").and_then(Value::as_u64));
            let output = match &resp {
                Value::String(s) => Some(redact(&truncate(s, KEEP_OUTPUT))),
                _ => text_of("output"),
            };
            let payload = json!({
                "tool": tool,
                "tool_use_id": ev.str("tool_use_id"),
                "session_id": session,
                "input": redact_json(ev.raw.get("tool_input").unwrap_or(&Value::Null)),
                "exit_code": exit_code,
                "exit_code_inferred": inferred,
                "duration_ms": duration_ms,
                "interrupted": resp.get("interrupted").and_then(Value::as_bool),
                "stdout": text_of("stdout"),
                "stderr": text_of("stderr"),
                "output": output,
            });
            let reason = match exit_code {
                Some(c) => format!("{tool} finished with exit code {c}"),
                None => format!("{tool} finished"),
            };
            record(
                store,
                NewEvent::new("agent.result", who, reason)
                    .task(task.id.clone())
                    .payload(payload),
            )?;
            Ok(HookAnswer::ok(String::new()))
        }
        "PostToolUseFailure" => {
            let tool = ev.str("tool_name").unwrap_or("").to_string();
            let error = ev.str("error").unwrap_or("");
            let exit_code = failure_exit_code(error);
            let interrupted = ev.raw.get("is_interrupt").and_then(Value::as_bool);
            let payload = json!({
                "tool": tool,
                "tool_use_id": ev.str("tool_use_id"),
                "session_id": session,
                "input": redact_json(ev.raw.get("tool_input").unwrap_or(&Value::Null)),
                "exit_code": exit_code,
                "exit_code_inferred": false,
                "failed": true,
                "duration_ms": ev.raw.get("duration_ms").and_then(Value::as_u64),
                "interrupted": interrupted,
                "output": redact(&truncate(error, KEEP_OUTPUT)),
            });
            let reason = match (exit_code, interrupted) {
                (_, Some(true)) => format!("{tool} was interrupted"),
                (Some(c), _) => format!("{tool} failed with exit code {c}"),
                (None, _) => format!("{tool} failed"),
            };
            record(
                store,
                NewEvent::new("agent.result", who, reason)
                    .task(task.id.clone())
                    .payload(payload),
            )?;
            Ok(HookAnswer::ok(String::new()))
        }
        "UserPromptSubmit" => {
            let prompt = ev.str("prompt").unwrap_or("");
            record(
                store,
                NewEvent::new("agent.prompt", who, "the agent received a prompt")
                    .task(task.id.clone())
                    .payload(json!({"prompt": redact(prompt), "session_id": session})),
            )?;
            Ok(HookAnswer::ok(String::new()))
        }
        "Stop" => {
            let summary = ev.str("last_assistant_message").unwrap_or("");
            record(
                store,
                NewEvent::new("task.summary", who.clone(), "the agent's final summary")
                    .task(task.id.clone())
                    .payload(json!({"summary": redact(summary), "session_id": session})),
            )?;
            submit_on_stop(store, &task, who, ev)
        }
        other => Err(HookFailure::UnknownEvent(other.to_string())),
    }
}

/// Claude Code's Bash result carries no exit code. It sends `PostToolUse`
/// only for a call that succeeded (a non-zero exit is an error, reported as
/// `PostToolUseFailure`), and marks the non-zero exits it does not count as
/// errors (grep finding nothing, …) with `returnCodeInterpretation`. So a
/// finished, foreground Bash call without that mark exited 0.
fn claude_bash_succeeded(who: &Actor, tool: &str, resp: &Value) -> bool {
    matches!(who, Actor::Agent(a) if a == AgentKind::Claude.as_str())
        && tool == "Bash"
        && resp.is_object()
        && resp.get("interrupted").and_then(Value::as_bool) == Some(false)
        && resp.get("returnCodeInterpretation").is_none()
        && resp.get("backgroundTaskId").is_none()
}

/// Claude Code's error text for a failed Bash call starts with or contains a
/// line `Exit code N`; other tools' failures carry no exit code.
fn failure_exit_code(error: &str) -> Option<i64> {
    error.lines().find_map(|l| {
        l.trim()
            .strip_prefix("Exit code ")
            .and_then(|n| n.trim().parse().ok())
    })
}

/// The agent's first tool call starts the task: `ready` → `running`.
fn start_running(store: &mut Store, task: Task, who: Actor) -> Result<Task, HookFailure> {
    if task.state != TaskState::Ready {
        return Ok(task);
    }
    match task::transition(
        store,
        &task.id,
        TaskState::Running,
        who,
        "the agent started working",
    ) {
        Ok(t) => Ok(t),
        Err(e) => {
            // Another hook of the same agent may have started it first.
            let now =
                task::get(store, &task.id).map_err(|e| HookFailure::Database(e.to_string()))?;
            if now.state == TaskState::Running {
                Ok(now)
            } else {
                Err(HookFailure::Database(format!(
                    "cannot start task {}: {e}",
                    task.id
                )))
            }
        }
    }
}

/// The agent stopped: hand its work over for review ([`review::submit`]
/// commits what it left uncommitted and moves the task to awaiting_review).
///
/// Unlike every other event, a failure here answers exit 0 (with a
/// `systemMessage` for the person) instead of failing closed. Exit 2 on Stop
/// does not block anything: Claude Code takes it as "keep going" and runs the
/// agent again, which would stop again and fail again — a loop that burns the
/// model's turns and still prepares no review. The agent has stopped either
/// way; nothing reaches the base branch without a person's approval, and the
/// failure is logged so the person can run `paddock review submit` by hand.
fn submit_on_stop(
    store: &mut Store,
    task: &Task,
    who: Actor,
    ev: &HookEvent,
) -> Result<HookAnswer, HookFailure> {
    let again = ev
        .raw
        .get("stop_hook_active")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if again && task.state == TaskState::AwaitingReview {
        // Claude Code re-ran Stop after some Stop hook blocked; the review
        // was already prepared.
        return Ok(HookAnswer::ok(String::new()));
    }
    let submitted = (|| -> Result<review::ReviewSummary, ReviewError> {
        if task.state == TaskState::Ready {
            // The agent answered without a single tool call.
            task::transition(
                store,
                &task.id,
                TaskState::Running,
                who.clone(),
                "the agent started working",
            )?;
        }
        review::submit(store, &task.id, who.clone())
    })();
    match submitted {
        Ok(_) => Ok(HookAnswer::ok(String::new())),
        Err(e) => {
            let why = redact(&e.to_string());
            let message = format!(
                "Paddock could not prepare the review of task {}: {why}. The agent has stopped; run `paddock review submit --task {}` to hand the work over for review.",
                task.id, task.id
            );
            // Logging is best effort here too: the answer must stay exit 0.
            let logged = audit::record(
                store,
                NewEvent::new("review.submit_failed", who, message.clone())
                    .task(task.id.clone())
                    .payload(json!({"error": why, "session_id": ev.str("session_id")})),
            );
            let mut answer = HookAnswer::ok(format!("{}\n", json!({"systemMessage": message})));
            answer.stderr = match logged {
                Ok(_) => format!("paddock: {message}\n"),
                Err(le) => format!("paddock: {message} (and it could not be logged: {le})\n"),
            };
            Ok(answer)
        }
    }
}

fn user_home() -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("/nonexistent-home"))
}

fn decide_tool_call(
    store: &mut Store,
    home: &PaddockHome,
    task: &Task,
    who: Actor,
    ev: &HookEvent,
    opts: &HookOptions,
    started: Instant,
) -> Result<HookAnswer, HookFailure> {
    let tool = ev
        .str("tool_name")
        .ok_or_else(|| HookFailure::Malformed("no tool_name".into()))?
        .to_string();
    let tool_input = ev.raw.get("tool_input").cloned().unwrap_or(Value::Null);
    let worktree = PathBuf::from(&task.worktree);
    let cwd = ev.cwd.clone().unwrap_or_else(|| worktree.clone());
    let call = agents::tool_call(&tool, &tool_input, &cwd);
    let ctx = TaskContext {
        worktree: worktree.clone(),
        repo: Some(PathBuf::from(&task.repo)),
        home: user_home(),
    };
    let (action, decision) = match call {
        ToolCall::Action(action) => {
            let policy = Policy::load(Some(Path::new(&task.repo)), home)
                .map_err(|e| HookFailure::Policy(e.to_string()))?;
            let d = policy::decide(&action, &ctx, &policy);
            (action, d)
        }
        ToolCall::Internal => (
            Action::Mcp {
                server: "agent".into(),
                tool: tool.clone(),
            },
            Decision {
                verdict: Verdict::Allow,
                rule: "agents:internal-tool".into(),
                reason: format!("{tool} only changes the agent's own state"),
                parts: Vec::new(),
            },
        ),
        ToolCall::Unknown { tool } => (
            Action::Mcp {
                server: "tool".into(),
                tool: tool.clone(),
            },
            Decision {
                verdict: Verdict::Ask,
                rule: "agents:unknown-tool".into(),
                reason: format!("Paddock does not know the tool {tool:?} (or could not read its input); a person decides"),
                parts: Vec::new(),
            },
        ),
    };
    let shown = redacted_action(&action);
    let parts = redacted_parts(&decision.parts);
    let agent_name = match &who {
        Actor::Agent(a) => Some(a.clone()),
        _ => None,
    };

    // Ask → a person decides (or a remembered rule, or the timeout).
    let mut approval = Value::Null;
    let (verdict, rule, reason, timed_out) = if decision.verdict == Verdict::Ask {
        let req = Request {
            task: Some(task.id.clone()),
            project: Some(task.repo.clone()),
            agent: agent_name,
            action: shown.clone(),
            decision: Decision {
                verdict: Verdict::Ask,
                rule: decision.rule.clone(),
                reason: redact(&decision.reason),
                parts: parts.clone(),
            },
        };
        let res = approvals::request(store, req, opts.approval_timeout)
            .map_err(|e| HookFailure::Database(format!("cannot ask for approval: {e}")))?;
        approval = json!({
            "id": res.id,
            "by": res.by,
            "outcome": res.outcome,
            "asked_because": redact(&decision.reason),
            "asked_rule": decision.rule,
        });
        (
            res.verdict,
            res.rule,
            res.reason,
            res.outcome == Outcome::TimedOut,
        )
    } else {
        (
            decision.verdict,
            decision.rule.clone(),
            redact(&decision.reason),
            false,
        )
    };

    let payload = json!({
        "event": ev.event,
        "tool": tool,
        "tool_use_id": ev.str("tool_use_id"),
        "session_id": ev.str("session_id"),
        "action": shown,
        "parts": parts,
        "verdict": verdict,
        "rule": rule,
        "approval": approval,
        "decided_in_ms": started.elapsed().as_millis() as u64,
    });
    record(
        store,
        NewEvent::new("agent.action", who, reason.clone())
            .task(task.id.clone())
            .payload(payload),
    )?;

    if timed_out {
        return Err(HookFailure::TimedOut(format!(
            "denied: {reason}. Do not retry this; tell the user what you needed"
        )));
    }
    let model_reason = match verdict {
        Verdict::Allow => format!("Paddock allowed this ({rule}): {reason}"),
        _ => format!("Paddock denied this ({rule}): {reason}. Do not try to work around it; if it is needed, tell the user why"),
    };
    let answer = if ev.event == "PermissionRequest" {
        let mut decision =
            json!({"behavior": if verdict == Verdict::Allow { "allow" } else { "deny" }});
        if verdict != Verdict::Allow {
            decision["message"] = Value::String(model_reason);
        }
        json!({"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}})
    } else {
        json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": if verdict == Verdict::Allow { "allow" } else { "deny" },
            "permissionDecisionReason": model_reason,
        }})
    };
    Ok(HookAnswer::ok(format!("{answer}\n")))
}
