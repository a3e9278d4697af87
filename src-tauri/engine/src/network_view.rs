//! What the app's Network step shows and edits for one task: which presets are
//! on, the person's own host rules, and the task's connections as the proxy
//! decided them (allowed, blocked) or as they wait for a person.
//!
//! The settings are not a table of their own: every change is an audit event
//! (`network_settings.preset`, `network_settings.rule_add`,
//! `network_settings.rule_remove`) and the current settings are those events
//! folded in order. So every change is logged with who made it, and the log
//! is the one place the settings live. [`task_rules`] turns them into the
//! [`NetworkRules`] a task's proxy uses.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::approvals::{self, ApprovalError};
use crate::audit::{self, Actor, AuditError, NewEvent};
use crate::network::presets::{self, PresetChoice};
use crate::network::registries::{self, Sources};
use crate::network::rules::{normalize_host, HostPattern};
use crate::network::NetworkRules;
use crate::policy::{Action, Policy};
use crate::task::{self, Task, TaskError};
use crate::{PaddockHome, Store};

const KIND_PRESET: &str = "network_settings.preset";
const KIND_RULE_ADD: &str = "network_settings.rule_add";
const KIND_RULE_REMOVE: &str = "network_settings.rule_remove";

/// The connections listed at most (newest first).
pub const MAX_CONNECTIONS: usize = 200;

/// A preset the person can turn on or off (or see, when it is always on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct NetworkPreset {
    /// `default-deny`, `localhost`, `model-api`, `packages`, `docs`.
    pub name: String,
    pub title: String,
    /// One line: what it lets through (or blocks) and when to turn it on.
    pub explanation: String,
    pub on: bool,
    /// Always on; the app shows it but cannot turn it off.
    pub locked: bool,
}

/// `allow` or `deny`: a host rule's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum HostRuleVerdict {
    Allow,
    Deny,
}

/// A host the person allowed or denied for the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct NetworkHostRule {
    /// The audit event that added it (what `remove` names).
    #[ts(type = "number")]
    pub id: i64,
    /// `example.com` or `*.example.com`.
    pub host: String,
    pub verdict: HostRuleVerdict,
    pub added_at: String,
}

/// A task's network settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct NetworkSettings {
    pub task: String,
    pub presets: Vec<NetworkPreset>,
    pub rules: Vec<NetworkHostRule>,
}

/// How a connection ended (or that it still waits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum ConnectionVerdict {
    Allowed,
    Blocked,
    Waiting,
}

/// One connection of a task through its proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct NetworkConnection {
    /// `event:<id>` or `approval:<id>`: stable across reads.
    pub key: String,
    pub host: String,
    pub port: u16,
    pub method: Option<String>,
    pub verdict: ConnectionVerdict,
    /// The rule that decided it (or that asked).
    pub rule: String,
    pub reason: String,
    pub at: String,
    /// The pending approval to decide, for a waiting connection.
    #[ts(type = "number | null")]
    pub approval: Option<i64>,
    /// Seconds before a waiting connection is denied (None: no deadline).
    #[ts(type = "number | null")]
    pub secs_left: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum NetworkViewError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Approval(#[from] ApprovalError),
    #[error("no active task; create one first (the Workspace step, or `paddock task new`)")]
    NoActiveTask,
    #[error("no preset {0:?} (presets: localhost, model-api, packages, docs)")]
    UnknownPreset(String),
    #[error("the default deny list is always on")]
    LockedPreset,
    #[error("{0:?} is not a host name (use `example.com` or `*.example.com`)")]
    BadHost(String),
    #[error("task {task} has no network rule {id}")]
    NoRule { task: String, id: i64 },
    #[error("reading the policy files: {0}")]
    Policy(String),
}

/// (name, title, explanation, on by default)
const TOGGLES: &[(&str, &str, &str, bool)] = &[
    (
        "localhost",
        "Localhost",
        "The app the agent builds, on this machine (localhost, 127.0.0.1, ::1).",
        true,
    ),
    (
        "model-api",
        "Model API",
        "The agent's own model provider, so it can think (and your configured gateway).",
        true,
    ),
    (
        "packages",
        "Package registries",
        "Off unless this task changes packages: the registries your package managers are configured to use.",
        false,
    ),
    (
        "docs",
        "Documentation sites",
        "docs.rs, MDN, the Python, Node and Go docs and similar: reading documentation only.",
        false,
    ),
];

