//! Claude Code: `.claude/settings.json` in the task's worktree, with every
//! hook event Paddock needs (matcher `*`), permission rules that mirror the
//! policy's hard denies, and Claude Code's own sandbox switched on.
//!
//! An existing settings file is merged: the person's own hooks, permissions
//! and keys stay; Paddock's earlier entries are replaced; the old file is
//! copied to `$PADDOCK_HOME/agents/<task>/backups/` first.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::{backup, hook_command, hook_timeout_secs, quote_for_shell, write_atomic, AgentKind};
use super::{SetupError, SetupReport, CLAUDE_ONLY_HOOK_EVENTS, HOOK_EVENTS};
use crate::task::Task;
use crate::PaddockHome;

/// Permission rules that mirror the policy's hard denies for reads of secrets,
/// and keep the agent away from its own configuration.
pub const DENY_RULES: &[&str] = &[
    "Read(./.env)",
    "Read(./.env.*)",
    "Read(**/.env)",
    "Read(**/.env.*)",
    "Read(~/.ssh/**)",
    "Read(~/.aws/**)",
    "Read(~/.gnupg/**)",
    "Read(~/.config/gh/**)",
    "Read(~/.netrc)",
    "Read(~/.docker/config.json)",
    "Read(~/.kube/**)",
    "Edit(./.claude/**)",
    "Write(./.claude/**)",
];

/// Is this hook handler one Paddock wrote?
fn is_paddock_handler(h: &Value) -> bool {
    h.get("command").and_then(Value::as_str).is_some_and(|c| {
        c.contains(" hook --") && c.contains(" --task ") && c.contains("--agent claude")
    })
}

/// Where the settings live in a worktree.
pub fn settings_path(worktree: &Path) -> PathBuf {
    worktree.join(".claude").join("settings.json")
}

/// Do the worktree's Claude Code settings send PreToolUse to `paddock hook`
/// for this task? Measured from the file `setup` writes; a missing or
/// unreadable file is "not wired".
pub fn is_wired(worktree: &Path, task: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(settings_path(worktree)) else {
        return false;
    };
    let Ok(settings) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let task_arg = format!(" --task {} ", quote_for_shell(task));
    settings["hooks"]["PreToolUse"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("hooks").and_then(Value::as_array))
        .flatten()
        .any(|h| {
            is_paddock_handler(h)
                && h.get("command")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.contains(&task_arg))
        })
}

/// Merge Paddock's hooks, permissions and sandbox into `settings` (an object).
pub fn merge_settings(settings: &mut Map<String, Value>, command: &str, timeout: u64) {
    let hooks = settings
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()));
    if !hooks.is_object() {
        *hooks = Value::Object(Map::new());
    }
    let hooks = hooks.as_object_mut().expect("just made an object");
    for event in HOOK_EVENTS.iter().chain(CLAUDE_ONLY_HOOK_EVENTS.iter()) {
        let groups = hooks
            .entry(*event)
            .or_insert_with(|| Value::Array(Vec::new()));
        if !groups.is_array() {
            *groups = Value::Array(Vec::new());
        }
        let groups = groups.as_array_mut().expect("just made an array");
        // Drop Paddock's earlier handlers; keep everything else the person wrote.
        for g in groups.iter_mut() {
            if let Some(hs) = g.get_mut("hooks").and_then(Value::as_array_mut) {
                hs.retain(|h| !is_paddock_handler(h));
            }
        }
        groups.retain(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|hs| !hs.is_empty())
        });
        let handler = json!({"type": "command", "command": command, "timeout": timeout});
        let group = match *event {
            "UserPromptSubmit" | "Stop" => json!({"hooks": [handler]}),
            _ => json!({"matcher": "*", "hooks": [handler]}),
        };
        groups.push(group);
    }

    let perms = settings
        .entry("permissions")
        .or_insert_with(|| Value::Object(Map::new()));
    if !perms.is_object() {
        *perms = Value::Object(Map::new());
    }
    let perms = perms.as_object_mut().expect("just made an object");
    let deny = perms
        .entry("deny")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !deny.is_array() {
        *deny = Value::Array(Vec::new());
    }
    let deny = deny.as_array_mut().expect("just made an array");
    for rule in DENY_RULES {
        if !deny.iter().any(|d| d.as_str() == Some(rule)) {
            deny.push(Value::String((*rule).to_string()));
        }
    }
    // Bypass modes would skip Claude Code's own permission rules (Paddock's
    // hooks still run, but one fence is better than none less).
    perms.insert(
        "disableBypassPermissionsMode".into(),
        Value::String("disable".into()),
    );

    let sandbox = settings
        .entry("sandbox")
        .or_insert_with(|| Value::Object(Map::new()));
    if !sandbox.is_object() {
        *sandbox = Value::Object(Map::new());
    }
    let sandbox = sandbox.as_object_mut().expect("just made an object");
    sandbox.insert("enabled".into(), Value::Bool(true));
    // Paddock decides every command itself; the sandbox must not auto-allow.
    sandbox.insert("autoAllowBashIfSandboxed".into(), Value::Bool(false));
}

/// Claude Code's OpenTelemetry settings: events as OTLP/JSON logs to Paddock's
/// receiver for this task. Metrics stay off (Paddock keeps events only);
/// `OTEL_LOG_USER_PROMPTS` is left unset, so prompts arrive as `<REDACTED>`.
/// A short export interval lets a `-p` run's events out before it exits.
pub const TELEMETRY_ENV: &[(&str, &str)] = &[
    ("CLAUDE_CODE_ENABLE_TELEMETRY", "1"),
    ("OTEL_LOGS_EXPORTER", "otlp"),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ("OTEL_METRICS_EXPORTER", "none"),
    ("OTEL_LOGS_EXPORT_INTERVAL", "1000"),
];

