//! The real Codex CLI (npm `@openai/codex`, installed under target/agents)
//! driven by a scripted Responses API server, fenced by
//! `paddock agent setup codex`: its hooks are trusted by Codex itself (no
//! bypass flag), commands run in the workspace-write sandbox, and the same
//! four commands as the Claude Code test meet the same fates. Skipped, with a
//! message, when Codex is not installed.

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use common::agents;
use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::scenario::{approver, assert_outcomes, seed, SCRIPT};
use common::{stderr, stdout, World};

#[test]
fn codex_runs_allowed_approved_and_never_denied_or_undecided_commands() {
    let Some(codex) = agents::codex() else {
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "codex");
    seed(&wt);
    let server = ModelServer::start(
        Api::OpenAiResponses,
        SCRIPT.iter().map(|s| s.to_string()).collect(),
    );
    agents::write_codex_user_config(&w, server.port);
    let o = w.paddock(&[
        "agent",
        "setup",
        "codex",
        "--task",
        &t,
        "--timeout-secs",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codex_home = PathBuf::from(report["written"][0].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    assert!(report["start_command"]
        .as_str()
        .unwrap()
        .starts_with(&format!("CODEX_HOME={}", codex_home.display())));

    let stop = Arc::new(AtomicBool::new(false));
    let approving = approver(&w, "seed-approved", stop.clone());
    let started = Instant::now();
    let out = agents::codex_exec(&w, &codex, &wt, &codex_home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let approved = approving.join().unwrap();
    let took = started.elapsed();
    let text = format!("stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "codex failed after {took:?}: {text}");
    assert!(stdout(&out).contains(FINAL_TEXT), "{text}");
    assert!(!stderr(&out).contains("untrusted"), "{text}");
    assert_eq!(approved, 1, "exactly one request was approved; {text}");
    assert_outcomes(&w, &t, &wt, &server);
    // The sandbox kept /tmp out of reach (exclude_slash_tmp).
    assert!(w.events(&t).iter().any(|e| e["kind"] == "agent.prompt"));
}
