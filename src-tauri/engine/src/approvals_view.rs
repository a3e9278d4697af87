//! What the desktop app shows about approvals and the policy, read from the
//! engine: pending requests with their task's context, a summary of the
//! active policy (the built-in defaults as the policy itself decides them,
//! then the user's and the repository's rules), and the editing of the user's
//! own rules in `$PADDOCK_HOME/policy.toml`.
//!
//! Nothing here decides an action: the defaults' summary runs
//! [`policy::decide`] on example actions, and a rule is written only after
//! the policy loader accepts the whole new file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::approvals::{self, Approval, ApprovalError};
use crate::audit::{self, Actor, AuditError, NewEvent};
use crate::policy::{
    self, parse_rules, Action, PathAccess, Policy, PolicyError, Rule, RuleMatcher, RuleOrigin,
    TaskContext, Verdict, REPO_POLICY_FILE, USER_POLICY_FILE,
};
use crate::redact::redact;
use crate::task;
use crate::{PaddockHome, Store};

/// The longest command shown in a tray item or a notification title.
pub const SHORT_ACTION_CHARS: usize = 48;

/// A pending request with what a person needs to decide it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct PendingApproval {
    pub approval: Approval,
    /// The action as one line (command, path, URL or `server/tool`), redacted.
    pub action_text: String,
    /// The same, cut to [`SHORT_ACTION_CHARS`] for the tray.
    pub short_action: String,
    /// The task's goal, branch and repository name (None: the task is gone).
    pub task_goal: Option<String>,
    pub task_branch: Option<String>,
    pub task_repo_name: Option<String>,
    /// Seconds since the request was made.
    #[ts(type = "number")]
    pub waiting_secs: i64,
    /// Seconds left before it is denied on timeout (None: no deadline).
    #[ts(type = "number | null")]
    pub secs_left: Option<i64>,
}

/// Cut `text` to `max` characters, ending with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn parse_time(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// Requests waiting for a person, **newest first**, each with its task's context.
pub fn pending(store: &Store) -> Result<Vec<PendingApproval>, ApprovalError> {
    let now = time::OffsetDateTime::now_utc();
    let mut out = Vec::new();
    for approval in approvals::list_pending(store)?.into_iter().rev() {
        let text = redact(&approvals::action_text(&approval.action));
        let task = approval
            .task
            .as_deref()
            .and_then(|id| task::get(store, id).ok());
        let waiting_secs = parse_time(&approval.created_at)
            .map(|t| (now - t).whole_seconds().max(0))
            .unwrap_or(0);
        let secs_left = approval
            .deadline
            .as_deref()
            .and_then(parse_time)
            .map(|t| (t - now).whole_seconds().max(0));
        out.push(PendingApproval {
            short_action: shorten(&text, SHORT_ACTION_CHARS),
            action_text: text,
            task_goal: task.as_ref().map(|t| t.goal.clone()),
            task_branch: task.as_ref().map(|t| t.branch.clone()),
            task_repo_name: task.as_ref().map(|t| t.repo_name.clone()),
            waiting_secs,
            secs_left,
            approval,
        });
    }
    Ok(out)
}

/// One built-in default, shown by deciding an example with the built-in policy.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct DefaultExample {
    pub category: String,
    pub example: String,
    pub verdict: Verdict,
    pub rule: String,
    pub reason: String,
}

/// A user or repository rule as the loader read it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct PolicyRuleView {
    /// `user:<id>`, `user:policy.toml#3`, `repo:…`
    pub id: String,
    pub verdict: Verdict,
    /// `user` or `repo`.
    pub origin: String,
    /// `command`, `path`, `domain` or `mcp`.
    pub kind: String,
    pub pattern: String,
    /// For a path rule: `read`, `write` or `any`.
    pub access: Option<String>,
    pub reason: String,
    /// Whether the app can remove it (user `[[rule]]` entries only).
    pub deletable: bool,
}

/// The policy in force, for the Commands step.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct PolicySummary {
    pub defaults: Vec<DefaultExample>,
    pub user_rules: Vec<PolicyRuleView>,
    pub repo_rules: Vec<PolicyRuleView>,
    pub user_file: String,
    /// The repository whose `paddock.toml` was read (the newest active task's).
    pub repo_file: Option<String>,
    /// A policy file that does not load: every action of the tasks it covers is denied until fixed.
    pub error: Option<String>,
}

