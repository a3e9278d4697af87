//! OTLP export throughput against the plain JSON-lines export of the same
//! events, measured in the same run.
//!
//! `cargo bench -p paddock-engine --bench otel_export`
//!
//! Baseline: `serde_json` of each stored event (what `paddock log export
//! --format jsonl` writes). Measured: mapping + redaction + encoding of the same
//! events as OTLP requests (protobuf, JSON) in batches of 512, and a whole
//! `export_pending` pass (read, map, encode, POST, move the cursor) to a
//! collector on 127.0.0.1 that reads each request and answers 200.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Instant;

use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::otel_export::{self, Collector, ExportOptions, Protocol};
use paddock_engine::Store;

const EVENTS: usize = 5_000;
const BATCH: usize = otel_export::DEFAULT_BATCH;

fn fill(store: &mut Store) {
    let output = "test result: ok. 12 passed; 0 failed\n".repeat(40);
    for i in 0..EVENTS {
        let ev = match i % 3 {
            0 => NewEvent::new("agent.action", Actor::Agent("claude".into()), "tests, lint or local build")
                .payload(serde_json::json!({
                    "event": "PreToolUse", "tool": "Bash", "tool_use_id": format!("toolu_{i}"),
                    "session_id": "s-1", "verdict": "allow", "rule": "default:build",
                    "action": {"kind": "shell", "command": "cargo test --workspace", "cwd": "/home/u/shop"},
                    "approval": null, "decided_in_ms": 3,
                })),
            1 => NewEvent::new("agent.result", Actor::Agent("claude".into()), "Bash finished with exit code 0")
                .payload(serde_json::json!({
                    "tool": "Bash", "tool_use_id": format!("toolu_{i}"), "session_id": "s-1",
                    "input": {"command": "cargo test --workspace"}, "exit_code": 0,
                    "duration_ms": 4210, "stdout": output, "stderr": "",
                })),
            _ => NewEvent::new("network.deny", Actor::Agent("claude".into()), "evil.example is not on the allow list")
                .payload(serde_json::json!({
                    "host": "evil.example", "port": 443, "method": "CONNECT",
                    "url": "evil.example:443", "rule": "network:default-deny", "via": "proxy",
                })),
        };
        audit::record(store, ev.task("t")).expect("record");
    }
}

/// A collector that answers 200 to every request; returns its address.
fn collector() -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().expect("clone"));
                let mut s = s;
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                }
            });
        }
    });
    addr
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("paddock.db")).expect("store");
    fill(&mut store);
    let events = audit::list(&store, None).expect("list");

    let start = Instant::now();
    let mut jsonl_bytes = 0;
    for e in &events {
        jsonl_bytes += serde_json::to_vec(e).expect("json").len() + 1;
    }
    let baseline = EVENTS as f64 / start.elapsed().as_secs_f64();
    println!("baseline  jsonl export        {baseline:>10.0} events/s  {jsonl_bytes:>9} bytes");

    for protocol in [Protocol::Protobuf, Protocol::Json] {
        let start = Instant::now();
        let mut bytes = 0;
        for batch in events.chunks(BATCH) {
            let req = otel_export::request_for(batch);
            bytes += otel_export::encode(&req, protocol).expect("encode").len();
        }
        let rate = EVENTS as f64 / start.elapsed().as_secs_f64();
        println!(
            "otlp {:<9} map+encode   {rate:>10.0} events/s  {bytes:>9} bytes  ({:.2}x baseline time, {:.2}x bytes)",
            protocol.as_str(),
            baseline / rate,
            bytes as f64 / jsonl_bytes as f64
        );
    }

    let addr = collector();
    for protocol in [Protocol::Protobuf, Protocol::Json] {
        // A path of its own per protocol: a fresh cursor.
        let url = format!("http://{addr}/{}", protocol.as_str());
        let c = Collector::new(&url, protocol).expect("collector");
        let start = Instant::now();
        let report =
            otel_export::export_pending(&store, &c, &ExportOptions::default()).expect("export");
        assert_eq!(report.exported as usize, EVENTS);
        let rate = EVENTS as f64 / start.elapsed().as_secs_f64();
        println!(
            "otlp {:<9} export to 127.0.0.1 {rate:>7.0} events/s  ({} requests; {:.2}x baseline time)",
            protocol.as_str(),
            report.batches,
            baseline / rate
        );
    }
}