/// The task the app means: `task` if given, else the newest active one.
pub fn resolve_task(store: &Store, task: Option<&str>) -> Result<Task, NetworkViewError> {
    match task {
        Some(id) => Ok(task::get(store, id)?),
        None => task::newest_active(store)?.ok_or(NetworkViewError::NoActiveTask),
    }
}

fn payload(e: &audit::Event) -> serde_json::Value {
    serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null)
}

/// The task's settings, folded from its `network_settings.*` events.
pub fn settings(store: &Store, task: &str) -> Result<NetworkSettings, NetworkViewError> {
    let mut on: Vec<bool> = TOGGLES.iter().map(|t| t.3).collect();
    let mut rules: Vec<NetworkHostRule> = Vec::new();
    for e in audit::list(store, Some(task))? {
        let p = payload(&e);
        match e.kind.as_str() {
            KIND_PRESET => {
                let name = p["name"].as_str().unwrap_or_default();
                if let Some(i) = TOGGLES.iter().position(|t| t.0 == name) {
                    on[i] = p["on"].as_bool().unwrap_or(on[i]);
                }
            }
            KIND_RULE_ADD => {
                let verdict = match p["verdict"].as_str() {
                    Some("allow") => HostRuleVerdict::Allow,
                    Some("deny") => HostRuleVerdict::Deny,
                    _ => continue,
                };
                if let Some(host) = p["host"].as_str() {
                    rules.push(NetworkHostRule {
                        id: e.id,
                        host: host.to_string(),
                        verdict,
                        added_at: e.at.clone(),
                    });
                }
            }
            KIND_RULE_REMOVE => {
                if let Some(id) = p["rule"].as_i64() {
                    rules.retain(|r| r.id != id);
                }
            }
            _ => {}
        }
    }
    let mut presets = vec![NetworkPreset {
        name: "default-deny".into(),
        title: "Default deny list".into(),
        explanation: format!(
            "Paste sites, anonymous file drops, request catchers and tunnels ({} domains): always blocked.",
            presets::DEFAULT_DENY.len()
        ),
        on: true,
        locked: true,
    }];
    presets.extend(
        TOGGLES
            .iter()
            .zip(on)
            .map(|(&(name, title, explanation, _), on)| NetworkPreset {
                name: name.into(),
                title: title.into(),
                explanation: explanation.into(),
                on,
                locked: false,
            }),
    );
    Ok(NetworkSettings {
        task: task.to_string(),
        presets,
        rules,
    })
}

/// Turn a preset on or off for `task` (logged as the person's change).
pub fn set_preset(
    store: &mut Store,
    task: &str,
    name: &str,
    on: bool,
) -> Result<NetworkSettings, NetworkViewError> {
    if name == "default-deny" {
        return Err(NetworkViewError::LockedPreset);
    }
    if !TOGGLES.iter().any(|t| t.0 == name) {
        return Err(NetworkViewError::UnknownPreset(name.to_string()));
    }
    task::get(store, task)?;
    let reason = format!(
        "network preset {name} turned {}",
        if on { "on" } else { "off" }
    );
    audit::record(
        store,
        NewEvent::new(KIND_PRESET, Actor::User, reason)
            .task(task)
            .payload(serde_json::json!({"name": name, "on": on})),
    )?;
    settings(store, task)
}

/// A host rule as the person typed it, checked and normalised.
pub fn parse_host(text: &str) -> Result<String, NetworkViewError> {
    let bad = || NetworkViewError::BadHost(text.to_string());
    let host = normalize_host(text);
    let bare = host.strip_prefix("*.").unwrap_or(&host);
    let ok = !bare.is_empty()
        && bare.len() <= 253
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        && !bare.starts_with('.')
        && !bare.ends_with('.')
        && !bare.contains("..");
    if !ok {
        return Err(bad());
    }
    Ok(HostPattern::parse(&host).text())
}

