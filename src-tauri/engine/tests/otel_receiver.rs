//! The OpenTelemetry receiver over real sockets on 127.0.0.1 and a real
//! store: OTLP/JSON and OTLP/protobuf bodies built with `opentelemetry-proto`
//! become `agent.telemetry` events of the task named in the path, redacted;
//! noise is counted, not stored; bad requests are refused with a reason.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

use git2::{Repository, RepositoryInitOptions, Signature};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use paddock_engine::otel_receiver::{
    OtelListen, OtelReceiver, OtelSettings, DROPPED_KIND, EVENT_KIND, MAX_BODY,
};
use paddock_engine::task::{self, Agent, NewTask};
use paddock_engine::{audit, redact, PaddockHome, Store};
use prost::Message;
use serde_json::Value;

struct World {
    _dir: tempfile::TempDir,
    home: PaddockHome,
    task: String,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let home = PaddockHome::at(root.join("paddock-home")).unwrap();
    let mut store = Store::open_home(&home).unwrap();
    let repo_path = root.join("shop");
    std::fs::create_dir_all(&repo_path).unwrap();
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(&repo_path, &opts).unwrap();
    std::fs::write(repo_path.join("tax.rs"), "fn rate() -> u32 { 7 }\n").unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("Test", "test@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "first", &tree, &[])
        .unwrap();
    let t = task::create(
        &mut store,
        &home,
        NewTask {
            repo: repo_path,
            goal: "Fix checkout tax calculation and add tests".into(),
            base: None,
            agent: Agent::Claude,
            copy: Vec::new(),
            accept_goal_warnings: false,
        },
    )
    .unwrap();
    World {
        _dir: dir,
        home,
        task: t.id,
    }
}

fn start(w: &World, only_task: Option<&str>, listen: OtelListen) -> OtelReceiver {
    OtelReceiver::start(
        OtelSettings {
            database: w.home.database(),
            only_task: only_task.map(str::to_string),
        },
        &[listen],
    )
    .unwrap()
}

fn tcp(w: &World) -> (OtelReceiver, SocketAddr) {
    let r = start(w, None, OtelListen::Tcp(([127, 0, 0, 1], 0).into()));
    let addr = r.tcp_addr().unwrap();
    (r, addr)
}

/// One HTTP/1.1 exchange: (status, body).
fn exchange(mut s: impl Read + Write, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (and close) before the whole body is sent.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(raw.len(), |i| i + 4);
    (status, raw[split..].to_vec())
}

fn post(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    exchange(TcpStream::connect(addr).unwrap(), &head, body)
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

fn request(service: &str, records: Vec<LogRecord>) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![kv("service.name", s(service))],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// A record as Claude Code sends it: the short name in `event.name`, the
/// namespaced one in the body.
fn claude_record(short: &str, attrs: Vec<KeyValue>) -> LogRecord {
    let mut attributes = vec![kv("event.name", s(short))];
    attributes.extend(attrs);
    LogRecord {
        time_unix_nano: 1_796_409_314_560_000_000,
        body: Some(AnyValue {
            value: Some(s(&format!("claude_code.{short}"))),
        }),
        attributes,
        ..Default::default()
    }
}

/// A record as Codex sends it: the namespaced name in `event.name`, no body.
fn codex_record(name: &str, attrs: Vec<KeyValue>) -> LogRecord {
    let mut attributes = vec![kv("event.name", s(name))];
    attributes.extend(attrs);
    LogRecord {
        observed_time_unix_nano: 1_796_409_382_349_867_789,
        attributes,
        ..Default::default()
    }
}

fn telemetry(w: &World) -> Vec<audit::Event> {
    let store = Store::open_home(&w.home).unwrap();
    audit::list(&store, Some(&w.task))
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("agent.telemetry"))
        .collect()
}

fn payload(e: &audit::Event) -> Value {
    serde_json::from_str(&e.payload).unwrap()
}

const HELD: &str = "hunter2-held-by-the-keychain";
const TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";

#[test]
fn json_records_become_redacted_timeline_events_of_the_task() {
    let w = world();
    redact::add_known_secrets([HELD.to_string()]);
    let (r, addr) = tcp(&w);
    let body = serde_json::to_vec(&request(
        "claude-code",
        vec![
            claude_record("user_prompt", vec![kv("prompt_length", s("55"))]),
            claude_record(
                "tool_decision",
                vec![
                    kv("tool_name", s("Bash")),
                    kv("decision", s("accept")),
                    kv("source", s("config")),
                    kv(
                        "tool_parameters",
                        s(&format!(
                            "{{\"command\":\"export T={TOKEN}; echo {HELD}\"}}"
                        )),
                    ),
                    kv("event.sequence", any_value::Value::IntValue(3)),
                ],
            ),
        ],
    ))
    .unwrap();
    let path = format!("/tasks/{}/v1/logs", w.task);
    let (status, answer) = post(addr, &path, "application/json", &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer, serde_json::json!({}));

    let events = telemetry(&w);
    assert_eq!(events.len(), 2, "{events:?}");
    let decision = &events[1];
    assert_eq!(decision.kind, EVENT_KIND);
    assert_eq!(decision.actor, "agent:claude");
    assert_eq!(
        decision.reason,
        "claude_code.tool_decision: Bash accept (config)"
    );
    let p = payload(decision);
    assert_eq!(p["agent"], "claude");
    assert_eq!(p["event"], "claude_code.tool_decision");
    assert_eq!(p["attributes"]["tool_name"], "Bash");
    assert_eq!(p["attributes"]["event.sequence"], 3);
    assert_eq!(p["time"], "2026-12-04T18:35:14.56Z");
    let mut keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["agent", "attributes", "event", "time"]);
    let params = p["attributes"]["tool_parameters"].as_str().unwrap();
    assert!(params.contains(redact::REDACTED), "{params}");
    for e in &events {
        assert!(
            !e.payload.contains(TOKEN) && !e.payload.contains(HELD),
            "{e:?}"
        );
    }
    assert_eq!(payload(&events[0])["event"], "claude_code.user_prompt");
    assert_eq!(r.counts().records_stored, 2);
    r.stop();
}