/// The examples that summarise the built-in defaults.
const DEFAULT_EXAMPLES: &[(&str, &str)] = &[
    ("Read and search", "grep -rn TODO src"),
    ("Tests and local builds", "cargo test"),
    ("Edit files in the worktree", "write: src/main.rs"),
    ("Install packages", "npm install left-pad"),
    ("Network", "curl https://example.com"),
    ("Delete files", "rm -rf src/legacy"),
    ("Rewrite history", "git rebase -i HEAD~3"),
    ("Force push", "git push --force origin main"),
    ("Write outside the worktree", "write: /etc/hosts"),
    ("Read secrets", "read: ~/.ssh/id_ed25519"),
    ("MCP tools", "mcp: github/create_issue"),
    ("Unknown commands", "frobnicate --all"),
];

fn example_action(example: &str) -> Action {
    if let Some(p) = example.strip_prefix("write: ") {
        Action::Write { path: p.into() }
    } else if let Some(p) = example.strip_prefix("read: ") {
        Action::Read { path: p.into() }
    } else if let Some(m) = example.strip_prefix("mcp: ") {
        let (server, tool) = m.split_once('/').unwrap_or((m, ""));
        Action::Mcp {
            server: server.into(),
            tool: tool.into(),
        }
    } else {
        Action::Shell {
            command: example.into(),
            cwd: ".".into(),
        }
    }
}

/// The built-in defaults, each decided by the policy itself on an example.
pub fn default_examples() -> Vec<DefaultExample> {
    let ctx = TaskContext {
        worktree: PathBuf::from("/paddock/worktree"),
        repo: Some(PathBuf::from("/paddock/repo")),
        home: PathBuf::from("/home/you"),
    };
    let builtin = Policy::builtin();
    DEFAULT_EXAMPLES
        .iter()
        .map(|(category, example)| {
            let d = policy::decide(&example_action(example), &ctx, &builtin);
            DefaultExample {
                category: (*category).into(),
                example: (*example).into(),
                verdict: d.verdict,
                rule: d.rule,
                reason: d.reason,
            }
        })
        .collect()
}

fn view(rule: &Rule) -> PolicyRuleView {
    let (kind, pattern, access) = match &rule.matcher {
        RuleMatcher::Command(words) => ("command", words.join(" "), None),
        RuleMatcher::Path {
            pattern, access, ..
        } => (
            "path",
            pattern.clone(),
            Some(
                match access {
                    PathAccess::Read => "read",
                    PathAccess::Write => "write",
                    PathAccess::Any => "any",
                }
                .to_string(),
            ),
        ),
        RuleMatcher::Domain { pattern, .. } => ("domain", pattern.clone(), None),
        RuleMatcher::Mcp { pattern, .. } => ("mcp", pattern.clone(), None),
    };
    PolicyRuleView {
        id: rule.id.clone(),
        verdict: rule.verdict,
        origin: match rule.origin {
            RuleOrigin::User => "user",
            RuleOrigin::Repo => "repo",
        }
        .into(),
        kind: kind.into(),
        pattern,
        access,
        reason: rule.reason.clone(),
        deletable: rule.origin == RuleOrigin::User && !rule.id.contains("#fetch_domains"),
    }
}

fn user_file(home: &PaddockHome) -> PathBuf {
    home.root().join(USER_POLICY_FILE)
}

/// The active policy: defaults, the user's rules and `repo`'s `paddock.toml`.
/// A file that does not load is reported in `error`, not hidden.
pub fn policy_summary(home: &PaddockHome, repo: Option<&Path>) -> PolicySummary {
    let mut summary = PolicySummary {
        defaults: default_examples(),
        user_rules: Vec::new(),
        repo_rules: Vec::new(),
        user_file: user_file(home).display().to_string(),
        repo_file: repo.map(|r| r.join(REPO_POLICY_FILE).display().to_string()),
        error: None,
    };
    match Policy::load(repo, home) {
        Ok(p) => {
            summary.user_rules = p.user.iter().map(view).collect();
            summary.repo_rules = p.repo.iter().map(view).collect();
        }
        Err(e) => summary.error = Some(format!("{e}; until it is fixed, every action is denied")),
    }
    summary
}

