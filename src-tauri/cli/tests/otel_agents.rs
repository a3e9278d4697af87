//! OpenTelemetry in, with the real agents: `paddock agent setup` points
//! Claude Code and Codex at Paddock's OTLP receiver, the scripted model server
//! makes each run one shell command, and their own `claude_code.*` /
//! `codex.*` events show up in `paddock log show --task T`.
//!
//! - Claude Code runs inside the sandbox (`paddock run`): its exporter sends
//!   to 127.0.0.1:<port> in the sandbox's own network namespace, which the
//!   telemetry bridge carries to the run's receiver outside.
//! - Codex runs directly, with `paddock otel serve` holding the port.
//!
//! Each test picks its own free port through `PADDOCK_OTEL_PORT`. Skipped,
//! with a message, when an agent is not installed (fails under
//! `PADDOCK_REQUIRE_AGENTS`).

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::agents;
use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::{stderr, stdout, World};
use serde_json::Value;

/// A loopback port free right now (not the sandbox's proxy bridge port).
fn free_port() -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port != paddock_engine::sandbox::BRIDGE_PORT {
            return port;
        }
    }
}

/// The task's `agent.telemetry` events, polled until `want` finds one (the
/// exporters batch; the bound is generous and only ends a hung test).
fn wait_for_telemetry(w: &World, task: &str, want: impl Fn(&Value) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let events: Vec<Value> = w
            .events(task)
            .into_iter()
            .filter(|e| e["kind"] == "agent.telemetry")
            .collect();
        if events.iter().any(&want) {
            return events;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the expected telemetry never arrived; got {events:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The readable timeline has a line for `event`.
fn timeline_mentions(w: &World, task: &str, event: &str) -> String {
    let o = w.paddock(&["log", "show", "--task", task]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.lines()
            .any(|l| l.contains("agent.telemetry") && l.contains(event)),
        "no timeline line for {event}:\n{text}"
    );
    text
}

const CLAUDE_COMMAND: &str = "echo telemetry > telemetry.txt";

#[test]
fn claude_code_in_the_sandbox_sends_its_events_into_the_task_timeline() {
    let Some(claude) = agents::claude() else {
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "claude");
    let port = free_port();
    let o = w
        .cmd(&[
            "agent",
            "setup",
            "claude",
            "--task",
            &t,
            "--timeout-secs",
            "3",
        ])
        .env("PADDOCK_OTEL_PORT", port.to_string())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(wt.join(".claude/settings.json")).unwrap())
            .unwrap();
    assert_eq!(
        settings["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"],
        format!("http://127.0.0.1:{port}/tasks/{t}")
    );

    let server = ModelServer::start(Api::Anthropic, vec![CLAUDE_COMMAND.to_string()]);
    let config = w.root.join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let out = agents::claude_in_sandbox(&w, &claude, &t, &config, server.port, &[])
        .env("PADDOCK_OTEL_PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let text = format!("stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(stdout(&out).contains(FINAL_TEXT), "{text}");
    assert!(wt.join("telemetry.txt").is_file(), "{text}");

    let events = wait_for_telemetry(&w, &t, |e| {
        e["payload"]["event"] == "claude_code.tool_decision"
            && e["payload"]["attributes"]["tool_name"] == "Bash"
    });
    for e in &events {
        assert_eq!(e["actor"], "agent:claude", "{e}");
        assert_eq!(e["payload"]["agent"], "claude", "{e}");
    }
    let names: Vec<&str> = events
        .iter()
        .filter_map(|e| e["payload"]["event"].as_str())
        .collect();
    assert!(names.contains(&"claude_code.user_prompt"), "{names:?}");
    assert!(
        names.contains(&"claude_code.api_request"),
        "the scripted model's answers are api_requests: {names:?}"
    );
    // Prompts are not exported (OTEL_LOG_USER_PROMPTS stays unset).
    let prompt = events
        .iter()
        .find(|e| e["payload"]["event"] == "claude_code.user_prompt")
        .unwrap();
    assert!(
        !prompt.to_string().contains("Do the scripted steps"),
        "{prompt}"
    );
    timeline_mentions(&w, &t, "claude_code.tool_decision: Bash");
}

/// `paddock otel serve`, stopped (by its own pid) when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const CODEX_COMMAND: &str = "echo telemetry > telemetry.txt";

#[test]
fn codex_with_paddock_otel_serve_sends_its_events_into_the_task_timeline() {
    let Some(codex) = agents::codex() else {
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "codex");
    let port = free_port();
    let server = ModelServer::start(Api::OpenAiResponses, vec![CODEX_COMMAND.to_string()]);
    agents::write_codex_user_config(&w, server.port);
    let o = w
        .cmd(&[
            "agent",
            "setup",
            "codex",
            "--task",
            &t,
            "--timeout-secs",
            "3",
            "--json",
        ])
        .env("PADDOCK_OTEL_PORT", port.to_string())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let config_path = PathBuf::from(report["written"][0].as_str().unwrap());
    let config: toml::Table = std::fs::read_to_string(&config_path)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        config["otel"]["exporter"]["otlp-http"]["endpoint"].as_str(),
        Some(format!("http://127.0.0.1:{port}/tasks/{t}/v1/logs").as_str())
    );
    let codex_home = config_path.parent().unwrap().to_path_buf();

    let mut child = w
        .cmd(&["otel", "serve"])
        .env("PADDOCK_OTEL_PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let serve = Serve(child);
    assert!(
        first.contains(&format!("127.0.0.1:{port}")),
        "paddock otel serve did not start: {first:?}"
    );

    let out = agents::codex_exec(&w, &codex, &wt, &codex_home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!("stdout: {}\nstderr: {}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}");
    assert!(stdout(&out).contains(FINAL_TEXT), "{text}");
    assert!(wt.join("telemetry.txt").is_file(), "{text}");

    let events = wait_for_telemetry(&w, &t, |e| {
        e["payload"]["event"] == "codex.tool_result"
            && e["payload"].to_string().contains(CODEX_COMMAND)
    });
    drop(serve);
    for e in &events {
        let name = e["payload"]["event"].as_str().unwrap_or("");
        assert!(
            name.starts_with("codex."),
            "only Codex's named events are stored: {e}"
        );
    }
    for e in &events {
        assert_eq!(e["actor"], "agent:codex", "{e}");
    }
    let names: Vec<&str> = events
        .iter()
        .filter_map(|e| e["payload"]["event"].as_str())
        .collect();
    assert!(names.contains(&"codex.api_request"), "{names:?}");
    assert!(
        !names.contains(&"codex.sse_event"),
        "noise is counted, not stored"
    );
    let all = w.events(&t);
    let dropped: u64 = all
        .iter()
        .filter(|e| e["kind"] == "agent.telemetry_dropped")
        .filter_map(|e| e["payload"]["dropped"]["codex.sse_event"].as_u64())
        .sum();
    assert!(dropped > 0, "the streamed answers' sse events are counted");
    timeline_mentions(&w, &t, "codex.tool_result: exec_command success=true");
}