#[test]
fn protobuf_records_are_stored_and_noise_is_only_counted() {
    let w = world();
    let (r, addr) = tcp(&w);
    let mut records = vec![codex_record(
        "codex.tool_result",
        vec![
            kv("tool_name", s("exec_command")),
            kv("success", s("true")),
            kv("duration_ms", any_value::Value::IntValue(12)),
        ],
    )];
    for _ in 0..5 {
        records.push(codex_record(
            "codex.sse_event",
            vec![kv("event.kind", s("delta"))],
        ));
    }
    records.push(codex_record("codex.websocket_request", vec![]));
    // Codex's internal tracing lines: no event name, no attributes.
    records.push(LogRecord {
        body: Some(AnyValue {
            value: Some(s("event otel/src/metrics/client.rs:330")),
        }),
        ..Default::default()
    });
    let body = request("codex_exec", records).encode_to_vec();
    let path = format!("/tasks/{}/v1/logs", w.task);
    let (status, answer) = post(addr, &path, "application/x-protobuf", &body);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let answer = ExportLogsServiceResponse::decode(answer.as_slice()).unwrap();
    assert_eq!(answer.partial_success, None);

    let events = telemetry(&w);
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, [EVENT_KIND, DROPPED_KIND], "{events:?}");
    let p = payload(&events[0]);
    assert_eq!(p["agent"], "codex");
    assert_eq!(p["event"], "codex.tool_result");
    assert_eq!(p["time"], "2026-12-04T18:36:22.349867789Z");
    assert_eq!(
        events[0].reason,
        "codex.tool_result: exec_command success=true ms=12"
    );
    let dropped = payload(&events[1]);
    assert_eq!(dropped["total"], 7);
    assert_eq!(dropped["dropped"]["(unnamed)"], 1);
    assert_eq!(dropped["dropped"]["codex.sse_event"], 5);
    assert_eq!(dropped["dropped"]["codex.websocket_request"], 1);
    assert!(!events
        .iter()
        .any(|e| payload(e)["event"] == "codex.sse_event"));
    let c = r.counts();
    assert_eq!(
        (c.log_requests, c.records_stored, c.records_dropped),
        (1, 1, 7)
    );
    r.stop();
}

