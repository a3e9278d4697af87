//! The real `paddock` binary against a temp PADDOCK_HOME: version, log show,
//! log verify (naming a row edited with the sqlite3 CLI), and the clear
//! one-line errors that bad input gets, with nothing deleted.

use std::path::Path;
use std::process::{Command, Output};

use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::{PaddockHome, Store};

fn paddock(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paddock"))
        .args(args)
        .env("PADDOCK_HOME", home)
        .env("HOME", home)
        .output()
        .expect("the paddock binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn seed_events(home: &Path, n: usize) {
    let home = PaddockHome::at(home).unwrap();
    let mut store = Store::open_home(&home).unwrap();
    for i in 0..n {
        audit::record(
            &mut store,
            NewEvent::new(
                "test.step",
                Actor::Agent("claude".into()),
                format!("step {i}"),
            )
            .task(if i % 2 == 0 { "alpha" } else { "beta" })
            .payload(serde_json::json!({ "i": i })),
        )
        .unwrap();
    }
}

#[test]
fn version_names_the_version_and_the_state_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = paddock(dir.path(), &["version"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(
        s.starts_with(&format!("paddock {}", paddock_engine::VERSION)),
        "{s}"
    );
    assert!(s.contains(&dir.path().display().to_string()), "{s}");
}

#[test]
fn help_lists_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = paddock(dir.path(), &["--help"]);
    assert!(out.status.success());
    let s = text(&out.stdout);
    for cmd in ["version", "log", "doctor"] {
        assert!(s.contains(cmd), "help lacks {cmd}: {s}");
    }
}

#[test]
fn log_show_prints_a_timeline_filtered_by_task() {
    let dir = tempfile::tempdir().unwrap();
    seed_events(dir.path(), 4);
    let out = paddock(dir.path(), &["log", "show", "--task", "alpha"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let lines: Vec<_> = s.lines().collect();
    assert_eq!(lines.len(), 2, "{s}");
    assert!(
        lines[0].contains("alpha")
            && lines[0].contains("step 0")
            && lines[0].contains("agent:claude")
    );
    assert!(!s.contains("beta"));

    let json = paddock(dir.path(), &["log", "show", "--json"]);
    let rows: Vec<serde_json::Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[3]["reason"], "step 3");
}

#[test]
fn log_verify_names_a_row_edited_with_the_sqlite3_cli() {
    let dir = tempfile::tempdir().unwrap();
    seed_events(dir.path(), 6);
    let ok = paddock(dir.path(), &["log", "verify"]);
    assert!(ok.status.success());
    assert!(text(&ok.stdout).contains("6 events, hash chain intact"));

    let db = dir.path().join("paddock.db");
    // The guard trigger stops a plain UPDATE; a tamperer drops it first.
    let blocked = Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE events SET reason = 'nothing to see' WHERE id = 3;")
        .output()
        .expect("sqlite3 CLI is installed");
    assert!(!blocked.status.success());
    assert!(text(&blocked.stderr).contains("append-only"));
    let edit = Command::new("sqlite3")
        .arg(&db)
        .arg("DROP TRIGGER events_no_update; UPDATE events SET reason = 'nothing to see' WHERE id = 3;")
        .output()
        .unwrap();
    assert!(edit.status.success(), "{}", text(&edit.stderr));

    let out = paddock(dir.path(), &["log", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(s.contains("TAMPERED"), "{s}");
    assert!(s.contains("row 3 was edited"), "{s}");
}

#[test]
fn log_verify_names_a_deleted_row() {
    let dir = tempfile::tempdir().unwrap();
    seed_events(dir.path(), 6);
    let db = dir.path().join("paddock.db");
    let del = Command::new("sqlite3")
        .arg(&db)
        .arg("DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = 4;")
        .output()
        .unwrap();
    assert!(del.status.success());
    let out = paddock(dir.path(), &["log", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("row 4 was deleted"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_corrupt_database_gives_one_clear_line_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("paddock.db");
    let junk = b"not sqlite at all; somebody's precious bytes\n".repeat(100);
    std::fs::write(&db, &junk).unwrap();
    for args in [&["log", "show"][..], &["log", "verify"][..]] {
        let out = paddock(dir.path(), args);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("is not a Paddock database"), "{err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), junk);
}

#[test]
fn an_unusable_paddock_home_gives_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: fails even for root, unlike permissions.
    let file = dir.path().join("occupied");
    std::fs::write(&file, b"keep me").unwrap();
    let out = paddock(&file.join("home"), &["log", "show"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot use") && err.contains("PADDOCK_HOME"),
        "{err}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn an_unknown_subcommand_gives_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = paddock(dir.path(), &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("unrecognized subcommand 'frobnicate'"),
        "{err}"
    );
    // Nothing was created for a command that was never run.
    assert!(!dir.path().join("paddock.db").exists());
}

#[test]
fn doctor_reports_every_check_with_a_fix_for_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_paddock"))
        .args(["doctor", "--json"])
        .env("PADDOCK_HOME", dir.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    let checks: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<_> = checks
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    for n in [
        "WebKitGTK 4.1",
        "Tray (AppIndicator)",
        "D-Bus session",
        "Secret Service (keychain)",
        "Notification daemon",
        "bubblewrap",
        "Landlock",
    ] {
        assert!(names.iter().any(|x| x == n), "missing check {n}: {names:?}");
    }
    // Without a session bus, the bus-based checks are missing and say how to fix it.
    let dbus = checks
        .iter()
        .find(|c| c["name"] == "D-Bus session")
        .unwrap();
    assert_eq!(dbus["health"], "missing");
    assert!(dbus["fix"].as_str().unwrap().contains("dbus-run-session"));
    assert!(
        !out.status.success(),
        "doctor exits non-zero when something is missing"
    );
}
