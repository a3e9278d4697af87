//! The scenario both real-agent tests share: four scripted commands and
//! what must become of each.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::model_server::ModelServer;
use super::World;

pub const SCRIPT: [&str; 4] = [
    "echo allowed > allowed.txt",
    "cat .env > denied.txt",
    "rm seed-approved.txt",
    "rm seed-timeout.txt",
];

/// Approve every pending request whose command mentions `needle`, until stopped.
pub fn approver(
    w: &World,
    needle: &'static str,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    let home = w.paddock_home();
    let user_home = w.home();
    std::thread::spawn(move || {
        let mut approved = 0;
        while !stop.load(Ordering::Relaxed) {
            let o = Command::new(env!("CARGO_BIN_EXE_paddock"))
                .args(["approvals", "list", "--json"])
                .env("PADDOCK_HOME", &home)
                .env("HOME", &user_home)
                .output()
                .unwrap();
            let list: Vec<serde_json::Value> =
                serde_json::from_slice(&o.stdout).unwrap_or_default();
            for a in list {
                let cmd = a["action"]["command"].as_str().unwrap_or("");
                if cmd.contains(needle) {
                    let id = a["id"].as_i64().unwrap().to_string();
                    let o = Command::new(env!("CARGO_BIN_EXE_paddock"))
                        .args(["approvals", "approve", &id])
                        .env("PADDOCK_HOME", &home)
                        .env("HOME", &user_home)
                        .output()
                        .unwrap();
                    if o.status.success() {
                        approved += 1;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        approved
    })
}

/// The worktree with the files the script touches.
pub fn seed(wt: &Path) {
    std::fs::write(wt.join("seed-approved.txt"), "approve me\n").unwrap();
    std::fs::write(wt.join("seed-timeout.txt"), "nobody decides\n").unwrap();
    std::fs::write(
        wt.join(".env"),
        "STRIPE_KEY=sk_live_abcdefghijklmnop123456\n",
    )
    .unwrap();
}

/// The assertions both agents share: files on disk, the model's view, the audit log.
pub fn assert_outcomes(w: &World, t: &str, wt: &Path, server: &ModelServer) {
    assert!(wt.join("allowed.txt").exists(), "the allowed command ran");
    assert!(
        !wt.join("denied.txt").exists(),
        "the denied command did not run"
    );
    assert!(
        !wt.join("seed-approved.txt").exists(),
        "the approved command ran"
    );
    assert!(
        wt.join("seed-timeout.txt").exists(),
        "the undecided command did not run"
    );
    let seen = server.all_text();
    assert!(
        seen.contains("default:secret-read"),
        "the model got the deny reason"
    );
    assert!(
        seen.contains("nobody decided within 3 s"),
        "the model got the timeout reason"
    );
    assert!(
        !seen.contains("sk_live_abcdefghijklmnop123456"),
        "the secret never reached the model"
    );

    let events = w.events(t);
    let actions: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["kind"] == "agent.action")
        .collect();
    let verdict_of = |needle: &str| {
        actions
            .iter()
            .find(|e| {
                e["payload"]["action"]["command"]
                    .as_str()
                    .unwrap_or("")
                    .contains(needle)
            })
            .map(|e| e["payload"]["verdict"].as_str().unwrap().to_owned())
    };
    assert_eq!(verdict_of("allowed.txt").as_deref(), Some("allow"));
    assert_eq!(verdict_of("denied.txt").as_deref(), Some("deny"));
    assert_eq!(verdict_of("seed-approved").as_deref(), Some("allow"));
    assert_eq!(verdict_of("seed-timeout").as_deref(), Some("deny"));
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in [
        "approval.requested",
        "approval.decided",
        "approval.expired",
        "agent.result",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains("sk_live_abcdefghijklmnop123456"));
    assert!(w.paddock(&["log", "verify"]).status.success());
}