/// Add `host` to the task's allow or deny list (logged as the person's change).
pub fn add_rule(
    store: &mut Store,
    task: &str,
    host: &str,
    verdict: HostRuleVerdict,
) -> Result<NetworkSettings, NetworkViewError> {
    let host = parse_host(host)?;
    task::get(store, task)?;
    let word = match verdict {
        HostRuleVerdict::Allow => "allow",
        HostRuleVerdict::Deny => "deny",
    };
    audit::record(
        store,
        NewEvent::new(
            KIND_RULE_ADD,
            Actor::User,
            format!("network rule added: {word} {host}"),
        )
        .task(task)
        .payload(serde_json::json!({"host": host, "verdict": word})),
    )?;
    settings(store, task)
}

/// Remove one of the task's host rules (logged as the person's change).
pub fn remove_rule(
    store: &mut Store,
    task: &str,
    id: i64,
) -> Result<NetworkSettings, NetworkViewError> {
    let current = settings(store, task)?;
    let Some(rule) = current.rules.iter().find(|r| r.id == id) else {
        return Err(NetworkViewError::NoRule {
            task: task.to_string(),
            id,
        });
    };
    audit::record(
        store,
        NewEvent::new(
            KIND_RULE_REMOVE,
            Actor::User,
            format!("network rule removed: {}", rule.host),
        )
        .task(task)
        .payload(serde_json::json!({"rule": id, "host": rule.host})),
    )?;
    settings(store, task)
}

/// The preset choice the settings make, for `agent`.
pub fn choice(settings: &NetworkSettings, agent: &str) -> PresetChoice {
    let is_on = |n: &str| settings.presets.iter().any(|p| p.name == n && p.on);
    let hosts = |v: HostRuleVerdict| {
        settings
            .rules
            .iter()
            .filter(|r| r.verdict == v)
            .map(|r| r.host.clone())
            .collect()
    };
    PresetChoice {
        localhost: is_on("localhost"),
        model_api_for: is_on("model-api").then(|| agent.to_string()),
        packages: is_on("packages"),
        docs: is_on("docs"),
        extra_allow: hosts(HostRuleVerdict::Allow),
        extra_deny: hosts(HostRuleVerdict::Deny),
    }
}

/// The rules a task's proxy uses under its stored settings: the same
/// [`presets::build`] `paddock run` uses, with the policy files' domains.
pub fn task_rules(
    home: &PaddockHome,
    store: &Store,
    task: &Task,
) -> Result<NetworkRules, NetworkViewError> {
    let s = settings(store, &task.id)?;
    let choice = choice(&s, task.agent.as_str());
    let repo = PathBuf::from(&task.repo);
    let policy =
        Policy::load(Some(&repo), home).map_err(|e| NetworkViewError::Policy(e.to_string()))?;
    let found = if choice.packages {
        registries::discover(&Sources::from_machine(Some(repo)))
    } else {
        Vec::new()
    };
    let env = |k: &str| std::env::var(k).ok();
    Ok(presets::build(&choice, &policy, &found, &env))
}

