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
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::{stderr, stdout, World};
use serde_json::Value;

fn claude_bin() -> Option<PathBuf> {
    let base = common::agents_dir().join("node_modules");
    [
        base.join("@anthropic-ai/claude-code-linux-x64/claude"),
        base.join("@anthropic-ai/claude-code-linux-arm64/claude"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn codex_bin() -> Option<PathBuf> {
    let p = common::agents_dir().join("node_modules/.bin/codex");
    p.exists().then_some(p)
}

fn missing(what: &str) {
    assert!(
        std::env::var_os("PADDOCK_REQUIRE_AGENTS").is_none(),
        "the test command installs the real agents; {what} is missing"
    );
    eprintln!("SKIPPED: {what} is not installed (npm install --prefix target/agents)");
}

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
    let Some(claude) = claude_bin() else {
        return missing("Claude Code");
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
        .env("PADDOCK_OTEL_PORT", port.to_string())
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
        // Anthropic's own telemetry off; the OTel exporter is separate.
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
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
    let Some(codex) = codex_bin() else {
        return missing("Codex");
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (t, wt) = w.task(&repo, "codex");
    let port = free_port();
    let server = ModelServer::start(Api::OpenAiResponses, vec![CODEX_COMMAND.to_string()]);
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

    let tmp = w.root.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
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