#[test]
fn metrics_and_traces_are_answered_and_counted_but_not_stored() {
    let w = world();
    let (r, addr) = tcp(&w);
    for signal in ["metrics", "traces"] {
        let path = format!("/tasks/{}/v1/{signal}", w.task);
        let (status, body) = post(addr, &path, "application/json", b"{\"resourceMetrics\":[]}");
        assert_eq!(status, 200, "{signal}: {}", String::from_utf8_lossy(&body));
        let (status, _) = post(addr, &path, "application/x-protobuf", b"");
        assert_eq!(status, 200, "{signal}");
    }
    let c = r.counts();
    assert_eq!((c.metrics_requests, c.traces_requests), (2, 2));
    assert!(telemetry(&w).is_empty());
    r.stop();
}

#[test]
fn bad_requests_are_refused_with_a_reason_and_nothing_is_stored() {
    let w = world();
    let (r, addr) = tcp(&w);
    let good = serde_json::to_vec(&request(
        "claude-code",
        vec![claude_record("user_prompt", vec![])],
    ))
    .unwrap();

    let (status, body) = post(addr, "/tasks/nosuchtask/v1/logs", "application/json", &good);
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("no task nosuchtask"));

    let path = format!("/tasks/{}/v1/logs", w.task);
    let (status, body) = post(addr, &path, "application/json", b"{\"resourceLogs\": 7");
    assert_eq!(status, 400);
    assert!(
        String::from_utf8_lossy(&body).contains("OTLP/JSON"),
        "{body:?}"
    );
    let (status, body) = post(addr, &path, "application/x-protobuf", b"\xff\xff\xff\xff");
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("protobuf"));

    let (status, _) = post(addr, &path, "text/plain", &good);
    assert_eq!(status, 415);
    let (status, _) = post(addr, "/v1/logs", "application/json", &good);
    assert_eq!(status, 404);

    // Declared too large: refused before the body is read.
    let huge = vec![b' '; MAX_BODY + 1];
    let (status, body) = post(addr, &path, "application/json", &huge);
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));
    // Too large without a declared length (chunked, as Claude Code sends).
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut chunked = Vec::new();
    for _ in 0..5 {
        let chunk = vec![b' '; 1024 * 1024];
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (status, _) = exchange(TcpStream::connect(addr).unwrap(), &head, &chunked);
    assert_eq!(status, 413);

    assert!(telemetry(&w).is_empty());
    assert_eq!(r.counts().refused_requests, 7);
    r.stop();
}

#[test]
fn a_receiver_for_one_task_refuses_the_others() {
    let w = world();
    let sock: PathBuf = w.home.root().join("otel.sock");
    let r = start(&w, Some(&w.task), OtelListen::Unix(sock.clone()));
    let body = serde_json::to_vec(&request(
        "claude-code",
        vec![claude_record("user_prompt", vec![])],
    ))
    .unwrap();
    let send = |path: &str| {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        exchange(
            std::os::unix::net::UnixStream::connect(Path::new(&sock)).unwrap(),
            &head,
            &body,
        )
    };
    let (status, text) = send("/tasks/othertask/v1/logs");
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&text).contains(&w.task));
    let (status, _) = send(&format!("/tasks/{}/v1/logs", w.task));
    assert_eq!(status, 200);
    assert_eq!(telemetry(&w).len(), 1);
    r.stop();
    assert!(
        !sock.exists(),
        "the socket is removed when the receiver stops"
    );
}

#[test]
fn a_taken_port_is_an_error_at_start() {
    let w = world();
    let (r, addr) = tcp(&w);
    let second = OtelReceiver::start(
        OtelSettings {
            database: w.home.database(),
            only_task: None,
        },
        &[OtelListen::Tcp(addr)],
    );
    assert!(second.is_err());
    r.stop();
}
