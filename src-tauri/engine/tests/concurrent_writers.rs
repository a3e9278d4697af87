//! Several processes append to the same audit log at once; none of their
//! events may be lost and the chain must stay intact.

use std::process::Command;

use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::Store;

const DB_ENV: &str = "PADDOCK_TEST_WRITER_DB";
const ID_ENV: &str = "PADDOCK_TEST_WRITER_ID";
const PROCESSES: usize = 8;
const EVENTS_EACH: usize = 1_000;

/// The child side: does nothing unless started by the parent test below.
#[test]
fn writer_child() {
    let (Some(db), Some(id)) = (std::env::var_os(DB_ENV), std::env::var_os(ID_ENV)) else {
        return;
    };
    let id = id.to_string_lossy().into_owned();
    let mut store = Store::open(std::path::Path::new(&db)).expect("child opens the store");
    for i in 0..EVENTS_EACH {
        audit::record(
            &mut store,
            NewEvent::new(
                "test.concurrent",
                Actor::Agent(format!("writer-{id}")),
                format!("event {i}"),
            )
            .task(format!("writer-{id}"))
            .payload(serde_json::json!({ "writer": id, "i": i })),
        )
        .expect("append succeeds under contention");
    }
}

#[test]
fn eight_processes_writing_at_once_lose_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("paddock.db");
    // Create and migrate once up front, as the app would have.
    drop(Store::open(&db).unwrap());

    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "writer_child",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(DB_ENV, &db)
                .env(ID_ENV, i.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a writer process failed");
    }

    let store = Store::open(&db).unwrap();
    let report = audit::verify(&store).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.events, (PROCESSES * EVENTS_EACH) as i64);
    for i in 0..PROCESSES {
        let mine = audit::list(&store, Some(&format!("writer-{i}"))).unwrap();
        let seen: Vec<i64> = mine
            .iter()
            .map(|e| {
                serde_json::from_str::<serde_json::Value>(&e.payload).unwrap()["i"]
                    .as_i64()
                    .unwrap()
            })
            .collect();
        // Every event of every writer, in the order that writer wrote them.
        assert_eq!(
            seen,
            (0..EVENTS_EACH as i64).collect::<Vec<_>>(),
            "writer {i}"
        );
    }
}