/// `host`, `port` of a proxied URL (`http://h:p/…`, `h:p` for CONNECT).
fn host_port(url: &str) -> (String, u16) {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => ("", url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let default = if scheme.eq_ignore_ascii_case("http") {
        80
    } else {
        443
    };
    if let Some(v6) = authority.strip_prefix('[') {
        let (h, tail) = v6.split_once(']').unwrap_or((v6, ""));
        let port = tail
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(default);
        return (h.to_string(), port);
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => match p.parse() {
            Ok(port) => (h.to_string(), port),
            Err(_) => (authority.to_string(), default),
        },
        None => (authority.to_string(), default),
    }
}

/// The task's connections, newest first: the proxy's allow and deny events,
/// and the requests that wait for a person now.
pub fn connections(store: &Store, task: &str) -> Result<Vec<NetworkConnection>, NetworkViewError> {
    let mut out: Vec<NetworkConnection> = Vec::new();
    let now = time::OffsetDateTime::now_utc();
    let parse = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
    };
    for a in approvals::list_pending(store)?.into_iter().rev() {
        if a.task.as_deref() != Some(task) {
            continue;
        }
        let Action::Fetch { url } = &a.action else {
            continue;
        };
        let (host, port) = host_port(url);
        let secs_left = a
            .deadline
            .as_deref()
            .and_then(parse)
            .map(|t| (t - now).whole_seconds().max(0));
        out.push(NetworkConnection {
            key: format!("approval:{}", a.id),
            host,
            port,
            method: None,
            verdict: ConnectionVerdict::Waiting,
            rule: a.rule.clone(),
            reason: a.reason.clone(),
            at: a.created_at.clone(),
            approval: Some(a.id),
            secs_left,
        });
    }
    let mut decided = Vec::new();
    for e in audit::list(store, Some(task))?.into_iter().rev() {
        let verdict = match e.kind.as_str() {
            "network.allow" => ConnectionVerdict::Allowed,
            "network.deny" => ConnectionVerdict::Blocked,
            _ => continue,
        };
        let p = payload(&e);
        decided.push(NetworkConnection {
            key: format!("event:{}", e.id),
            host: p["host"].as_str().unwrap_or_default().to_string(),
            port: p["port"]
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .unwrap_or(0),
            method: p["method"].as_str().map(str::to_string),
            verdict,
            rule: p["rule"].as_str().unwrap_or_default().to_string(),
            reason: e.reason.clone(),
            at: e.at.clone(),
            approval: None,
            secs_left: None,
        });
        if decided.len() + out.len() >= MAX_CONNECTIONS {
            break;
        }
    }
    out.extend(decided);
    Ok(out)
}

/// One line for the checklist's Network step, measured for `task`.
pub fn summary(store: &Store, task: &str) -> Result<(String, usize), NetworkViewError> {
    let s = settings(store, task)?;
    let allow = s
        .rules
        .iter()
        .filter(|r| r.verdict == HostRuleVerdict::Allow)
        .count();
    let deny = s.rules.len() - allow;
    let on: Vec<&str> = s
        .presets
        .iter()
        .filter(|p| p.on)
        .map(|p| p.name.as_str())
        .collect();
    let conns = connections(store, task)?;
    let blocked = conns
        .iter()
        .filter(|c| c.verdict == ConnectionVerdict::Blocked)
        .count();
    let waiting = conns
        .iter()
        .filter(|c| c.verdict == ConnectionVerdict::Waiting)
        .count();
    let mut text = format!(
        "Task {task}: your rules {allow} allow, {deny} deny; presets on: {}; {blocked} connection{} blocked",
        on.join(", "),
        if blocked == 1 { "" } else { "s" }
    );
    if waiting > 0 {
        text.push_str(&format!(", {waiting} waiting for you"));
    }
    text.push('.');
    Ok((text, waiting))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("p.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn host_rules_are_normalised_and_nonsense_is_refused() {
        assert_eq!(parse_host(" Blocked.TEST. ").unwrap(), "blocked.test");
        assert_eq!(parse_host("*.example.com").unwrap(), "*.example.com");
        for bad in ["", "a b", "http://x.com/", "x..com", "*", "a/b"] {
            assert!(parse_host(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn proxied_urls_give_their_host_and_port() {
        assert_eq!(
            host_port("http://unknown.test:8080/x"),
            ("unknown.test".into(), 8080)
        );
        assert_eq!(host_port("http://a.test/x"), ("a.test".into(), 80));
        assert_eq!(host_port("a.test:443"), ("a.test".into(), 443));
        assert_eq!(host_port("https://[::1]:9/"), ("::1".into(), 9));
    }

    #[test]
    fn settings_of_an_unknown_task_are_the_defaults() {
        let (_d, s) = store();
        let st = settings(&s, "nope").unwrap();
        let on: Vec<_> = st
            .presets
            .iter()
            .filter(|p| p.on)
            .map(|p| &p.name)
            .collect();
        assert_eq!(on, ["default-deny", "localhost", "model-api"]);
        assert!(st.rules.is_empty());
        let packages = st.presets.iter().find(|p| p.name == "packages").unwrap();
        assert!(packages
            .explanation
            .starts_with("Off unless this task changes packages"));
    }

    #[test]
    fn the_default_deny_preset_cannot_be_turned_off() {
        let (_d, mut s) = store();
        assert!(matches!(
            set_preset(&mut s, "t", "default-deny", false),
            Err(NetworkViewError::LockedPreset)
        ));
    }
}
