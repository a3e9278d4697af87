//! Codex: a per-task `CODEX_HOME` (`$PADDOCK_HOME/agents/<task>/codex`) whose
//! `config.toml` registers `paddock hook` for every event, **trusts** those
//! hooks (Codex silently skips hooks it does not trust), and runs commands in
//! the `workspace-write` sandbox with /tmp and $TMPDIR excluded.
//!
//! The person's own `~/.codex/config.toml` (or `$CODEX_HOME/config.toml`) is
//! the starting point, so their provider, model and own hooks carry over; the
//! hooks they had trusted stay trusted. A per-task config written before is
//! backed up, then merged again.
//!
//! # Trust
//! Codex keeps trust in the user config: `[hooks.state."<key>"] trusted_hash`.
//! - key = `<realpath of config.toml>:<event_label>:<group index>:<handler index>`
//! - hash = `sha256:` + hex SHA-256 of the compact, key-sorted JSON
//!   `{"event_name", "hooks":[{"async","command","timeout","type"}], "matcher"?}`
//!   (see AGENTS.md; checked against `codex app-server` `hooks/list`).

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use toml::{Table, Value};

use super::{backup, hook_command, hook_timeout_secs, quote_for_shell, write_atomic, AgentKind};
use super::{io_err, SetupError, SetupReport, HOOK_EVENTS};
use crate::task::Task;
use crate::PaddockHome;

