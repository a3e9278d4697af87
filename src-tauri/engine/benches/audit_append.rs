//! Audit-log append throughput against raw SQLite inserts, measured in the same run.
//!
//! `cargo bench -p paddock-engine --bench audit_append`
//!
//! Baseline: a plain `INSERT` of the same columns into a WAL table, one
//! transaction per row, same synchronous setting. The ratio shows what the hash
//! chain and the head update cost. The 8-process run re-executes this binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::Store;

const EVENTS: usize = 2_000;
const PROCESSES: usize = 8;

fn raw_insert(db: &Path, n: usize) {
    let conn = rusqlite::Connection::open(db).expect("open raw db");
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .expect("busy timeout");
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .expect("wal");
    conn.execute_batch(
        "PRAGMA synchronous=NORMAL;
         CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, task TEXT, kind TEXT, payload TEXT, reason TEXT, actor TEXT, at TEXT)",
    )
    .expect("schema");
    for i in 0..n {
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.execute(
            "INSERT INTO events (task, kind, payload, reason, actor, at) VALUES ('t', 'bench', ?1, 'r', 'paddock', '2026-01-01T00:00:00Z')",
            [format!("{{\"i\":{i}}}")],
        )
        .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
    }
}

fn audit_append(db: &Path, n: usize) {
    let mut store = Store::open(db).expect("open store");
    for i in 0..n {
        audit::record(
            &mut store,
            NewEvent::new("bench", Actor::Paddock, "r")
                .task("t")
                .payload(serde_json::json!({ "i": i })),
        )
        .expect("record");
    }
}

fn run_processes(mode: &str, db: &Path) -> f64 {
    let exe = std::env::current_exe().expect("current exe");
    let start = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["--child", mode])
                .arg(db)
                .spawn()
                .expect("spawn child")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("wait").success(), "child failed");
    }
    (PROCESSES * EVENTS) as f64 / start.elapsed().as_secs_f64()
}

fn timed(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    EVENTS as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--child" {
        let db = PathBuf::from(&args[3]);
        match args[2].as_str() {
            "raw" => raw_insert(&db, EVENTS),
            _ => audit_append(&db, EVENTS),
        }
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let raw1 = timed(|| raw_insert(&dir.path().join("raw1.db"), EVENTS));
    let audit1 = timed(|| audit_append(&dir.path().join("audit1.db"), EVENTS));
    let raw8 = {
        let db = dir.path().join("raw8.db");
        raw_insert(&db, 0);
        run_processes("raw", &db)
    };
    let audit8 = {
        let db = dir.path().join("audit8.db");
        drop(Store::open(&db).expect("create"));
        run_processes("audit", &db)
    };
    println!("audit-log append throughput ({EVENTS} events per process)");
    println!(
        "{:<34} {:>12} {:>12} {:>8}",
        "", "raw SQLite/s", "audit/s", "ratio"
    );
    println!(
        "{:<34} {:>12.0} {:>12.0} {:>8.2}",
        "1 process",
        raw1,
        audit1,
        audit1 / raw1
    );
    println!(
        "{:<34} {:>12.0} {:>12.0} {:>8.2}",
        format!("{PROCESSES} processes"),
        raw8,
        audit8,
        audit8 / raw8
    );
}
