//! The real Claude Code launched through `paddock run` (bubblewrap, the task
//! proxy as the only way out, the database read-only inside) still completes
//! a task: its hooks reach Paddock through the run's hook socket, the
//! scripted model server is reached through the proxy as `model.test`, and an
//! allowed command writes its file in the worktree. Skipped, with a message,
//! when Claude Code is not installed (fails under `PADDOCK_REQUIRE_AGENTS`).

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;

use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::{stderr, stdout, World};

fn claude_bin() -> Option<PathBuf> {
    let base = common::agents_dir().join("node_modules");
    [
        base.join("@anthropic-ai/claude-code-linux-x64/claude"),
        base.join("@anthropic-ai/claude-code-linux-arm64/claude"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

const COMMAND: &str = "echo sandboxed > sandboxed.txt";

#[test]
fn claude_code_in_the_sandbox_gets_its_hooks_answered_and_completes_a_task() {
    let Some(claude) = claude_bin() else {
        assert!(
            std::env::var_os("PADDOCK_REQUIRE_AGENTS").is_none(),
            "the test command installs the real agents; they are missing"
        );
        eprintln!("SKIPPED: Claude Code is not installed (npm install --prefix target/agents @anthropic-ai/claude-code)");
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "claude");
    let o = w.paddock(&[
        "agent",
        "setup",
        "claude",
        "--task",
        &t,
        "--timeout-secs",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let server = ModelServer::start(Api::Anthropic, vec![COMMAND.to_string()]);
    // Claude Code's own state: writable inside the sandbox only because the
    // person allows it explicitly.
    let config = w.root.join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let started = Instant::now();
    let out = w
        .cmd(&[
            "run",
            "--task",
            &t,
            "--allow-host",
            "model.test",
            "--allow-write",
            config.to_str().unwrap(),
            "--keep-env",
            "ANTHROPIC_API_KEY",
            "--",
            claude.to_str().unwrap(),
            "-p",
            "Do the scripted steps.",
            "--output-format",
            "json",
        ])
        .env(
            "PADDOCK_PROXY_HOSTS",
            format!("model.test=127.0.0.1:{}", server.port),
        )
        .env("CLAUDE_CONFIG_DIR", &config)
        .env(
            "ANTHROPIC_BASE_URL",
            format!("http://model.test:{}", server.port),
        )
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let took = started.elapsed();
    let text = format!("stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "claude failed after {took:?}: {text}");
    assert!(stdout(&out).contains(FINAL_TEXT), "{text}");
    assert_eq!(
        std::fs::read_to_string(wt.join("sandboxed.txt"))
            .unwrap_or_else(|e| panic!("{e}: {text}"))
            .trim(),
        "sandboxed"
    );
    let events = w.events(&t);
    let act = events
        .iter()
        .find(|e| e["kind"] == "agent.action" && e["payload"].to_string().contains(COMMAND))
        .unwrap_or_else(|| panic!("no agent.action for {COMMAND}: {events:?}"));
    assert_eq!(act["payload"]["verdict"], "allow");
    assert!(events.iter().any(|e| e["kind"] == "sandbox.started"));
    assert!(events
        .iter()
        .any(|e| e["kind"] == "network.allow" && e.to_string().contains("model.test")));
}