/// The newest active task's repository, whose `paddock.toml` is in force for it.
pub fn active_repo(store: &Store) -> Option<PathBuf> {
    task::newest_active(store)
        .ok()
        .flatten()
        .map(|t| PathBuf::from(t.repo))
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyEditError {
    #[error("{0}")]
    Invalid(String),
    #[error("your policy file does not load ({0}); fix it by hand before editing it here")]
    ExistingMalformed(PolicyError),
    #[error("the new rule would make the policy file invalid: {0}")]
    Rejected(PolicyError),
    #[error("no user rule {0:?} in policy.toml")]
    NotFound(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Audit(#[from] AuditError),
}

/// A rule the person adds to their own policy file.
#[derive(Debug, Clone, Deserialize, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct UserRuleInput {
    /// Letters, digits, `-`, `_`, `.`; empty → numbered by position.
    pub id: Option<String>,
    pub verdict: Verdict,
    /// `command`, `path`, `domain` or `mcp`.
    pub kind: String,
    pub pattern: String,
    /// For `path`: `read`, `write` or `any` (default).
    pub access: Option<String>,
    pub reason: Option<String>,
}

#[derive(Serialize)]
struct RuleToml {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mcp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Serialize)]
struct OneRule {
    rule: Vec<RuleToml>,
}

fn rule_toml(input: &UserRuleInput) -> Result<RuleToml, PolicyEditError> {
    let bad = |m: &str| Err(PolicyEditError::Invalid(m.to_string()));
    let pattern = input.pattern.trim().to_string();
    if pattern.is_empty() {
        return bad("the rule needs a command, path, domain or tool to match");
    }
    if pattern.contains(['\n', '\r']) || input.reason.as_deref().unwrap_or("").contains('\n') {
        return bad("a rule is one line");
    }
    let id = input
        .id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if let Some(id) = &id {
        if !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return bad("a rule id is letters, digits, '-', '_' or '.'");
        }
    }
    if input.verdict == Verdict::Allow && input.kind == "command" {
        let first = pattern.split_whitespace().next().unwrap_or("");
        if pattern.split_whitespace().count() == 1
            && ["sh", "bash", "zsh", "env", "sudo", "xargs", "eval", "exec"].contains(&first)
        {
            return bad("allowing a command that runs any other command would allow everything; name more words");
        }
    }
    let mut t = RuleToml {
        id,
        verdict: input.verdict,
        command: None,
        path: None,
        action: None,
        domain: None,
        mcp: None,
        reason: input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    };
    match input.kind.as_str() {
        "command" => t.command = Some(pattern),
        "path" => {
            t.path = Some(pattern);
            match input.access.as_deref().unwrap_or("any") {
                "any" => {}
                a @ ("read" | "write") => t.action = Some(a.into()),
                other => {
                    return Err(PolicyEditError::Invalid(format!(
                        "unknown access {other:?} (read, write or any)"
                    )))
                }
            }
        }
        "domain" => t.domain = Some(pattern),
        "mcp" => t.mcp = Some(pattern),
        other => {
            return Err(PolicyEditError::Invalid(format!(
                "unknown rule kind {other:?} (command, path, domain or mcp)"
            )))
        }
    }
    Ok(t)
}