/// Codex's snake_case label of a hook event.
pub fn event_label(event: &str) -> String {
    let mut out = String::new();
    for (i, c) in event.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Events whose groups carry no matcher.
fn has_matcher(event: &str) -> bool {
    !matches!(event, "UserPromptSubmit" | "Stop")
}

/// Events that can add context for the model (and so know `additionalContextLimit`).
fn can_emit_context(event: &str) -> bool {
    matches!(
        event,
        "UserPromptSubmit" | "PostToolUse" | "SessionStart" | "PreToolUse"
    )
}

/// Serialize compactly with keys sorted at every level (serde_json escaping).
pub fn canonical_json(v: &Json) -> String {
    match v {
        Json::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap_or_default(),
                        canonical_json(&m[k])
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Json::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical_json).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// The trust hash of one handler in one group, as Codex computes it.
pub fn trusted_hash(event: &str, matcher: Option<&str>, handler: &Table) -> String {
    let label = event_label(event);
    let mut h = serde_json::Map::new();
    h.insert(
        "async".into(),
        Json::Bool(
            handler
                .get("async")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
    );
    h.insert(
        "command".into(),
        Json::String(
            handler
                .get("command")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        ),
    );
    let timeout = handler
        .get("timeout")
        .and_then(Value::as_integer)
        .unwrap_or(600)
        .max(1);
    h.insert("timeout".into(), Json::from(timeout));
    h.insert(
        "type".into(),
        Json::String(
            handler
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("command")
                .to_string(),
        ),
    );
    if let Some(s) = handler.get("statusMessage").and_then(Value::as_str) {
        h.insert("statusMessage".into(), Json::String(s.to_string()));
    }
    if can_emit_context(event) {
        if let Some(l) = handler
            .get("additionalContextLimit")
            .and_then(Value::as_integer)
        {
            if l != 2500 {
                h.insert("additionalContextLimit".into(), Json::from(l));
            }
        }
    }
    let mut identity = serde_json::Map::new();
    identity.insert("event_name".into(), Json::String(label));
    identity.insert("hooks".into(), Json::Array(vec![Json::Object(h)]));
    if has_matcher(event) {
        if let Some(m) = matcher {
            identity.insert("matcher".into(), Json::String(m.to_string()));
        }
    }
    let text = canonical_json(&Json::Object(identity));
    format!("sha256:{}", hex::encode(Sha256::digest(text.as_bytes())))
}

/// The trust key of one handler.
pub fn trust_key(config_realpath: &Path, event: &str, group: usize, handler: usize) -> String {
    format!(
        "{}:{}:{group}:{handler}",
        config_realpath.display(),
        event_label(event)
    )
}

/// Every handler in `config`'s hooks: (event, group, handler, key-less hash).
fn handlers(config: &Table) -> Vec<(String, usize, usize, String)> {
    let mut out = Vec::new();
    let Some(hooks) = config.get("hooks").and_then(Value::as_table) else {
        return out;
    };
    for (event, groups) in hooks {
        if event == "state" {
            continue;
        }
        let Some(groups) = groups.as_array() else {
            continue;
        };
        for (g, group) in groups.iter().enumerate() {
            let matcher = group.get("matcher").and_then(Value::as_str);
            let Some(hs) = group.get("hooks").and_then(Value::as_array) else {
                continue;
            };
            for (h, handler) in hs.iter().enumerate() {
                if let Some(t) = handler.as_table() {
                    out.push((event.clone(), g, h, trusted_hash(event, matcher, t)));
                }
            }
        }
    }
    out
}

fn is_paddock_handler(h: &Value) -> bool {
    h.get("command").and_then(Value::as_str).is_some_and(|c| {
        c.contains(" hook --") && c.contains(" --task ") && c.contains("--agent codex")
    })
}

fn table_mut<'a>(t: &'a mut Table, key: &str) -> &'a mut Table {
    let v = t
        .entry(key.to_string())
        .or_insert_with(|| Value::Table(Table::new()));
    if !v.is_table() {
        *v = Value::Table(Table::new());
    }
    v.as_table_mut().expect("just made a table")
}

/// Merge Paddock's settings and hooks into `config` (written at `config_path`,
/// a real path), keeping trust for handlers the person had trusted in
/// `trusted_from` (their own config and its real path).
pub fn merge_config(
    config: &mut Table,
    config_path: &Path,
    trusted_from: Option<(&Table, &Path)>,
    command: &str,
    timeout: u64,
) {
    // Which of the person's handlers were trusted where they came from.
    let previously_trusted: Vec<(String, usize, usize, String)> = match trusted_from {
        Some((orig, orig_path)) => {
            let state = orig
                .get("hooks")
                .and_then(|h| h.get("state"))
                .and_then(Value::as_table);
            handlers(orig)
                .into_iter()
                .filter(|(event, g, h, hash)| {
                    state
                        .and_then(|s| s.get(&trust_key(orig_path, event, *g, *h)))
                        .and_then(|e| e.get("trusted_hash"))
                        .and_then(Value::as_str)
                        == Some(hash.as_str())
                })
                .collect()
        }
        None => Vec::new(),
    };

    config.insert(
        "sandbox_mode".into(),
        Value::String("workspace-write".into()),
    );
    let sww = table_mut(config, "sandbox_workspace_write");
    sww.insert("exclude_slash_tmp".into(), Value::Boolean(true));
    sww.insert("exclude_tmpdir_env_var".into(), Value::Boolean(true));
    sww.entry("network_access".to_string())
        .or_insert(Value::Boolean(false));

    let hooks = table_mut(config, "hooks");
    for event in HOOK_EVENTS {
        let groups = hooks
            .entry(event.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if !groups.is_array() {
            *groups = Value::Array(Vec::new());
        }
        let groups = groups.as_array_mut().expect("just made an array");
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
        let mut handler = Table::new();
        handler.insert("type".into(), Value::String("command".into()));
        handler.insert("command".into(), Value::String(command.to_string()));
        handler.insert("timeout".into(), Value::Integer(timeout as i64));
        let mut group = Table::new();
        if has_matcher(event) {
            // Codex reports its shell as "Bash"; it is the tool its hooks see.
            group.insert("matcher".into(), Value::String("Bash".into()));
        }
        group.insert("hooks".into(), Value::Array(vec![Value::Table(handler)]));
        groups.push(Value::Table(group));
    }

    // Trust: Paddock's handlers, and the person's that were trusted before.
    // Stale entries for this file are dropped (indexes may have moved).
    let prefix = format!("{}:", config_path.display());
    let all = handlers(config);
    let hooks = table_mut(config, "hooks");
    let state = table_mut(hooks, "state");
    state.retain(|k, _| !k.starts_with(&prefix));
    let ours: Vec<&(String, usize, usize, String)> = all.iter().collect();
    for (event, g, h, hash) in ours {
        let group_is_paddocks = {
            // Paddock's group is always the last of its event.
            let count = all
                .iter()
                .filter(|(e, ..)| e == event)
                .map(|(_, g, ..)| *g)
                .max();
            Some(*g) == count
        };
        let was_trusted = previously_trusted
            .iter()
            .any(|(e, pg, ph, phash)| e == event && pg == g && ph == h && phash == hash);
        let mine = group_is_paddocks && HOOK_EVENTS.contains(&event.as_str()) && {
            let hs = trusted_hash(event, has_matcher(event).then_some("Bash"), &{
                let mut t = Table::new();
                t.insert("type".into(), Value::String("command".into()));
                t.insert("command".into(), Value::String(command.to_string()));
                t.insert("timeout".into(), Value::Integer(timeout as i64));
                t
            });
            &hs == hash
        };
        if mine || was_trusted {
            let mut entry = Table::new();
            entry.insert("trusted_hash".into(), Value::String(hash.clone()));
            state.insert(trust_key(config_path, event, *g, *h), Value::Table(entry));
        }
    }
}

/// Point Codex's OpenTelemetry at `endpoint` (the full `/v1/logs` URL):
/// `[otel] exporter = { otlp-http = { endpoint, protocol = "binary" } }`.
/// Prompts stay out (`log_user_prompt = false`); the person's other `[otel]`
/// keys stay.
pub fn merge_telemetry(config: &mut Table, endpoint: &str) {
    let otel = table_mut(config, "otel");
    otel.insert("log_user_prompt".into(), Value::Boolean(false));
    otel.entry("environment".to_string())
        .or_insert_with(|| Value::String("paddock".into()));
    let mut http = Table::new();
    http.insert("endpoint".into(), Value::String(endpoint.to_string()));
    http.insert("protocol".into(), Value::String("binary".into()));
    let mut exporter = Table::new();
    exporter.insert("otlp-http".into(), Value::Table(http));
    otel.insert("exporter".into(), Value::Table(exporter));
}

/// Does the task's CODEX_HOME send PreToolUse to `paddock hook` for this
/// task? Measured from the file `setup` writes; missing or unreadable is
/// "not wired".
pub fn is_wired(home: &PaddockHome, task: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(codex_home(home, task).join("config.toml")) else {
        return false;
    };
    let Ok(config) = text.parse::<Table>() else {
        return false;
    };
    let task_arg = format!(" --task {} ", quote_for_shell(task));
    config
        .get("hooks")
        .and_then(|h| h.get("PreToolUse"))
        .and_then(Value::as_array)
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

/// The per-task CODEX_HOME.
pub fn codex_home(home: &PaddockHome, task: &str) -> PathBuf {
    home.root().join("agents").join(task).join("codex")
}

fn read_toml(path: &Path) -> Result<Option<Table>, SetupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse::<Table>()
            .map(Some)
            .map_err(|e| SetupError::Malformed {
                path: path.to_path_buf(),
                format: "TOML",
                detail: e.to_string().lines().next().unwrap_or("").to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SetupError::Io {
            doing: "read",
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// The person's own Codex home: `$CODEX_HOME`, else `<user_home>/.codex`.
pub fn user_codex_home(user_home: &Path) -> PathBuf {
    match std::env::var_os("CODEX_HOME") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => user_home.join(".codex"),
    }
}

/// Write the task's CODEX_HOME. `paddock` is the absolute path of the
/// binary the hooks run; `user_home` is where the person's `.codex` lives.
pub fn setup(
    home: &PaddockHome,
    task: &Task,
    paddock: &Path,
    approval_timeout_secs: u64,
    user_home: &Path,
) -> Result<SetupReport, SetupError> {
    let worktree = PathBuf::from(&task.worktree);
    if !worktree.is_dir() {
        return Err(SetupError::NoWorktree {
            task: task.id.clone(),
            path: worktree,
        });
    }
    let dir = codex_home(home, &task.id);
    std::fs::create_dir_all(&dir).map_err(io_err("create", &dir))?;
    let dir = std::fs::canonicalize(&dir).map_err(io_err("resolve", &dir))?;
    let path = dir.join("config.toml");
    let backups_dir = home.root().join("agents").join(&task.id).join("backups");

    let user_dir = user_codex_home(user_home);
    let user_path = user_dir.join("config.toml");
    let user_config = if std::fs::canonicalize(&user_dir).ok() == Some(dir.clone()) {
        None
    } else {
        read_toml(&user_path)?
    };
    let user_real = std::fs::canonicalize(&user_path).unwrap_or(user_path.clone());

    let existing = read_toml(&path)?;
    let mut backups = Vec::new();
    if let Some(b) = backup(&path, &backups_dir)? {
        backups.push(b);
    }
    let mut config = match (&existing, &user_config) {
        (Some(e), _) => e.clone(),
        (None, Some(u)) => {
            let mut c = u.clone();
            // Trust entries name the person's file; they are recomputed below.
            if let Some(h) = c.get_mut("hooks").and_then(Value::as_table_mut) {
                h.remove("state");
            }
            c
        }
        (None, None) => Table::new(),
    };
    let command = hook_command(
        paddock,
        home.root(),
        &task.id,
        AgentKind::Codex,
        approval_timeout_secs,
    );
    let trusted_from = match (&existing, &user_config) {
        (Some(e), _) => Some((e, path.as_path())),
        (None, Some(u)) => Some((u, user_real.as_path())),
        (None, None) => None,
    };
    let trusted_from_owned = trusted_from.map(|(t, p)| (t.clone(), p.to_path_buf()));
    merge_config(
        &mut config,
        &path,
        trusted_from_owned.as_ref().map(|(t, p)| (t, p.as_path())),
        &command,
        hook_timeout_secs(approval_timeout_secs),
    );
    let endpoint =
        crate::otel_receiver::task_endpoint(crate::otel_receiver::configured_port()?, &task.id);
    merge_telemetry(&mut config, &format!("{endpoint}/v1/logs"));
    let text = toml::to_string(&config).map_err(|e| SetupError::Malformed {
        path: path.clone(),
        format: "TOML",
        detail: e.to_string(),
    })?;
    let header = format!(
        "# Written by Paddock for task {} ({}). Paddock's hooks and sandbox settings\n\
         # are rewritten by `paddock agent setup codex --task {}`; other keys are kept.\n",
        task.id, task.goal, task.id
    );
    write_atomic(&path, &format!("{header}{text}"))?;

    let mut notes = vec![super::telemetry_note(&endpoint)];
    // The person's login, by reference (never copied).
    let auth = user_dir.join("auth.json");
    let link = dir.join("auth.json");
    if auth.is_file() && !link.exists() {
        #[cfg(unix)]
        if std::os::unix::fs::symlink(&auth, &link).is_ok() {
            notes.push(format!("linked your Codex login {}", auth.display()));
        }
    }
    let tmpdir = std::env::temp_dir();
    let tmpdir = std::fs::canonicalize(&tmpdir).unwrap_or(tmpdir);
    if dir.starts_with(&tmpdir) {
        notes.push(format!(
            "CODEX_HOME {} lies inside TMPDIR {}: Codex's sandbox helper cannot start there; set PADDOCK_HOME elsewhere",
            dir.display(),
            tmpdir.display()
        ));
    }
    Ok(SetupReport {
        agent: "codex".into(),
        task: task.id.clone(),
        written: vec![path],
        backups,
        start_command: format!(
            "CODEX_HOME={} codex exec -s workspace-write -C {} {}",
            quote_for_shell(&dir.to_string_lossy()),
            quote_for_shell(&task.worktree),
            quote_for_shell(&task.goal)
        ),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_labels_are_snake_case() {
        assert_eq!(event_label("PreToolUse"), "pre_tool_use");
        assert_eq!(event_label("PermissionRequest"), "permission_request");
        assert_eq!(event_label("Stop"), "stop");
    }

    #[test]
    fn the_trust_hash_is_sha256_of_the_sorted_compact_identity() {
        let mut h = Table::new();
        h.insert("type".into(), Value::String("command".into()));
        h.insert("command".into(), Value::String("/bin/paddock hook".into()));
        let expected_json = r#"{"event_name":"pre_tool_use","hooks":[{"async":false,"command":"/bin/paddock hook","timeout":600,"type":"command"}],"matcher":"Bash"}"#;
        let expected = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(expected_json.as_bytes()))
        );
        assert_eq!(trusted_hash("PreToolUse", Some("Bash"), &h), expected);
        // No matcher for stop, even if one is written.
        let stop_json = r#"{"event_name":"stop","hooks":[{"async":false,"command":"/bin/paddock hook","timeout":600,"type":"command"}]}"#;
        assert_eq!(
            trusted_hash("Stop", Some("x"), &h),
            format!(
                "sha256:{}",
                hex::encode(Sha256::digest(stop_json.as_bytes()))
            )
        );
    }

    #[test]
    fn merged_config_trusts_paddocks_hooks_and_keeps_the_persons_trusted_ones() {
        let user_path = Path::new("/home/u/.codex/config.toml");
        let mut user: Table = r#"
model = "gpt-5"
[[hooks.PreToolUse]]
matcher = "Bash"
[[hooks.PreToolUse.hooks]]
type = "command"
command = "my-check"
"#
        .parse()
        .unwrap();
        let mut h = Table::new();
        h.insert("type".into(), Value::String("command".into()));
        h.insert("command".into(), Value::String("my-check".into()));
        let hash = trusted_hash("PreToolUse", Some("Bash"), &h);
        let state = table_mut(table_mut(&mut user, "hooks"), "state");
        let mut e = Table::new();
        e.insert("trusted_hash".into(), Value::String(hash.clone()));
        state.insert(trust_key(user_path, "PreToolUse", 0, 0), Value::Table(e));

        let task_path = Path::new("/p/agents/t/codex/config.toml");
        let mut cfg = user.clone();
        table_mut(&mut cfg, "hooks").remove("state");
        merge_config(
            &mut cfg,
            task_path,
            Some((&user, user_path)),
            "/bin/paddock hook --task t --agent codex",
            180,
        );
        assert_eq!(cfg["model"].as_str(), Some("gpt-5"));
        assert_eq!(cfg["sandbox_mode"].as_str(), Some("workspace-write"));
        let state = cfg["hooks"]["state"].as_table().unwrap();
        assert_eq!(
            state[&trust_key(task_path, "PreToolUse", 0, 0)]["trusted_hash"].as_str(),
            Some(hash.as_str())
        );
        assert!(state.contains_key(&trust_key(task_path, "PreToolUse", 1, 0)));
        assert!(state.contains_key(&trust_key(task_path, "Stop", 0, 0)));
        assert_eq!(state.len(), 6);
        // Merging again changes nothing.
        let before = toml::to_string(&cfg).unwrap();
        let again_from = cfg.clone();
        merge_config(
            &mut cfg,
            task_path,
            Some((&again_from, task_path)),
            "/bin/paddock hook --task t --agent codex",
            180,
        );
        assert_eq!(toml::to_string(&cfg).unwrap(), before);
    }
}
