//! The review note: what a person needs to decide on a task, gathered from the
//! task's diff and its audit events — the goal, the agent's final summary, the
//! changed files, the commands run, the tests and their results, approvals,
//! network destinations, and what still needs attention. The same content is
//! rendered as markdown ([`ReviewNote::to_markdown`]) and shown by the UI.
//!
//! Events are read generically as JSON: hook payloads differ between agents
//! and versions, so every field is optional and looked for in several places.

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use super::diff::{DiffTotals, FileStatus};
use super::test_output::{self, TestCounts, TestOutcome, TestRunner};
use super::ReviewError;
use crate::audit::{self, Event};
use crate::store::Store;
use crate::task::{self, TaskState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct NoteFile {
    pub path: String,
    pub old_path: Option<String>,
    pub status: FileStatus,
    pub binary: bool,
    pub additions: u32,
    pub deletions: u32,
    pub reviewed: bool,
}

/// A shell command the agent ran, as the hooks logged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct CommandRun {
    #[ts(type = "number")]
    pub event: i64,
    pub at: String,
    pub command: String,
    #[ts(type = "number | null")]
    pub exit_code: Option<i64>,
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
}

/// A command recognised as a test run, with what its output says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct TestRun {
    #[ts(type = "number")]
    pub event: i64,
    pub at: String,
    pub command: String,
    pub runner: TestRunner,
    #[ts(type = "number | null")]
    pub exit_code: Option<i64>,
    /// Counts, when the output printed a summary line.
    pub counts: Option<TestCounts>,
    pub outcome: TestOutcome,
}

/// Whether the tests are good enough to merge without "merge anyway".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum TestStatus {
    /// The latest run of every test command passed.
    Passing,
    /// The latest run of some test command failed (or its result is unknown).
    Failing,
    /// No test command was run.
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ApprovalGranted {
    pub by: String,
    pub at: String,
    /// What the approval covers: "once", or the remembered scope.
    pub scope: String,
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct NetworkDestination {
    pub destination: String,
    /// Reached (allowed) or blocked.
    pub reached: bool,
    pub count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum AttentionKind {
    DeniedAction,
    FailingTests,
    MissingTests,
    OutsideGoal,
    Secret,
    Unreviewed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct AttentionItem {
    pub kind: AttentionKind,
    pub text: String,
}

/// Everything a reviewer needs on one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct ReviewNote {
    pub task: String,
    pub goal: String,
    pub base: String,
    pub branch: String,
    pub state: TaskState,
    /// The agent's final summary (the Stop hook's last assistant message).
    pub summary: Option<String>,
    pub files: Vec<NoteFile>,
    pub totals: DiffTotals,
    /// Set when the diff could not be read (e.g. the repository is gone).
    pub diff_error: Option<String>,
    pub commands: Vec<CommandRun>,
    pub tests: Vec<TestRun>,
    pub test_status: TestStatus,
    pub approvals: Vec<ApprovalGranted>,
    pub network: Vec<NetworkDestination>,
    pub attention: Vec<AttentionItem>,
}

/// Look a value up by several dotted paths; the first present wins.
fn at<'a>(v: &'a Value, paths: &[&str]) -> Option<&'a Value> {
    paths.iter().find_map(|p| {
        let mut cur = v;
        for k in p.split('.') {
            cur = cur.get(k)?;
        }
        (!cur.is_null()).then_some(cur)
    })
}

