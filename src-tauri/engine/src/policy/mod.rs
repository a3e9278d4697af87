//! Decide whether an agent's action may run: allow, ask a person, or deny,
//! always with the rule that decided and a reason a person and an agent can
//! read.
//!
//! [`decide`] is pure: no filesystem, no clock, no environment. Shell commands
//! are parsed with tree-sitter-bash and split into simple commands (lists,
//! pipelines, subshells, `$(…)`, backticks, process substitution, heredocs);
//! wrappers (`bash -c`, `sh -c`, `env`, `sudo`, `timeout`, `nice`, `nohup`,
//! `command`, `exec`, `xargs`, `find -exec`, `busybox`, `time`, `stdbuf`,
//! `ionice`, `doas`, `git -c`) are unwrapped; redirections become file reads
//! and writes. Every part gets its own decision and the strictest one wins.
//! Anything the parser cannot read, and any command name only known at run
//! time, is Ask, never Allow.
//!
//! # Precedence
//! For each part (a simple command, a redirection, or a non-shell action):
//! 1. The built-in default is computed (see `defaults.rs`; it follows the
//!    posture table: reads, tests and builds allow; edits inside the worktree
//!    allow and are reviewed later; installs and network ask; deletes,
//!    migrations, deploys, force pushes, writes outside the worktree and reads
//!    of secrets ask or deny; an unknown command asks).
//! 2. If that default is **Deny**, it is a *hard* deny: only the user's own
//!    rules (`$PADDOCK_HOME/policy.toml`) are consulted. A repository's
//!    `paddock.toml` can never relax it: a cloned repository must not unlock
//!    itself.
//! 3. Otherwise the user's and the repository's matching rules are collected
//!    and the strictest wins (deny > ask > allow; among equals the user's rule,
//!    then the earlier rule).
//! 4. A part no rule matches keeps its default.
//!
//! The whole action takes the strictest part's decision.

mod defaults;
mod paths;
mod rules;
mod shell;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use rules::Subject;
pub use rules::{
    parse_rules, PathAccess, Policy, PolicyError, Rule, RuleMatcher, RuleOrigin, REPO_POLICY_FILE,
    USER_POLICY_FILE,
};
use shell::FileOp;

/// Something an agent wants to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum Action {
    /// A shell command line, run in `cwd` (relative → inside the worktree).
    Shell {
        command: String,
        #[ts(type = "string")]
        cwd: PathBuf,
    },
    Read {
        #[ts(type = "string")]
        path: PathBuf,
    },
    Write {
        #[ts(type = "string")]
        path: PathBuf,
    },
    Fetch {
        url: String,
    },
    Mcp {
        server: String,
        tool: String,
    },
}

/// Ordered: `Allow < Ask < Deny`, so the strictest is the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum Verdict {
    Allow,
    Ask,
    Deny,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Allow => "allow",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
        })
    }
}

/// The decision for one part of a shell command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct PartDecision {
    /// The simple command (or `> path`) as Paddock read it, quotes removed.
    pub command: String,
    pub verdict: Verdict,
    pub rule: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct Decision {
    pub verdict: Verdict,
    /// The rule that decided: `default:secret-read`, `user:my-rule`,
    /// `repo:paddock.toml#3`, …
    pub rule: String,
    pub reason: String,
    /// For a shell command: every part with its own decision, in order.
    pub parts: Vec<PartDecision>,
}

/// Where the agent works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct TaskContext {
    /// The task's worktree: edits inside it are reviewed later.
    #[ts(type = "string")]
    pub worktree: PathBuf,
    /// The repository the worktree belongs to.
    #[ts(type = "string | null")]
    pub repo: Option<PathBuf>,
    /// The user's HOME (for `~` and the secret folders in it).
    #[ts(type = "string")]
    pub home: PathBuf,
}

/// One part as the defaults saw it, before rules.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub display: String,
    pub subject: OwnedSubject,
    pub verdict: Verdict,
    pub rule: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub(crate) enum OwnedSubject {
    /// The simple command's words, and the words with the wrappers that
    /// ran it (`npx prisma generate` for `prisma generate`).
    Command(Vec<String>, Vec<String>),
    File(FileOp, PathBuf),
    Domain(String),
    Mcp(String),
    Nothing,
}

impl Part {
    pub(crate) fn new(display: impl Into<String>, subject: OwnedSubject) -> Self {
        Part {
            display: display.into(),
            subject,
            verdict: Verdict::Allow,
            rule: String::new(),
            reason: String::new(),
        }
    }

    /// Raise the verdict to `verdict` if stricter (or if nothing is set yet).
    pub(crate) fn raise(&mut self, verdict: Verdict, rule: &str, reason: impl Into<String>) {
        if self.rule.is_empty() || verdict > self.verdict {
            self.verdict = verdict;
            self.rule = rule.to_string();
            self.reason = reason.into();
        }
    }
}

/// Decide `action` for the task in `ctx` under `policy`. Pure and fast.
pub fn decide(action: &Action, ctx: &TaskContext, policy: &Policy) -> Decision {
    let parts = defaults::parts(action, ctx);
    let mut decided: Vec<PartDecision> =
        parts.iter().map(|p| apply_rules(p, ctx, policy)).collect();
    let is_shell = matches!(action, Action::Shell { .. });
    if decided.is_empty() {
        decided.push(PartDecision {
            command: String::new(),
            verdict: Verdict::Allow,
            rule: "default:empty".into(),
            reason: "nothing to run".into(),
        });
    }
    // The strictest part decides; among equals, the first.
    let mut top = 0;
    for (i, d) in decided.iter().enumerate() {
        if d.verdict > decided[top].verdict {
            top = i;
        }
    }
    let head = decided[top].clone();
    Decision {
        verdict: head.verdict,
        rule: head.rule,
        reason: head.reason,
        parts: if is_shell { decided } else { Vec::new() },
    }
}

fn apply_rules(part: &Part, ctx: &TaskContext, policy: &Policy) -> PartDecision {
    let subject = match &part.subject {
        OwnedSubject::Command(w, full) => Subject::Command(w, full),
        OwnedSubject::File(op, p) => Subject::File(*op, p),
        OwnedSubject::Domain(d) => Subject::Domain(d),
        OwnedSubject::Mcp(m) => Subject::Mcp(m),
        OwnedSubject::Nothing => Subject::Nothing,
    };
    let hard = part.verdict == Verdict::Deny;
    let repo: &[Rule] = if hard { &[] } else { &policy.repo };
    let mut best: Option<&Rule> = None;
    for rule in policy.user.iter().chain(repo.iter()) {
        if rule.matches(&subject, &ctx.worktree, &ctx.home)
            && best.is_none_or(|b| rule.verdict > b.verdict)
        {
            best = Some(rule);
        }
    }
    match best {
        Some(r) => PartDecision {
            command: part.display.clone(),
            verdict: r.verdict,
            rule: r.id.clone(),
            reason: r.reason.clone(),
        },
        None => PartDecision {
            command: part.display.clone(),
            verdict: part.verdict,
            rule: part.rule.clone(),
            reason: part.reason.clone(),
        },
    }
}

/// Resolve a path the way `decide` does (lexically; `~` → home; relative →
/// worktree). Exposed for callers that display paths.
pub fn resolve_path(path: &Path, ctx: &TaskContext) -> PathBuf {
    let text = path.to_string_lossy();
    paths::resolve(&text, Some(&ctx.worktree), &ctx.home).unwrap_or_else(|| ctx.worktree.join(path))
}
