//! `paddock agent setup claude|codex --task T`: the agents' own configuration
//! is written so every tool call passes through `paddock hook`, an existing
//! configuration is merged and backed up, and Codex's trust hashes are the
//! ones Codex itself computes (checked with `codex app-server` when the real
//! Codex is installed under target/agents).

mod common;

use std::path::PathBuf;

use common::{stderr, stdout, World};
use sha2::{Digest, Sha256};

fn paddock_exe() -> PathBuf {
    std::fs::canonicalize(env!("CARGO_BIN_EXE_paddock")).unwrap()
}

fn setup(w: &World, agent: &str, task: &str) -> serde_json::Value {
    let o = w.paddock(&[
        "agent",
        "setup",
        agent,
        "--task",
        task,
        "--timeout-secs",
        "30",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn claude_settings_send_every_event_through_paddock() {
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "claude");
    let report = setup(&w, "claude", &t);
    let path = wt.join(".claude/settings.json");
    assert_eq!(report["written"][0], path.to_str().unwrap());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let expected = format!(
        "{} hook --home {} --task {t} --agent claude --timeout-secs 30",
        paddock_exe().display(),
        w.paddock_home().display()
    );
    for event in [
        "PreToolUse",
        "PermissionRequest",
        "PostToolUse",
        "PostToolUseFailure",
        "UserPromptSubmit",
        "Stop",
    ] {
        let groups = s["hooks"][event].as_array().unwrap();
        assert_eq!(groups.len(), 1, "{event}");
        let h = &groups[0]["hooks"][0];
        assert_eq!(h["command"], expected.as_str(), "{event}");
        assert!(
            h["timeout"].as_u64().unwrap() > 30,
            "the agent must outwait the approval"
        );
        if matches!(
            event,
            "PreToolUse" | "PermissionRequest" | "PostToolUse" | "PostToolUseFailure"
        ) {
            assert_eq!(groups[0]["matcher"], "*");
        }
    }
    let deny = s["permissions"]["deny"].as_array().unwrap();
    assert!(deny.contains(&serde_json::json!("Read(./.env)")));
    assert_eq!(s["sandbox"]["enabled"], true);
    let start = report["start_command"].as_str().unwrap();
    assert!(
        start.contains(wt.to_str().unwrap()) && start.contains("claude"),
        "{start}"
    );
    // The printed command is there for a person too.
    let o = w.paddock(&["agent", "setup", "claude", "--task", &t]);
    assert!(
        stdout(&o).contains("start the agent with:"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn existing_claude_settings_are_merged_and_backed_up() {
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "claude");
    let path = wt.join(".claude/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mine = r#"{"model": "opus", "env": {"FOO": "1"},
      "hooks": {"PostToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "prettier --write"}]}]},
      "permissions": {"allow": ["Bash(npm test:*)"], "deny": ["Bash(rm:*)"]}}"#;
    std::fs::write(&path, mine).unwrap();
    let report = setup(&w, "claude", &t);
    let backup = PathBuf::from(report["backups"][0].as_str().unwrap());
    assert!(backup.starts_with(w.paddock_home().join("agents").join(&t).join("backups")));
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), mine);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(s["model"], "opus");
    assert_eq!(s["env"]["FOO"], "1");
    let post = s["hooks"]["PostToolUse"].as_array().unwrap();
    assert_eq!(post.len(), 2);
    assert_eq!(post[0]["hooks"][0]["command"], "prettier --write");
    assert!(s["permissions"]["allow"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("Bash(npm test:*)")));
    assert!(s["permissions"]["deny"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("Bash(rm:*)")));
    // Running setup again replaces Paddock's entries instead of adding more.
    setup(&w, "claude", &t);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(s["hooks"]["PostToolUse"].as_array().unwrap().len(), 2);
    assert_eq!(s["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
}

#[test]
fn malformed_claude_settings_are_left_untouched() {
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "claude");
    let path = wt.join(".claude/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "{ oops").unwrap();
    let o = w.paddock(&["agent", "setup", "claude", "--task", &t]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ oops");
}

/// The trust hash exactly as AGENTS.md describes it, computed independently.
fn expected_hash(label: &str, command: &str, timeout: i64, matcher: Option<&str>) -> String {
    let m = match matcher {
        Some(m) => format!(r#","matcher":{}"#, serde_json::to_string(m).unwrap()),
        None => String::new(),
    };
    let json = format!(
        r#"{{"event_name":"{label}","hooks":[{{"async":false,"command":{},"timeout":{timeout},"type":"command"}}]{m}}}"#,
        serde_json::to_string(command).unwrap()
    );
    format!("sha256:{}", hex::encode(Sha256::digest(json.as_bytes())))
}

fn codex_config(w: &World, t: &str) -> (PathBuf, toml::Table) {
    let path = std::fs::canonicalize(w.paddock_home().join("agents").join(t).join("codex"))
        .unwrap()
        .join("config.toml");
    let table: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    (path, table)
}

#[test]
fn codex_gets_a_per_task_home_with_trusted_hooks_and_a_workspace_sandbox() {
    let w = World::new();
    let repo = w.repo("shop");
    let (t, _wt) = w.task(&repo, "codex");
    let report = setup(&w, "codex", &t);
    let (path, cfg) = codex_config(&w, &t);
    assert_eq!(report["written"][0], path.to_str().unwrap());
    assert!(report["start_command"]
        .as_str()
        .unwrap()
        .starts_with("CODEX_HOME="));
    assert_eq!(cfg["sandbox_mode"].as_str(), Some("workspace-write"));
    let sww = &cfg["sandbox_workspace_write"];
    assert_eq!(sww["exclude_slash_tmp"].as_bool(), Some(true));
    assert_eq!(sww["exclude_tmpdir_env_var"].as_bool(), Some(true));
    let command = format!(
        "{} hook --home {} --task {t} --agent codex --timeout-secs 30",
        paddock_exe().display(),
        w.paddock_home().display()
    );
    let state = cfg["hooks"]["state"].as_table().unwrap();
    for (event, label, matcher) in [
        ("PreToolUse", "pre_tool_use", Some("Bash")),
        ("PermissionRequest", "permission_request", Some("Bash")),
        ("PostToolUse", "post_tool_use", Some("Bash")),
        ("UserPromptSubmit", "user_prompt_submit", None),
        ("Stop", "stop", None),
    ] {
        let group = &cfg["hooks"][event].as_array().unwrap()[0];
        assert_eq!(group.get("matcher").and_then(|m| m.as_str()), matcher);
        let h = &group["hooks"].as_array().unwrap()[0];
        assert_eq!(h["command"].as_str(), Some(command.as_str()));
        let timeout = h["timeout"].as_integer().unwrap();
        let key = format!("{}:{label}:0:0", path.display());
        assert_eq!(
            state[&key]["trusted_hash"].as_str().unwrap(),
            expected_hash(label, &command, timeout, matcher),
            "{key}"
        );
    }
}

#[test]
fn the_users_codex_config_is_merged_and_a_previous_task_config_backed_up() {
    let w = World::new();
    let repo = w.repo("shop");
    let (t, _wt) = w.task(&repo, "codex");
    let user_dir = w.home().join(".codex");
    std::fs::create_dir_all(&user_dir).unwrap();
    let user_cfg = user_dir.join("config.toml");
    let user_real = std::fs::canonicalize(&user_dir)
        .unwrap()
        .join("config.toml");
    let hash = expected_hash("pre_tool_use", "my-audit", 600, Some("Bash"));
    std::fs::write(
        &user_cfg,
        format!(
            r#"model = "gpt-5-codex"
model_provider = "mine"
[model_providers.mine]
base_url = "http://127.0.0.1:9/v1"
[[hooks.PreToolUse]]
matcher = "Bash"
[[hooks.PreToolUse.hooks]]
type = "command"
command = "my-audit"
[hooks.state."{}:pre_tool_use:0:0"]
trusted_hash = "{hash}"
"#,
            user_real.display()
        ),
    )
    .unwrap();
    let before = std::fs::read_to_string(&user_cfg).unwrap();
    let report = setup(&w, "codex", &t);
    assert!(report["backups"].as_array().unwrap().is_empty());
    assert_eq!(
        std::fs::read_to_string(&user_cfg).unwrap(),
        before,
        "the user's file is untouched"
    );
    let (path, cfg) = codex_config(&w, &t);
    assert_eq!(cfg["model"].as_str(), Some("gpt-5-codex"));
    assert_eq!(
        cfg["model_providers"]["mine"]["base_url"].as_str(),
        Some("http://127.0.0.1:9/v1")
    );
    let pre = cfg["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!(pre.len(), 2);
    assert_eq!(pre[0]["hooks"][0]["command"].as_str(), Some("my-audit"));
    let state = cfg["hooks"]["state"].as_table().unwrap();
    // The user's trusted hook stays trusted at its new place; no stale keys.
    assert_eq!(
        state[&format!("{}:pre_tool_use:0:0", path.display())]["trusted_hash"].as_str(),
        Some(hash.as_str())
    );
    assert!(state.contains_key(&format!("{}:pre_tool_use:1:0", path.display())));
    assert!(state.keys().all(|k| k.starts_with(path.to_str().unwrap())));

    // A second setup backs up the per-task file and keeps a key added to it.
    let mut text = std::fs::read_to_string(&path).unwrap();
    text = format!("model_reasoning_effort = \"high\"\n{text}");
    std::fs::write(&path, &text).unwrap();
    let report = setup(&w, "codex", &t);
    let backup = PathBuf::from(report["backups"][0].as_str().unwrap());
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), text);
    let (_, cfg) = codex_config(&w, &t);
    assert_eq!(cfg["model_reasoning_effort"].as_str(), Some("high"));
    assert_eq!(cfg["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
}

/// Codex's own view: `codex app-server` lists each hook with its key, current
/// hash and trust status.
#[test]
fn codex_itself_reports_paddocks_hooks_as_trusted() {
    let Some(codex) = common::agents::codex() else {
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "codex");
    setup(&w, "codex", &t);
    let (path, _) = codex_config(&w, &t);
    let codex_home = path.parent().unwrap();
    let requests = [
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"clientInfo": {"name": "paddock-test", "version": "1"}}}),
        serde_json::json!({"jsonrpc": "2.0", "method": "initialized"}),
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "hooks/list", "params": {"cwds": [wt]}}),
    ];
    let mut child = std::process::Command::new(codex)
        .arg("app-server")
        .env("CODEX_HOME", codex_home)
        .env("HOME", w.home())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    {
        use std::io::Write;
        for r in &requests {
            writeln!(stdin, "{r}").unwrap();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let v: serde_json::Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(_) => continue,
            };
            if v["id"] == 2 {
                let _ = tx.send(v);
                return;
            }
        }
    });
    let reply = rx.recv_timeout(std::time::Duration::from_secs(60));
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    let reply = reply.expect("codex app-server answered hooks/list");
    let hooks = reply["result"]["data"][0]["hooks"].as_array().unwrap();
    let (_, cfg) = codex_config(&w, &t);
    let state = cfg["hooks"]["state"].as_table().unwrap();
    assert_eq!(hooks.len(), 5, "{reply}");
    for h in hooks {
        let key = h["key"].as_str().unwrap();
        assert_eq!(h["trustStatus"], "trusted", "{h}");
        assert_eq!(
            h["currentHash"].as_str(),
            state[key]["trusted_hash"].as_str(),
            "{key}"
        );
    }
}
