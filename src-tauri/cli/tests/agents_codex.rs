//! The real Codex CLI (npm `@openai/codex`, installed under target/agents)
//! driven by a scripted Responses API server, fenced by
//! `paddock agent setup codex`: its hooks are trusted by Codex itself (no
//! bypass flag), commands run in the workspace-write sandbox, and the same
//! four commands as the Claude Code test meet the same fates. Skipped, with a
//! message, when Codex is not installed.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::scenario::{approver, assert_outcomes, seed, SCRIPT};
use common::{stderr, stdout, World};

fn codex_bin() -> Option<PathBuf> {
    let p = common::agents_dir().join("node_modules/.bin/codex");
    p.exists().then_some(p)
}

#[test]
fn codex_runs_allowed_approved_and_never_denied_or_undecided_commands() {
    let Some(codex) = codex_bin() else {
        assert!(
            std::env::var_os("PADDOCK_REQUIRE_AGENTS").is_none(),
            "the test command installs the real agents; they are missing"
        );
        eprintln!(
            "SKIPPED: Codex is not installed (npm install --prefix target/agents @openai/codex)"
        );
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
    // The person's own Codex config points at the model; setup carries it over.
    let user_codex = w.home().join(".codex");
    std::fs::create_dir_all(&user_codex).unwrap();
    std::fs::write(
        user_codex.join("config.toml"),
        format!(
            "model = \"scripted-model\"\nmodel_provider = \"scripted\"\n\n[model_providers.scripted]\nname = \"scripted\"\nbase_url = \"http://127.0.0.1:{}/v1\"\nwire_api = \"responses\"\nenv_key = \"SCRIPTED_API_KEY\"\n",
            server.port
        ),
    )
    .unwrap();
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

    // Codex's sandbox helper cannot start when CODEX_HOME lies inside TMPDIR.
    let tmp = w.root.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let approving = approver(&w, "seed-approved", stop.clone());
    let started = Instant::now();
    let out = Command::new(&codex)
        .args([
            "exec",
            "--json",
            "-s",
            "workspace-write",
            "Do the scripted steps.",
        ])
        .current_dir(&wt)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", w.home())
        .env("CODEX_HOME", &codex_home)
        .env("TMPDIR", &tmp)
        .env("SCRIPTED_API_KEY", "dummy")
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
