//! The real Claude Code launched through `paddock run` (bubblewrap, the task
//! proxy as the only way out, the database read-only inside) still completes
//! a task: its hooks reach Paddock through the run's hook socket, the
//! scripted model server is reached through the proxy as `model.test`, and an
//! allowed command writes its file in the worktree. Skipped, with a message,
//! when Claude Code is not installed (fails under `PADDOCK_REQUIRE_AGENTS`).

mod common;

use std::process::Stdio;
use std::time::Instant;

use common::agents;
use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::{stderr, stdout, World};

const COMMAND: &str = "echo sandboxed > sandboxed.txt";

#[test]
fn claude_code_in_the_sandbox_gets_its_hooks_answered_and_completes_a_task() {
    let Some(claude) = agents::claude() else {
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
    let out = agents::claude_in_sandbox(&w, &claude, &t, &config, server.port, &[])
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