/// Point Claude Code's telemetry at `endpoint` (the task's OTLP base URL;
/// its exporter appends `/v1/logs`). Other `env` keys stay.
pub fn merge_telemetry_env(settings: &mut Map<String, Value>, endpoint: &str) {
    let env = settings
        .entry("env")
        .or_insert_with(|| Value::Object(Map::new()));
    if !env.is_object() {
        *env = Value::Object(Map::new());
    }
    let env = env.as_object_mut().expect("just made an object");
    for (k, v) in TELEMETRY_ENV {
        env.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    env.insert(
        "OTEL_EXPORTER_OTLP_ENDPOINT".into(),
        Value::String(endpoint.to_string()),
    );
}

/// Write the task's Claude Code settings. `paddock` is the absolute path of
/// the `paddock` binary the hooks run.
pub fn setup(
    home: &PaddockHome,
    task: &Task,
    paddock: &Path,
    approval_timeout_secs: u64,
) -> Result<SetupReport, SetupError> {
    let worktree = PathBuf::from(&task.worktree);
    if !worktree.is_dir() {
        return Err(SetupError::NoWorktree {
            task: task.id.clone(),
            path: worktree,
        });
    }
    let path = settings_path(&worktree);
    let mut settings = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => Map::new(),
        Ok(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(SetupError::Malformed {
                    path,
                    format: "JSON",
                    detail: "not a JSON object".into(),
                })
            }
            Err(e) => {
                return Err(SetupError::Malformed {
                    path,
                    format: "JSON",
                    detail: e.to_string(),
                })
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => {
            return Err(SetupError::Io {
                doing: "read",
                path,
                source: e,
            })
        }
    };
    let backups_dir = home.root().join("agents").join(&task.id).join("backups");
    let backup = backup(&path, &backups_dir)?;
    let command = hook_command(
        paddock,
        home.root(),
        &task.id,
        AgentKind::Claude,
        approval_timeout_secs,
    );
    merge_settings(
        &mut settings,
        &command,
        hook_timeout_secs(approval_timeout_secs),
    );
    let endpoint =
        crate::otel_receiver::task_endpoint(crate::otel_receiver::configured_port()?, &task.id);
    merge_telemetry_env(&mut settings, &endpoint);
    let text = serde_json::to_string_pretty(&Value::Object(settings)).map_err(|e| {
        SetupError::Malformed {
            path: path.clone(),
            format: "JSON",
            detail: e.to_string(),
        }
    })?;
    write_atomic(&path, &format!("{text}\n"))?;

    let mut notes = vec![super::telemetry_note(&endpoint)];
    if which("bwrap").is_none() || which("socat").is_none() {
        notes.push(
            "Claude Code's own sandbox needs bwrap and socat; without them it runs commands unsandboxed (Paddock's hooks still decide every call)"
                .to_string(),
        );
    }
    Ok(SetupReport {
        agent: "claude".into(),
        task: task.id.clone(),
        written: vec![path],
        backups: backup.into_iter().collect(),
        start_command: format!(
            "cd {} && claude {}",
            quote_for_shell(&task.worktree),
            quote_for_shell(&task.goal)
        ),
        notes,
    })
}

/// The first `name` on PATH.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_the_persons_hooks_and_replaces_paddocks() {
        let mut s: Map<String, Value> = serde_json::from_value(json!({
            "model": "opus",
            "hooks": {"PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter"}]},
                {"matcher": "*", "hooks": [{"type": "command", "command": "/old/paddock hook --task t1 --agent claude"}]}
            ]},
            "permissions": {"deny": ["Bash(rm:*)"], "allow": ["Bash(ls:*)"]}
        }))
        .unwrap();
        merge_settings(&mut s, "/new/paddock hook --task t1 --agent claude", 180);
        merge_settings(&mut s, "/new/paddock hook --task t1 --agent claude", 180);
        let pre = s["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre.len(), 2, "{pre:?}");
        assert_eq!(pre[0]["hooks"][0]["command"], "my-linter");
        assert_eq!(pre[1]["matcher"], "*");
        assert!(pre[1]["hooks"][0]["command"]
            .as_str()
            .unwrap()
            .starts_with("/new/paddock"));
        assert_eq!(s["model"], "opus");
        let deny = s["permissions"]["deny"].as_array().unwrap();
        assert!(deny.contains(&json!("Bash(rm:*)")));
        assert!(deny.contains(&json!("Read(./.env)")));
        assert_eq!(
            deny.iter().filter(|d| **d == json!("Read(./.env)")).count(),
            1
        );
        assert_eq!(s["sandbox"]["enabled"], true);
        assert!(s["hooks"]["Stop"][0].get("matcher").is_none());
    }

    #[test]
    fn telemetry_points_at_the_task_and_keeps_the_persons_env() {
        let mut s: Map<String, Value> = serde_json::from_value(json!({
            "env": {"FOO": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://elsewhere:4318"}
        }))
        .unwrap();
        merge_telemetry_env(&mut s, "http://127.0.0.1:4327/tasks/t1");
        assert_eq!(s["env"]["FOO"], "1");
        assert_eq!(
            s["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"],
            "http://127.0.0.1:4327/tasks/t1"
        );
        assert_eq!(s["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"], "1");
        assert_eq!(s["env"]["OTEL_LOGS_EXPORTER"], "otlp");
        assert!(s["env"].get("OTEL_LOG_USER_PROMPTS").is_none());
    }
}
