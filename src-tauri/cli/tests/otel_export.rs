//! `paddock otel export` end to end: the real `paddock` binary sends the audit
//! log to a real OTLP/HTTP receiver on 127.0.0.1 — a Python server that parses
//! every body with the OpenTelemetry project's own bindings (`opentelemetry-proto`
//! from PyPI: protobuf with `ExportLogsServiceRequest.FromString`, JSON with
//! `json_format.Parse`, strict) and writes what it parsed to a file.
//!
//! Events come from the real places that write them: `paddock task new`,
//! `paddock hook` (Claude Code's hook JSON), the real network proxy, and a
//! secret moved into a real gnome-keyring in a private D-Bus session.

mod common;
#[path = "../../engine/tests/secrets_support/mod.rs"]
mod secrets_support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{pre_tool_use, stderr, stdout, World};
use secrets_support::plant;
use secrets_support::session::KeyringSession;
use serde_json::{json, Value};

/// The Python that has `opentelemetry-proto` (tests/run-all.sh makes it:
/// `paddock_install_otlp_python` → target/py), or `$PADDOCK_OTLP_PYTHON`.
fn otlp_python() -> Option<PathBuf> {
    let python = match std::env::var_os("PADDOCK_OTLP_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/py/bin/python"),
    };
    let usable = Command::new(&python)
        .args([
            "-c",
            "import opentelemetry.proto.collector.logs.v1.logs_service_pb2",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if usable {
        return Some(python);
    }
    assert!(
        std::env::var_os("PADDOCK_REQUIRE_AGENTS").is_none(),
        "the test command installs opentelemetry-proto into target/py; {} cannot import it",
        python.display()
    );
    eprintln!(
        "SKIPPED: no Python with opentelemetry-proto at {} (source src-tauri/scripts/deps.sh; paddock_install_otlp_python)",
        python.display()
    );
    None
}

/// A running OTLP receiver; killed on drop.
struct Receiver {
    child: Child,
    port: u16,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Receiver {
    fn start(python: &Path, port: u16, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("records.jsonl");
        let port_file = dir.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/otlp_receiver.py");
        let mut child = Command::new(python)
            .arg(&script)
            .args(["--port", &port.to_string()])
            .arg("--port-file")
            .arg(&port_file)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p.trim().parse().unwrap();
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "the OTLP receiver exited ({status}): {}",
                    std::fs::read_to_string(dir.path().join("stderr")).unwrap_or_default()
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the OTLP receiver did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Receiver {
            child,
            port,
            out,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Everything the receiver wrote (raw), and the records it parsed.
    fn raw(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn records(&self) -> Vec<Value> {
        let lines: Vec<Value> = self
            .raw()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for l in &lines {
            assert!(
                l.get("error").is_none(),
                "the real OTLP parser refused a body: {l}"
            );
        }
        lines
    }

    /// paddock.event.id of every record, in arrival order.
    fn ids(&self) -> Vec<i64> {
        self.records()
            .iter()
            .map(|r| r["attributes"]["paddock.event.id"].as_i64().unwrap())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Every event in the log, payload parsed.
fn all_events(w: &World) -> Vec<Value> {
    let o = w.paddock(&["log", "show", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            v["payload"] = serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
            v
        })
        .collect()
}

fn ids_of(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["id"].as_i64().unwrap()).collect()
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed: {}\n{}",
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

fn status(w: &World) -> Value {
    let o = w.paddock(&["otel", "status", "--json"]);
    serde_json::from_str(&ok(&o, "otel status")).unwrap()
}

/// Poll until `done` holds; a deadline only keeps a broken build from hanging.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "gave up waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A hook call from Claude Code, answered by the real `paddock hook`.
fn hook(w: &World, input: Value) {
    let o = w.hook(&["--agent", "claude"], &input.to_string());
    assert!(o.status.success(), "hook failed: {}", stderr(&o));
}

fn post_tool_use(cwd: &Path, command: &str, stdout: &str) -> Value {
    json!({
        "session_id": "s-1",
        "transcript_path": "/dev/null",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "test"},
        "tool_use_id": "toolu_1",
        "tool_response": {"stdout": stdout, "stderr": "", "interrupted": false, "isImage": false},
        "duration_ms": 42,
    })
}

fn user_prompt(cwd: &Path, prompt: &str) -> Value {
    json!({
        "session_id": "s-1",
        "transcript_path": "/dev/null",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": "UserPromptSubmit",
        "prompt": prompt,
    })
}

/// One tool call through the hooks: a decision and a result.
fn tool_call(w: &World, wt: &Path, command: &str) {
    let o = w.hook(&["--agent", "claude"], &pre_tool_use(wt, command));
    assert!(o.status.success(), "{}", stderr(&o));
    hook(w, post_tool_use(wt, command, "ok"));
}

/// A request through the task's real proxy to a host its rules deny.
fn denied_request(w: &World, task: &str) {
    use paddock_engine::network::{
        HostMap, HostRule, NetworkRules, ProxyHandle, ProxyListen, ProxySettings, TaskIdentity,
    };
    let proxy = ProxyHandle::start(
        ProxySettings {
            database: paddock_engine::PaddockHome::at(w.paddock_home())
                .unwrap()
                .database(),
            approval_timeout: Duration::from_secs(1),
            hosts: HostMap::default(),
            block_host_loopback: true,
        },
        TaskIdentity {
            task: Some(task.into()),
            project: None,
            agent: Some("claude".into()),
        },
        NetworkRules {
            allow: vec![],
            deny: vec![HostRule::new(
                "blocked.example",
                "test:deny",
                "blocked in this test",
            )],
        },
        &[ProxyListen::Tcp("127.0.0.1:0".parse().unwrap())],
    )
    .unwrap();
    let mut s = TcpStream::connect(proxy.tcp_addr().unwrap()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET http://blocked.example/ HTTP/1.1\r\nHost: blocked.example\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
}

fn attr<'a>(r: &'a Value, key: &str) -> &'a Value {
    &r["attributes"][key]
}

fn by_kind<'a>(records: &'a [Value], kind: &str) -> &'a Value {
    records
        .iter()
        .find(|r| attr(r, "paddock.kind") == kind)
        .unwrap_or_else(|| panic!("no {kind} record among {records:#?}"))
}

#[test]
fn both_protocols_carry_the_documented_names_and_attributes_with_held_secrets_redacted() {
    let Some(python) = otlp_python() else { return };
    let w = World::new();
    let session = KeyringSession::start();
    let with_keyring = |args: &[&str]| {
        let mut c = w.cmd(args);
        c.env("DBUS_SESSION_BUS_ADDRESS", &session.bus);
        c.output().unwrap()
    };
    let repo = w.repo("shop");
    let planted = plant::plant(&repo);
    w.git(&repo, &["add", "."]);
    w.git(&repo, &["commit", "-q", "-m", "app"]);
    let secret = planted
        .iter()
        .find(|p| p.rule == "dotenv-secret")
        .unwrap()
        .value
        .clone();

    let o = with_keyring(&[
        "task",
        "new",
        "--repo",
        repo.to_str().unwrap(),
        "--goal",
        common::GOAL,
        "--agent",
        "claude",
        "--json",
    ]);
    let t: Value = serde_json::from_str(&ok(&o, "task new")).unwrap();
    let task = t["id"].as_str().unwrap().to_owned();
    let wt = PathBuf::from(t["worktree"].as_str().unwrap());

    // Before the secret is moved it is just text: the prompt is logged as typed.
    hook(
        &w,
        user_prompt(&wt, &format!("deploy with password {secret} please")),
    );
    tool_call(&w, &wt, "cargo test");
    denied_request(&w, &task);
    // An agent's own telemetry, as the receiver (`paddock otel serve`) stores it.
    {
        let mut store = paddock_engine::Store::open_home(
            &paddock_engine::PaddockHome::at(w.paddock_home()).unwrap(),
        )
        .unwrap();
        paddock_engine::audit::record(
            &mut store,
            paddock_engine::audit::NewEvent::new(
                "agent.telemetry",
                paddock_engine::audit::Actor::Agent("claude".into()),
                "claude_code.tool_result",
            )
            .task(&task)
            .payload(json!({
                "agent": "claude",
                "event": "claude_code.tool_result",
                "time": "2026-12-04T18:35:14.560Z",
                "attributes": {"tool_name": "Bash", "success": "true", "duration_ms": 17,
                               "tool_parameters": format!("echo {secret}")},
            })),
        )
        .unwrap();
    }
    let before_move = all_events(&w);
    assert!(
        serde_json::to_string(&before_move)
            .unwrap()
            .contains(&secret),
        "precondition: the log holds the value as it was typed before the move"
    );
    ok(
        &with_keyring(&["secrets", "move", "--task", &task, "--all"]),
        "secrets move",
    );

    let json_rx = Receiver::start(&python, 0, &[]);
    let proto_rx = Receiver::start(&python, 0, &[]);
    for (rx, protocol) in [(&json_rx, "json"), (&proto_rx, "protobuf")] {
        let o = with_keyring(&[
            "otel",
            "export",
            "--endpoint",
            &rx.url(),
            "--protocol",
            protocol,
        ]);
        let text = ok(&o, "otel export");
        assert!(text.contains("exported "), "{text}");
        assert!(!text.contains(&secret) && !stderr(&o).contains(&secret));
    }

    let events = all_events(&w);
    let kinds: BTreeMap<i64, &str> = events
        .iter()
        .map(|e| (e["id"].as_i64().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    let hashes: BTreeMap<i64, &str> = events
        .iter()
        .map(|e| (e["id"].as_i64().unwrap(), e["hash"].as_str().unwrap()))
        .collect();
    let json_records = json_rx.records();
    let proto_records = proto_rx.records();
    for (records, rx, protocol) in [
        (&json_records, &json_rx, "json"),
        (&proto_records, &proto_rx, "protobuf"),
    ] {
        // Every planted value, raw, is absent from everything the collector got.
        let raw = rx.raw();
        for p in &planted {
            assert!(!raw.contains(&p.value), "{} reached the collector", p.rule);
        }
        assert_eq!(
            rx.ids(),
            ids_of(&events),
            "{protocol}: every event once, in order"
        );
        for r in records.iter() {
            assert_eq!(r["protocol"], protocol);
            assert_eq!(r["resource"]["service.name"], "paddock");
            assert_eq!(r["resource"]["service.version"], paddock_engine::VERSION);
            assert_eq!(r["scope"], "paddock.audit");
            assert_eq!(attr(r, "event.name"), &r["event_name"]);
            let id = attr(r, "paddock.event.id").as_i64().unwrap();
            assert_eq!(attr(r, "paddock.kind"), kinds[&id]);
            assert_eq!(attr(r, "paddock.event.hash"), hashes[&id]);
            assert!(r["time_unix_nano"].as_u64().unwrap() > 1_700_000_000_000_000_000);
            assert!(r["body"].is_string());
        }

        let goal = by_kind(records, "task.created");
        assert_eq!(goal["event_name"], "paddock.user_prompt");
        assert_eq!(attr(goal, "prompt"), common::GOAL);
        assert_eq!(attr(goal, "prompt_length"), common::GOAL.len() as i64);
        assert_eq!(attr(goal, "paddock.prompt.source"), "goal");
        assert_eq!(attr(goal, "paddock.task.id"), task.as_str());

        let prompt = by_kind(records, "agent.prompt");
        assert_eq!(prompt["event_name"], "paddock.user_prompt");
        assert_eq!(
            attr(prompt, "prompt"),
            "deploy with password [REDACTED] please",
            "the held value is redacted on the way out"
        );
        assert_eq!(attr(prompt, "session.id"), "s-1");

        let decision = by_kind(records, "agent.action");
        assert_eq!(decision["event_name"], "paddock.tool_decision");
        assert_eq!(attr(decision, "tool_name"), "Bash");
        assert_eq!(attr(decision, "decision"), "accept");
        assert_eq!(attr(decision, "source"), "policy");
        assert!(!attr(decision, "rule").as_str().unwrap().is_empty());
        assert_eq!(attr(decision, "paddock.command"), "cargo test");
        assert_eq!(attr(decision, "paddock.agent"), "claude");

        let result = by_kind(records, "agent.result");
        assert_eq!(result["event_name"], "paddock.tool_result");
        assert_eq!(attr(result, "tool_name"), "Bash");
        assert_eq!(attr(result, "success"), true);
        assert_eq!(attr(result, "duration_ms"), 42);

        let network = by_kind(records, "network.deny");
        assert_eq!(network["event_name"], "paddock.network_decision");
        assert_eq!(attr(network, "host"), "blocked.example");
        assert_eq!(attr(network, "port"), 80);
        assert_eq!(attr(network, "decision"), "reject");
        assert_eq!(attr(network, "rule"), "test:deny");
        assert_eq!(network["severity_text"], "WARN");

        let agent = by_kind(records, "agent.telemetry");
        assert_eq!(agent["event_name"], "claude_code.tool_result");
        assert_eq!(attr(agent, "tool_name"), "Bash");
        assert_eq!(attr(agent, "duration_ms"), 17);
        assert_eq!(attr(agent, "tool_parameters"), "echo [REDACTED]");
        assert_eq!(agent["time_unix_nano"], 1_796_409_314_560_000_000u64);

        let moved = by_kind(records, "secrets.moved");
        assert_eq!(moved["event_name"], "paddock.secrets.moved");
        let created = by_kind(records, "task.running");
        assert_eq!(created["event_name"], "paddock.task.running");
    }
    // The two encodings carry the same records, field for field.
    let strip = |rs: &[Value]| -> Vec<Value> {
        rs.iter()
            .map(|r| {
                let mut r = r.clone();
                let o = r.as_object_mut().unwrap();
                // What differs by design: the encoding and when each export ran.
                o.remove("protocol");
                o.remove("observed_time_unix_nano");
                r
            })
            .collect()
    };
    assert_eq!(strip(&json_records), strip(&proto_records));
    let names: BTreeSet<&str> = json_records
        .iter()
        .map(|r| r["event_name"].as_str().unwrap())
        .collect();
    eprintln!("event names exported: {names:?}");
}

#[test]
fn a_collector_that_is_down_loses_nothing_and_the_export_resumes_at_the_cursor() {
    let Some(python) = otlp_python() else { return };
    let w = World::new();
    let repo = w.repo("shop");
    let (_task, wt) = w.task(&repo, "claude");
    tool_call(&w, &wt, "cargo test");
    tool_call(&w, &wt, "cargo build");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    ok(
        &w.paddock(&[
            "otel",
            "configure",
            "--endpoint",
            &url,
            "--protocol",
            "json",
        ]),
        "configure",
    );

    // Down: a clear, retryable error; the cursor has not moved.
    let o = w.paddock(&["otel", "export", "--batch-size", "2"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("retryable: cannot reach the collector"),
        "{err}"
    );
    assert!(err.contains("cursor stays after event 0"), "{err}");
    let st = status(&w);
    let events = all_events(&w);
    assert_eq!(st["configured"]["url"], format!("{url}/v1/logs"));
    assert_eq!(st["cursors"][0]["last_event_id"], 0);
    assert_eq!(st["cursors"][0]["lag"], events.len() as i64);
    assert!(st["cursors"][0]["last_error"]
        .as_str()
        .unwrap()
        .contains("cannot reach"));

    // Up: everything, exactly once, in batches of two.
    let rx = Receiver::start(&python, port, &[]);
    let text = ok(
        &w.paddock(&["otel", "export", "--batch-size", "2"]),
        "export",
    );
    assert!(
        text.contains(&format!("exported {} record(s)", events.len())),
        "{text}"
    );
    assert_eq!(rx.ids(), ids_of(&events));
    let st = status(&w);
    assert_eq!(st["cursors"][0]["lag"], 0);
    assert!(st["cursors"][0]["last_error"].is_null());

    // New events: only they go; nothing twice.
    tool_call(&w, &wt, "cargo fmt --check");
    ok(&w.paddock(&["otel", "export"]), "export");
    let events = all_events(&w);
    assert_eq!(rx.ids(), ids_of(&events));
    let text = ok(&w.paddock(&["otel", "export"]), "export");
    assert!(text.contains("exported 0 records"), "{text}");
    assert_eq!(rx.ids(), ids_of(&events));
    let human = ok(&w.paddock(&["otel", "status"]), "status");
    assert!(human.contains("0 behind"), "{human}");
}

#[test]
fn a_failing_collector_keeps_the_cursor_until_it_accepts_and_rejections_are_reported() {
    let Some(python) = otlp_python() else { return };
    let w = World::new();
    let repo = w.repo("shop");
    let (task, wt) = w.task(&repo, "claude");
    tool_call(&w, &wt, "cargo test");
    let events = all_events(&w);

    // 500, then 200.
    let rx = Receiver::start(&python, 0, &["--fail", "1", "--fail-status", "500"]);
    let o = w.paddock(&["otel", "export", "--endpoint", &rx.url()]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("retryable: the collector at")
            && stderr(&o).contains("answered HTTP 500"),
        "{}",
        stderr(&o)
    );
    assert_eq!(status(&w)["cursors"][0]["last_event_id"], 0);
    assert!(rx.ids().is_empty());
    ok(
        &w.paddock(&["otel", "export", "--endpoint", &rx.url()]),
        "export after the 500",
    );
    assert_eq!(rx.ids(), ids_of(&events));

    // A 4xx is permanent: said so, cursor unchanged.
    let refusing = Receiver::start(&python, 0, &["--fail", "1", "--fail-status", "400"]);
    let o = w.paddock(&["otel", "export", "--endpoint", &refusing.url()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("permanent"), "{}", stderr(&o));

    // Partial success: accepted (the cursor moves), the rejected count reported.
    let partial = Receiver::start(&python, 0, &["--reject", "1"]);
    let o = w.paddock(&[
        "otel",
        "export",
        "--endpoint",
        &partial.url(),
        "--task",
        &task,
        "--protocol",
        "protobuf",
    ]);
    let text = ok(&o, "export to a partial collector");
    let n = events.len();
    assert!(
        text.contains(&format!("exported {} record(s)", n - 1)),
        "{text}"
    );
    assert!(
        stderr(&o).contains("1 record(s) rejected: test rejects 1"),
        "{}",
        stderr(&o)
    );
    let st = status(&w);
    let cursor = st["cursors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["task"] == task.as_str())
        .unwrap()
        .clone();
    assert_eq!(cursor["rejected"], 1);
    assert_eq!(cursor["lag"], 0);
    let json_partial = Receiver::start(&python, 0, &["--reject", "2"]);
    let o = w.paddock(&[
        "otel",
        "export",
        "--endpoint",
        &json_partial.url(),
        "--protocol",
        "json",
    ]);
    ok(&o, "export to a partial JSON collector");
    assert!(
        stderr(&o).contains("2 record(s) rejected"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn follow_waits_out_a_collector_that_is_down_and_keeps_exporting_new_events() {
    let Some(python) = otlp_python() else { return };
    let w = World::new();
    let repo = w.repo("shop");
    let (_task, wt) = w.task(&repo, "claude");
    let port = free_port();
    let logs = tempfile::tempdir().unwrap();
    let mut follow = w
        .cmd(&[
            "otel",
            "export",
            "--follow",
            "--interval-secs",
            "1",
            "--endpoint",
            &format!("http://127.0.0.1:{port}"),
            "--protocol",
            "json",
        ])
        .stdout(std::fs::File::create(logs.path().join("out")).unwrap())
        .stderr(std::fs::File::create(logs.path().join("err")).unwrap())
        .spawn()
        .unwrap();
    let read_err = || std::fs::read_to_string(logs.path().join("err")).unwrap_or_default();
    wait_for("follow reports the collector down", || {
        read_err().contains("retrying with backoff")
    });
    tool_call(&w, &wt, "cargo test");

    let rx = Receiver::start(&python, port, &[]);
    wait_for(
        "follow delivers every event once the collector is up",
        || rx.ids().len() >= all_events(&w).len(),
    );
    assert_eq!(rx.ids(), ids_of(&all_events(&w)));

    tool_call(&w, &wt, "cargo build");
    hook(&w, user_prompt(&wt, "now add a test for rounding"));
    wait_for("follow exports events written while it runs", || {
        rx.ids().len() >= all_events(&w).len()
    });
    assert!(
        follow.try_wait().unwrap().is_none(),
        "follow stopped: {}",
        read_err()
    );
    let _ = follow.kill();
    let _ = follow.wait();
    let events = all_events(&w);
    assert_eq!(rx.ids(), ids_of(&events), "every event exactly once");
    let prompts: Vec<Value> = rx
        .records()
        .into_iter()
        .filter(|r| attr(r, "paddock.kind") == "agent.prompt")
        .collect();
    assert_eq!(attr(&prompts[0], "prompt"), "now add a test for rounding");
    assert!(read_err().contains("answers again"), "{}", read_err());
}