fn text_at(v: &Value, paths: &[&str]) -> Option<String> {
    match at(v, paths)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn i64_at(v: &Value, paths: &[&str]) -> Option<i64> {
    at(v, paths).and_then(|x| {
        x.as_i64()
            .or_else(|| x.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

/// The words of an event kind: `hook.post_tool_use` and `agent.result` are both results.
fn is_result(kind: &str) -> bool {
    kind == "agent.result" || kind.ends_with("post_tool_use") || kind == "command.result"
}

fn is_decision(kind: &str) -> bool {
    kind == "agent.action" || kind.ends_with("pre_tool_use") || kind == "command.decided"
}

/// A short human description of an action payload (a command, a URL, a path).
fn describe_action(v: &Value) -> String {
    fn find(v: &Value, key: &str) -> Option<String> {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(s)) = m.get(key) {
                    return Some(s.clone());
                }
                m.values().find_map(|x| find(x, key))
            }
            Value::Array(a) => a.iter().find_map(|x| find(x, key)),
            _ => None,
        }
    }
    for key in ["command", "url", "host", "path", "file_path", "tool"] {
        if let Some(s) = find(v, key) {
            return s;
        }
    }
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn verdict_of(p: &Value) -> Option<String> {
    text_at(p, &["verdict", "decision", "outcome", "behavior"]).map(|s| s.to_ascii_lowercase())
}

fn host_of(url_or_host: &str) -> String {
    let s = url_or_host
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(url_or_host);
    let s = s.split(['/', '?', '#']).next().unwrap_or(s);
    let s = s.rsplit('@').next().unwrap_or(s);
    s.to_owned()
}

/// Commands and test runs from the events, in order.
fn commands_and_tests(events: &[Event]) -> (Vec<CommandRun>, Vec<TestRun>) {
    let mut commands = Vec::new();
    let mut tests = Vec::new();
    for e in events.iter().filter(|e| is_result(&e.kind)) {
        let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
        let Some(command) = text_at(
            &p,
            &[
                "input.command",
                "tool_input.command",
                "command",
                "action.command",
            ],
        ) else {
            continue;
        };
        let exit_code = i64_at(
            &p,
            &[
                "exit_code",
                "exitCode",
                "tool_response.exit_code",
                "tool_response.exitCode",
                "response.exit_code",
                "exit",
                "returncode",
            ],
        );
        let duration_ms =
            at(&p, &["duration_ms", "tool_response.duration_ms"]).and_then(Value::as_u64);
        commands.push(CommandRun {
            event: e.id,
            at: e.at.clone(),
            command: command.clone(),
            exit_code,
            duration_ms,
        });
        let output: String = [
            "stdout",
            "stderr",
            "output",
            "stdout_excerpt",
            "stderr_excerpt",
            "tool_response.stdout",
            "tool_response.stderr",
            "tool_response.output",
            "tool_response",
        ]
        .iter()
        .filter_map(|k| at(&p, &[k]).and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("\n");
        let by_command = test_output::runner_of_command(&command);
        let parsed = test_output::parse_output(&output);
        let runner = match (by_command, parsed.as_ref()) {
            (None, _) => continue,
            (Some(TestRunner::Other), Some((r, _))) => *r,
            (Some(r), _) => r,
        };
        let counts = parsed.map(|(_, c)| c);
        tests.push(TestRun {
            event: e.id,
            at: e.at.clone(),
            command,
            runner,
            exit_code,
            outcome: test_output::outcome(exit_code, counts.as_ref()),
            counts,
        });
    }
    (commands, tests)
}

/// Passing only if the latest run of every distinct test command passed.
pub(crate) fn test_status_of(tests: &[TestRun]) -> TestStatus {
    if tests.is_empty() {
        return TestStatus::Missing;
    }
    let mut latest: Vec<&TestRun> = Vec::new();
    for t in tests.iter().rev() {
        if !latest.iter().any(|l| l.command.trim() == t.command.trim()) {
            latest.push(t);
        }
    }
    if latest.iter().all(|t| t.outcome == TestOutcome::Passed) {
        TestStatus::Passing
    } else {
        TestStatus::Failing
    }
}

/// The test runs recorded for a task and what they add up to.
pub(crate) fn tests_of(
    store: &Store,
    task_id: &str,
) -> Result<(Vec<TestRun>, TestStatus), ReviewError> {
    let events = audit::list(store, Some(task_id))?;
    let (_, tests) = commands_and_tests(&events);
    let status = test_status_of(&tests);
    Ok((tests, status))
}

/// Why a changed file may be outside the goal, if it looks so.
fn outside_goal(path: &str, status: FileStatus, goal: &str) -> Option<&'static str> {
    let goal = goal.to_ascii_lowercase();
    let mentions = |words: &[&str]| words.iter().any(|w| goal.contains(w));
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if let Some(p) = crate::workspace::secret_pattern(std::path::Path::new(path)) {
        let _ = p;
        return Some("its name suggests it holds a secret");
    }
    if (lower.starts_with(".github/workflows/")
        || lower.starts_with(".circleci/")
        || name == ".gitlab-ci.yml"
        || name == "jenkinsfile"
        || name == "azure-pipelines.yml")
        && !mentions(&["ci", "workflow", "pipeline"])
    {
        return Some("CI configuration changed");
    }
    const DEPS: &[&str] = &[
        "cargo.lock",
        "cargo.toml",
        "package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.mod",
        "go.sum",
        "pyproject.toml",
        "poetry.lock",
        "uv.lock",
        "gemfile",
        "gemfile.lock",
    ];
    if (DEPS.contains(&name) || (name.starts_with("requirements") && name.ends_with(".txt")))
        && !mentions(&[
            "depend", "upgrade", "bump", "version", "package", "crate", "librar", "install",
        ])
    {
        return Some("dependencies changed");
    }
    if (name == "dockerfile"
        || name.starts_with("docker-compose")
        || name.ends_with(".tf")
        || lower.starts_with("deploy/")
        || lower.starts_with("k8s/")
        || lower.starts_with("helm/"))
        && !mentions(&[
            "docker",
            "deploy",
            "infra",
            "container",
            "terraform",
            "k8s",
            "kubernetes",
            "helm",
        ])
    {
        return Some("build or deployment configuration changed");
    }
    if (lower.starts_with(".claude/")
        || lower.starts_with(".codex/")
        || lower.starts_with(".paddock/")
        || name == "paddock.toml"
        || name == "claude.md"
        || name == "agents.md"
        || name == ".gitignore"
        || name == ".gitattributes")
        && !mentions(&[
            "agent",
            "claude",
            "codex",
            "paddock",
            "gitignore",
            "gitattributes",
        ])
    {
        return Some("agent, Paddock or git configuration changed");
    }
    let looks_test = lower.contains("test") || lower.contains("spec");
    if status == FileStatus::Deleted && looks_test {
        return Some("a test file was deleted");
    }
    None
}

/// Build the review note of a task.
pub fn note(store: &Store, task_id: &str) -> Result<ReviewNote, ReviewError> {
    let t = task::get(store, task_id)?;
    let events = audit::list(store, Some(task_id))?;
    let (files, totals, diff_error) = match super::diff(store, task_id) {
        Ok(d) => (
            d.files
                .iter()
                .map(|f| NoteFile {
                    path: f.path.clone(),
                    old_path: f.old_path.clone(),
                    status: f.status,
                    binary: f.binary,
                    additions: f.additions,
                    deletions: f.deletions,
                    reviewed: f.reviewed,
                })
                .collect::<Vec<_>>(),
            d.totals,
            None,
        ),
        Err(e) => (Vec::new(), DiffTotals::default(), Some(e.to_string())),
    };

    let summary = events
        .iter()
        .rev()
        .filter(|e| e.kind == "task.summary" || e.kind.ends_with(".stop"))
        .find_map(|e| {
            let p: Value = serde_json::from_str(&e.payload).ok()?;
            text_at(&p, &["summary", "last_assistant_message", "message"])
                .filter(|s| !s.trim().is_empty())
        });

    let (commands, tests) = commands_and_tests(&events);
    let test_status = test_status_of(&tests);

    let mut approvals = Vec::new();
    let mut network: Vec<NetworkDestination> = Vec::new();
    let mut attention = Vec::new();
    let mut add_net = |dest: String, reached: bool| {
        if dest.is_empty() {
            return;
        }
        match network
            .iter_mut()
            .find(|n| n.destination == dest && n.reached == reached)
        {
            Some(n) => n.count += 1,
            None => network.push(NetworkDestination {
                destination: dest,
                reached,
                count: 1,
            }),
        }
    };

    for e in &events {
        let p: Value = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
        let kind = e.kind.as_str();
        let verdict = verdict_of(&p);
        let denied = matches!(
            verdict.as_deref(),
            Some("deny" | "denied" | "block" | "blocked")
        );
        if is_decision(kind) {
            let action = at(&p, &["action", "tool_input", "input"])
                .cloned()
                .unwrap_or(Value::Null);
            let url = text_at(&action, &["url", "Fetch.url", "fetch.url"])
                .or_else(|| text_at(&action, &["host", "Connect.host", "connect.host"]));
            if let Some(u) = url {
                add_net(host_of(&u), !denied);
            }
            if denied {
                attention.push(AttentionItem {
                    kind: AttentionKind::DeniedAction,
                    text: format!("denied: {} — {}", describe_action(&action), e.reason),
                });
            }
        } else if kind == "approval.decided" {
            if denied {
                attention.push(AttentionItem {
                    kind: AttentionKind::DeniedAction,
                    text: format!(
                        "denied by {}: {}",
                        text_at(&p, &["by"]).unwrap_or_else(|| e.actor.clone()),
                        describe_action(at(&p, &["action"]).unwrap_or(&Value::Null))
                    ),
                });
            } else {
                let scope = match at(&p, &["remember", "scope"]) {
                    None => "once".to_owned(),
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => describe_scope(v),
                };
                approvals.push(ApprovalGranted {
                    by: text_at(&p, &["by"]).unwrap_or_else(|| e.actor.clone()),
                    at: e.at.clone(),
                    scope,
                    action: describe_action(at(&p, &["action"]).unwrap_or(&Value::Null)),
                });
            }
        } else if kind == "approval.remembered" && !denied {
            approvals.push(ApprovalGranted {
                by: format!(
                    "remembered rule {}",
                    text_at(&p, &["rule_id"]).unwrap_or_default()
                ),
                at: e.at.clone(),
                scope: "remembered decision".into(),
                action: describe_action(at(&p, &["action"]).unwrap_or(&Value::Null)),
            });
        } else if kind == "approval.expired" {
            attention.push(AttentionItem {
                kind: AttentionKind::DeniedAction,
                text: format!("denied (nobody answered in time): {}", e.reason),
            });
        } else if kind.starts_with("network.") || kind.starts_with("proxy.") {
            let dest = text_at(&p, &["host", "domain", "destination", "url"]).unwrap_or_default();
            let blocked = denied
                || kind.ends_with("blocked")
                || kind.ends_with("denied")
                || at(&p, &["allowed"]).and_then(Value::as_bool) == Some(false);
            add_net(host_of(&dest), !blocked);
        } else if kind.contains("secret") {
            attention.push(AttentionItem {
                kind: AttentionKind::Secret,
                text: format!("secret finding: {}", e.reason),
            });
        } else if kind == "review.committed" {
            if let Some(Value::Array(skipped)) = at(&p, &["skipped_secret_files"]) {
                for s in skipped.iter().filter_map(Value::as_str) {
                    attention.push(AttentionItem {
                        kind: AttentionKind::Secret,
                        text: format!(
                            "{s} was left uncommitted in the worktree: its name suggests a secret"
                        ),
                    });
                }
            }
        }
    }

    match test_status {
        TestStatus::Missing => attention.push(AttentionItem {
            kind: AttentionKind::MissingTests,
            text: "no tests were run".into(),
        }),
        TestStatus::Failing => {
            for t in latest_failing(&tests) {
                attention.push(AttentionItem {
                    kind: AttentionKind::FailingTests,
                    text: format!("tests not passing: `{}` ({})", t.command, describe_test(t)),
                });
            }
        }
        TestStatus::Passing => {}
    }
    for f in &files {
        if let Some(why) = outside_goal(&f.path, f.status, &t.goal) {
            attention.push(AttentionItem {
                kind: AttentionKind::OutsideGoal,
                text: format!("{}: {why}", f.path),
            });
        }
    }
    let unreviewed = files.iter().filter(|f| !f.reviewed).count();
    if unreviewed > 0 && t.state == TaskState::AwaitingReview {
        attention.push(AttentionItem {
            kind: AttentionKind::Unreviewed,
            text: format!("{unreviewed} of {} file(s) not yet reviewed", files.len()),
        });
    }

    Ok(ReviewNote {
        task: t.id,
        goal: t.goal,
        base: t.base,
        branch: t.branch,
        state: t.state,
        summary,
        files,
        totals,
        diff_error,
        commands,
        tests,
        test_status,
        approvals,
        network,
        attention,
    })
}

fn describe_scope(v: &Value) -> String {
    let parts: Vec<String> = ["scope", "reach", "match", "kind"]
        .iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned))
        .collect();
    if parts.is_empty() {
        v.to_string()
    } else {
        format!("remembered ({})", parts.join(", "))
    }
}

fn latest_failing(tests: &[TestRun]) -> Vec<&TestRun> {
    let mut latest: Vec<&TestRun> = Vec::new();
    for t in tests.iter().rev() {
        if !latest.iter().any(|l| l.command.trim() == t.command.trim()) {
            latest.push(t);
        }
    }
    latest.reverse();
    latest
        .into_iter()
        .filter(|t| t.outcome != TestOutcome::Passed)
        .collect()
}

fn describe_test(t: &TestRun) -> String {
    let verdict = match t.outcome {
        TestOutcome::Passed => "passed",
        TestOutcome::Failed => "failed",
        TestOutcome::Unknown => "result unknown",
    };
    let mut s = verdict.to_owned();
    if let Some(c) = &t.counts {
        s.push_str(&format!(
            ": {} passed, {} failed, {} skipped",
            c.passed, c.failed, c.skipped
        ));
    }
    if let Some(code) = t.exit_code {
        s.push_str(&format!("; exit {code}"));
    }
    s
}

/// A markdown code span that survives backticks in the text.
fn code(s: &str) -> String {
    let s = s.replace('\n', " ");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

impl ReviewNote {
    /// The note as markdown.
    pub fn to_markdown(&self) -> String {
        let mut m = String::new();
        m.push_str(&format!("# Review: task {}\n\n", self.task));
        m.push_str(&format!(
            "Branch {} → base {} · state: {}\n\n",
            code(&self.branch),
            code(&self.base),
            self.state
        ));
        m.push_str(&format!("## Goal\n\n{}\n\n", self.goal));
        m.push_str("## Agent's summary\n\n");
        match &self.summary {
            Some(s) => m.push_str(&format!("{}\n\n", s.trim())),
            None => m.push_str("_The agent left no summary._\n\n"),
        }
        m.push_str(&format!(
            "## Changed files ({} files, +{} −{})\n\n",
            self.totals.files, self.totals.additions, self.totals.deletions
        ));
        if let Some(e) = &self.diff_error {
            m.push_str(&format!("_The diff could not be read: {e}_\n\n"));
        } else if self.files.is_empty() {
            m.push_str("_No changes._\n\n");
        } else {
            m.push_str("| Status | File | + | − | Reviewed |\n|---|---|---:|---:|---|\n");
            for f in &self.files {
                let name = match &f.old_path {
                    Some(o) => format!("{} → {}", cell(o), cell(&f.path)),
                    None => cell(&f.path),
                };
                let (add, del) = if f.binary {
                    ("bin".to_owned(), "bin".to_owned())
                } else {
                    (f.additions.to_string(), f.deletions.to_string())
                };
                m.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    f.status.as_str(),
                    name,
                    add,
                    del,
                    if f.reviewed { "yes" } else { "no" }
                ));
            }
            m.push('\n');
        }
        m.push_str("## Commands run\n\n");
        if self.commands.is_empty() {
            m.push_str("_None recorded._\n\n");
        } else {
            for c in &self.commands {
                let exit = c
                    .exit_code
                    .map(|x| format!("exit {x}"))
                    .unwrap_or_else(|| "exit code unknown".into());
                let dur = c
                    .duration_ms
                    .map(|d| format!(", {:.1} s", d as f64 / 1000.0))
                    .unwrap_or_default();
                m.push_str(&format!("- {} → {exit}{dur}\n", code(&c.command)));
            }
            m.push('\n');
        }
        m.push_str("## Tests\n\n");
        if self.tests.is_empty() {
            m.push_str("_No tests were run._\n\n");
        } else {
            for t in &self.tests {
                m.push_str(&format!("- {} — {}\n", code(&t.command), describe_test(t)));
            }
            m.push_str(&format!(
                "\nOverall: {}\n\n",
                match self.test_status {
                    TestStatus::Passing => "passing",
                    TestStatus::Failing => "failing",
                    TestStatus::Missing => "missing",
                }
            ));
        }
        m.push_str("## Approvals granted\n\n");
        if self.approvals.is_empty() {
            m.push_str("_None._\n\n");
        } else {
            for a in &self.approvals {
                m.push_str(&format!(
                    "- {} — by {} at {} ({})\n",
                    code(&a.action),
                    a.by,
                    a.at,
                    a.scope
                ));
            }
            m.push('\n');
        }
        m.push_str("## Network\n\n");
        if self.network.is_empty() {
            m.push_str("_No network destinations recorded._\n\n");
        } else {
            for n in &self.network {
                m.push_str(&format!(
                    "- {} {} ({}×)\n",
                    if n.reached { "reached" } else { "blocked" },
                    code(&n.destination),
                    n.count
                ));
            }
            m.push('\n');
        }
        m.push_str("## Needs attention\n\n");
        if self.attention.is_empty() {
            m.push_str("_Nothing._\n");
        } else {
            for a in &self.attention {
                m.push_str(&format!("- [ ] {}\n", a.text));
            }
        }
        m
    }
}
