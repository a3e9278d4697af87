//! The real Claude Code (npm `@anthropic-ai/claude-code`, installed under
//! target/agents) driven by a scripted model server, fenced by
//! `paddock agent setup claude`. One run asks for four commands:
//! an allowed one runs; a denied one does not and the model reads the reason;
//! one a person approves (from another process) runs; one nobody decides is
//! denied at the timeout. Skipped, with a message, when Claude Code is not installed.

mod common;

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use common::agents;
use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::scenario::{approver, assert_outcomes, seed, SCRIPT};
use common::{stderr, stdout, World};

#[test]
fn claude_code_runs_allowed_approved_and_never_denied_or_undecided_commands() {
    let Some(claude) = agents::claude() else {
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "claude");
    seed(&wt);
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
    let start_line = stdout(&o);
    assert!(start_line.contains("claude"), "{start_line}");

    let server = ModelServer::start(
        Api::Anthropic,
        SCRIPT.iter().map(|s| s.to_string()).collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let approving = approver(&w, "seed-approved", stop.clone());
    let config = w.root.join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let started = Instant::now();
    let out = agents::claude_direct(
        &w,
        &claude,
        &wt,
        &config,
        server.port,
        "Do the scripted steps.",
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    let approved = approving.join().unwrap();
    let took = started.elapsed();
    let text = format!("stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "claude failed after {took:?}: {text}");
    assert!(stdout(&out).contains(FINAL_TEXT), "{text}");
    assert_eq!(approved, 1, "exactly one request was approved");
    assert_outcomes(&w, &t, &wt, &server);
    let events = w.events(&t);
    let summary = events
        .iter()
        .find(|e| e["kind"] == "task.summary")
        .expect("Stop logged the summary");
    assert_eq!(summary["payload"]["summary"], FINAL_TEXT);
    assert!(events.iter().any(|e| e["kind"] == "agent.prompt"));
}
