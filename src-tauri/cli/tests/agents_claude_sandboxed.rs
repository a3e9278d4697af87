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

/// What a person gets from the app's "Start the agent": the engine's launch
/// plan for a Claude Code task, run as planned. No CLAUDE_CONFIG_DIR: Claude
/// Code keeps its state in `~/.claude` and `~/.claude.json`, as it does for
/// anyone who has logged in once, and the plan must let it write exactly
/// those inside the sandbox, or Claude Code cannot start there.
#[test]
fn the_apps_launch_plan_runs_claude_code_with_its_state_in_the_default_folders() {
    use paddock_engine::agent_launch::{
        self, LaunchAgent, LaunchEnv, PaddockBinary, PaddockSource,
    };

    let Some(claude) = agents::claude() else {
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "claude");
    let server = ModelServer::start(Api::Anthropic, vec![COMMAND.to_string()]);
    let home = w.home();
    std::fs::create_dir_all(home.join(".claude")).unwrap();
    std::fs::write(home.join(".claude.json"), "{}\n").unwrap();

    let paddock_home = paddock_engine::PaddockHome::at(w.paddock_home()).unwrap();
    let store = paddock_engine::Store::open_home(&paddock_home).unwrap();
    let vars = |k: &str| match k {
        "ANTHROPIC_API_KEY" => Some("dummy".to_string()),
        _ => None,
    };
    let env = LaunchEnv {
        var: &vars,
        user_home: Some(home.clone()),
        path: std::env::var_os("PATH"),
    };
    let paddock = PaddockBinary {
        path: env!("CARGO_BIN_EXE_paddock").into(),
        source: PaddockSource::Path,
    };
    let prompt = format!(
        "{} -p 'Do the scripted steps.' --output-format json",
        claude.display()
    );
    let plan = agent_launch::plan(
        &paddock_home,
        &store,
        &t,
        LaunchAgent::Claude,
        Some(&prompt),
        Some(&paddock),
        &env,
    )
    .unwrap();
    drop(store);
    assert!(plan.setup_needed, "{plan:?}");
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

    let argv: Vec<&str> = plan.argv.iter().map(String::as_str).collect();
    assert_eq!(argv[0], env!("CARGO_BIN_EXE_paddock"), "{argv:?}");
    for own in [home.join(".claude"), home.join(".claude.json")] {
        assert!(
            argv.windows(2)
                .any(|p| p[0] == "--allow-write" && p[1] == own.to_str().unwrap()),
            "{argv:?}"
        );
    }
    // The plan's own words (`paddock run --task T …`), plus the scripted
    // model server, reachable as model.test.
    let mut cmd = w.cmd(&argv[1..4]);
    cmd.args(["--allow-host", "model.test"]).args(&argv[4..]);
    cmd.env(
        "PADDOCK_PROXY_HOSTS",
        format!("model.test=127.0.0.1:{}", server.port),
    )
    .env(
        "ANTHROPIC_BASE_URL",
        format!("http://model.test:{}", server.port),
    )
    .env("ANTHROPIC_API_KEY", "dummy")
    .env("DISABLE_TELEMETRY", "1")
    .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
    .env("DISABLE_AUTOUPDATER", "1")
    .env_remove("CLAUDE_CONFIG_DIR");
    let started = Instant::now();
    let out = cmd
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
    // Claude Code kept its state where it always does: the session's
    // transcript under ~/.claude/projects.
    let transcripts = walk_files(&home.join(".claude/projects"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .count();
    assert!(
        transcripts > 0,
        "no session transcript in ~/.claude: {text}"
    );
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}