fn read_text(path: &Path) -> Result<String, PolicyEditError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(PolicyEditError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Write `text` to `path` atomically, keeping the previous file as `policy.toml.bak`.
fn replace_file(path: &Path, text: &str) -> Result<(), PolicyEditError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| PolicyEditError::Io { path: p, source }
    };
    if path.exists() {
        std::fs::copy(path, path.with_extension("toml.bak")).map_err(io(path))?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

fn log_change(
    store: &mut Store,
    kind: &str,
    reason: String,
    payload: serde_json::Value,
) -> Result<(), PolicyEditError> {
    audit::record(
        store,
        NewEvent::new(kind, Actor::User, reason).payload(payload),
    )?;
    Ok(())
}

/// Add a rule to `$PADDOCK_HOME/policy.toml` (appended; the rest of the file
/// is kept as written). The whole new file must load, or nothing is written.
pub fn save_user_rule(
    store: &mut Store,
    home: &PaddockHome,
    input: &UserRuleInput,
) -> Result<PolicyRuleView, PolicyEditError> {
    let path = user_file(home);
    let old = read_text(&path)?;
    let before =
        parse_rules(&old, &path, RuleOrigin::User).map_err(PolicyEditError::ExistingMalformed)?;
    let rule = rule_toml(input)?;
    if let Some(id) = &rule.id {
        let full = format!("user:{id}");
        if before.iter().any(|r| r.id == full) {
            return Err(PolicyEditError::Invalid(format!(
                "there is already a rule {full:?}"
            )));
        }
    }
    let block = toml::to_string(&OneRule { rule: vec![rule] })
        .map_err(|e| PolicyEditError::Invalid(e.to_string()))?;
    let mut text = old.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&block);
    let after = parse_rules(&text, &path, RuleOrigin::User).map_err(PolicyEditError::Rejected)?;
    // The appended rule is the last `[[rule]]` entry.
    let added = after
        .iter()
        .rfind(|r| !r.id.contains("#fetch_domains"))
        .filter(|_| after.len() == before.len() + 1)
        .map(view)
        .ok_or_else(|| PolicyEditError::Invalid("the rule was not read back".into()))?;
    replace_file(&path, &text)?;
    log_change(
        store,
        "policy.rule_added",
        format!(
            "user added rule {}: {} {} {:?}",
            added.id, added.verdict, added.kind, added.pattern
        ),
        serde_json::to_value(&added).map_err(AuditError::from)?,
    )?;
    Ok(added)
}

/// Remove a user `[[rule]]` by the id the summary showed (`user:<id>` or
/// `user:policy.toml#<n>`). The file is rewritten (comments are not kept;
/// the previous file stays as `policy.toml.bak`).
pub fn delete_user_rule(
    store: &mut Store,
    home: &PaddockHome,
    id: &str,
) -> Result<PolicyRuleView, PolicyEditError> {
    let path = user_file(home);
    let old = read_text(&path)?;
    let rules =
        parse_rules(&old, &path, RuleOrigin::User).map_err(PolicyEditError::ExistingMalformed)?;
    let index = rules
        .iter()
        .filter(|r| !r.id.contains("#fetch_domains"))
        .position(|r| r.id == id)
        .ok_or_else(|| PolicyEditError::NotFound(id.to_string()))?;
    let removed = view(&rules[index]);
    let mut table: toml::Table =
        toml::from_str(&old).map_err(|e| PolicyEditError::Invalid(format!("policy.toml: {e}")))?;
    match table.get_mut("rule") {
        Some(toml::Value::Array(list)) if index < list.len() => {
            list.remove(index);
            if list.is_empty() {
                table.remove("rule");
            }
        }
        _ => return Err(PolicyEditError::NotFound(id.to_string())),
    }
    let text = toml::to_string(&table).map_err(|e| PolicyEditError::Invalid(e.to_string()))?;
    let after = parse_rules(&text, &path, RuleOrigin::User).map_err(PolicyEditError::Rejected)?;
    if after.len() + 1 != rules.len() {
        return Err(PolicyEditError::Invalid(
            "the rule was not removed cleanly".into(),
        ));
    }
    replace_file(&path, &text)?;
    log_change(
        store,
        "policy.rule_removed",
        format!(
            "user removed rule {}: {} {} {:?}",
            removed.id, removed.verdict, removed.kind, removed.pattern
        ),
        serde_json::to_value(&removed).map_err(AuditError::from)?,
    )?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, PaddockHome, Store) {
        let dir = tempfile::tempdir().unwrap();
        let home = PaddockHome::at(dir.path()).unwrap();
        let store = Store::open_home(&home).unwrap();
        (dir, home, store)
    }

    fn input(kind: &str, pattern: &str, verdict: Verdict) -> UserRuleInput {
        UserRuleInput {
            id: None,
            verdict,
            kind: kind.into(),
            pattern: pattern.into(),
            access: None,
            reason: Some("mine".into()),
        }
    }

    #[test]
    fn the_defaults_summary_is_what_the_policy_decides() {
        let d = default_examples();
        let by = |c: &str| d.iter().find(|e| e.category == c).unwrap().verdict;
        assert_eq!(by("Read and search"), Verdict::Allow);
        assert_eq!(by("Install packages"), Verdict::Ask);
        assert_eq!(by("Read secrets"), Verdict::Deny);
        assert_eq!(by("Unknown commands"), Verdict::Ask);
        assert!(d.iter().all(|e| !e.rule.is_empty() && !e.reason.is_empty()));
    }

    #[test]
    fn a_saved_user_rule_is_in_force_and_the_old_file_is_kept() {
        let (_d, home, mut store) = home();
        let path = home.root().join(USER_POLICY_FILE);
        std::fs::write(
            &path,
            "# my rules\n[[rule]]\nverdict = \"deny\"\ncommand = \"terraform\"\n",
        )
        .unwrap();
        let added = save_user_rule(
            &mut store,
            &home,
            &input("command", "npm install", Verdict::Allow),
        )
        .unwrap();
        assert_eq!(added.id, "user:policy.toml#2");
        assert_eq!(added.pattern, "npm install");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my rules\n"), "{text}");
        assert!(path.with_extension("toml.bak").is_file());
        let s = policy_summary(&home, None);
        assert_eq!(s.user_rules.len(), 2);
        assert!(s.error.is_none());

        let ctx = TaskContext {
            worktree: "/w".into(),
            repo: None,
            home: "/h".into(),
        };
        let p = Policy::load(None, &home).unwrap();
        let d = policy::decide(
            &Action::Shell {
                command: "npm install left-pad".into(),
                cwd: ".".into(),
            },
            &ctx,
            &p,
        );
        assert_eq!(d.verdict, Verdict::Allow);
        assert_eq!(d.rule, "user:policy.toml#2");
    }

    #[test]
    fn malformed_rules_are_refused_and_nothing_is_written() {
        let (_d, home, mut store) = home();
        let path = home.root().join(USER_POLICY_FILE);
        for bad in [
            input("command", "  ", Verdict::Deny),
            input("path", "src/[", Verdict::Deny),
            input("shellish", "x", Verdict::Deny),
            input("command", "bash", Verdict::Allow),
            UserRuleInput {
                id: Some("has space".into()),
                ..input("command", "make", Verdict::Allow)
            },
        ] {
            assert!(save_user_rule(&mut store, &home, &bad).is_err(), "{bad:?}");
        }
        assert!(!path.exists());
        std::fs::write(&path, "[[rule]]\nverdict = \"maybe\"\ncommand = \"x\"\n").unwrap();
        let e = save_user_rule(&mut store, &home, &input("command", "make", Verdict::Allow))
            .unwrap_err();
        assert!(e.to_string().contains("fix it by hand"), "{e}");
    }

    #[test]
    fn a_user_rule_can_be_deleted_by_the_id_shown() {
        let (_d, home, mut store) = home();
        let a = save_user_rule(
            &mut store,
            &home,
            &input("command", "make deploy", Verdict::Deny),
        )
        .unwrap();
        let b = save_user_rule(
            &mut store,
            &home,
            &UserRuleInput {
                id: Some("docs".into()),
                ..input("domain", "docs.rs", Verdict::Allow)
            },
        )
        .unwrap();
        assert_eq!(b.id, "user:docs");
        delete_user_rule(&mut store, &home, &a.id).unwrap();
        let s = policy_summary(&home, None);
        assert_eq!(s.user_rules.len(), 1);
        assert_eq!(s.user_rules[0].id, "user:docs");
        assert!(delete_user_rule(&mut store, &home, "user:nope").is_err());
        let events = audit::list(&store, None).unwrap();
        assert!(events.iter().any(|e| e.kind == "policy.rule_removed"));
    }

    #[test]
    fn shorten_keeps_one_line() {
        assert_eq!(
            shorten("npm  install\nleft-pad", 40),
            "npm install left-pad"
        );
        assert_eq!(shorten("abcdefgh", 5), "abcd…");
    }
}
