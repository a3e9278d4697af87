//! Secrets against a real gnome-keyring in a private D-Bus session: the move
//! and restore round trip, redaction of held values everywhere, and keychain
//! failures in the middle of a move that lose nothing.
//!
//! Each test starts its own bus (and keyring) and runs its body in a child
//! process pointed at it: libdbus reads the bus address once per process.

mod secrets_support;

use std::collections::BTreeMap;
use std::path::Path;

use paddock_engine::audit;
use paddock_engine::secrets::{self, Keychain, KeychainError, OsKeychain, ScanOptions};
use paddock_engine::{PaddockHome, Store};
use secrets_support::plant::{self, Planted};
use secrets_support::session::{in_child, KeyringSession};

fn snapshot(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).into_iter().flatten() {
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

fn scan_all(root: &Path) -> Vec<secrets::Finding> {
    secrets::scan_tree(root, &ScanOptions::default(), &|_| {})
        .unwrap()
        .findings
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Every file under `dir` (the Paddock home: DB, WAL, backups) is free of every value.
fn assert_no_value_under(dir: &Path, planted: &[Planted]) {
    for (rel, bytes) in snapshot(dir) {
        for p in planted {
            assert!(
                !contains(&bytes, &p.value),
                "{} ({}) leaked into {rel}",
                p.rule,
                p.file
            );
        }
    }
}

fn setup() -> (tempfile::TempDir, PaddockHome, Store, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let home = PaddockHome::at(dir.path().join("home")).unwrap();
    let store = Store::open_home(&home).unwrap();
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    (dir, home, store, repo)
}

#[test]
fn values_round_trip_through_the_real_keychain_and_restore_puts_the_exact_bytes_back() {
    if !in_child() {
        let session = KeyringSession::start();
        session.run_child(
            "values_round_trip_through_the_real_keychain_and_restore_puts_the_exact_bytes_back",
            &[],
        );
        return;
    }
    let kc = OsKeychain;
    kc.set("paddock/selftest", "PING", "pong-1234").unwrap();
    assert_eq!(kc.get("paddock/selftest", "PING").unwrap(), "pong-1234");
    kc.delete("paddock/selftest", "PING").unwrap();
    assert!(matches!(
        kc.get("paddock/selftest", "PING"),
        Err(KeychainError::Missing)
    ));

    let (_dir, home, mut store, repo) = setup();
    let planted = plant::plant(&repo);
    let before = snapshot(&repo);
    let findings = scan_all(&repo);
    for p in &planted {
        assert!(
            findings
                .iter()
                .any(|f| f.rule == p.rule && f.file == p.file),
            "{} in {} not found: {findings:#?}",
            p.rule,
            p.file
        );
    }
    let report =
        secrets::move_findings(&mut store, &home, &kc, "shop", &repo, Some("t1"), &findings)
            .unwrap();
    assert_eq!(report.moved.len(), findings.len());

    // The files hold references now, and no value.
    let after = snapshot(&repo);
    for p in &planted {
        assert!(
            !contains(&after[p.file], &p.value),
            "{} still in {}",
            p.rule,
            p.file
        );
    }
    assert!(String::from_utf8_lossy(&after[".env"])
        .contains("STRIPE_SECRET_KEY=paddock://shop/STRIPE_SECRET_KEY"));
    // The keychain holds each value under the indexed service/account.
    for h in secrets::list(&store, Some("shop"), false).unwrap() {
        assert_eq!(h.keychain_service, "paddock/shop");
        assert!(kc.get(&h.keychain_service, &h.keychain_account).is_ok());
    }
    // A rescan finds nothing left to move.
    assert!(scan_all(&repo).is_empty(), "{:#?}", scan_all(&repo));

    // Held values are redacted everywhere, raw and encoded.
    let token = &planted
        .iter()
        .find(|p| p.rule == "github-pat")
        .unwrap()
        .value;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    let aws = &planted
        .iter()
        .find(|p| p.rule == "aws-secret-access-key")
        .unwrap()
        .value;
    let url = format!(
        "https://example.com/?t={}",
        aws.replace('+', "%2B").replace('/', "%2F")
    );
    for text in [
        format!("echo {token}"),
        format!("Authorization: Basic {b64}"),
        url.clone(),
    ] {
        let out = paddock_engine::redact::redact(&text);
        assert!(
            !out.contains(token.as_str()) && !out.contains(aws.as_str()),
            "{out}"
        );
        assert!(out.contains("[REDACTED]"), "{text} -> {out}");
    }
    // Even through the one writer of events, whatever the caller forgot.
    let db_password = &planted
        .iter()
        .find(|p| p.rule == "dotenv-secret")
        .unwrap()
        .value;
    audit::record(
        &mut store,
        audit::NewEvent::new(
            "test.leak",
            audit::Actor::Paddock,
            format!("the agent printed {db_password}"),
        )
        .payload(serde_json::json!({ "stdout": format!("pw={db_password} b64={b64}") })),
    )
    .unwrap();
    let events = serde_json::to_string(&audit::list(&store, None).unwrap()).unwrap();
    for p in &planted {
        assert!(!events.contains(&p.value), "{} in the audit log", p.rule);
    }
    assert!(events.contains("secrets.moved"));
    drop(store);
    assert_no_value_under(home.root(), &planted);

    // Restore: the exact bytes, and the keychain entries are gone.
    let mut store = Store::open_home(&home).unwrap();
    let r = secrets::restore(&mut store, &kc, &repo, Some("t1")).unwrap();
    assert!(r.changed_since_move.is_empty());
    assert_eq!(snapshot(&repo), before, "restore is byte-exact");
    assert!(secrets::list(&store, None, false).unwrap().is_empty());
    assert!(matches!(
        kc.get("paddock/shop", "STRIPE_SECRET_KEY"),
        Err(KeychainError::Missing)
    ));
}

/// The real keychain, and a hook that kills the keyring daemon once the
/// first value is stored and confirmed: the second store fails for real.
struct KillAfterFirst {
    inner: OsKeychain,
    pid: i32,
    sets: std::cell::Cell<u32>,
}

impl Keychain for KillAfterFirst {
    fn set(&self, s: &str, a: &str, v: &str) -> Result<(), KeychainError> {
        self.sets.set(self.sets.get() + 1);
        if self.sets.get() == 2 {
            // The first value is stored and confirmed; now the daemon dies.
            // SAFETY: signalling a child process this test started.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        self.inner.set(s, a, v)
    }
    fn get(&self, s: &str, a: &str) -> Result<String, KeychainError> {
        self.inner.get(s, a)
    }
    fn delete(&self, s: &str, a: &str) -> Result<(), KeychainError> {
        self.inner.delete(s, a)
    }
}

fn assert_failed_move_lost_nothing(
    kc: &dyn Keychain,
) -> (tempfile::TempDir, PaddockHome, Vec<Planted>) {
    let (dir, home, mut store, repo) = setup();
    let planted = plant::plant(&repo);
    let before = snapshot(&repo);
    let findings = scan_all(&repo);
    assert!(findings.len() >= planted.len());
    let err =
        secrets::move_findings(&mut store, &home, kc, "shop", &repo, None, &findings).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("keychain"), "{text}");
    for p in &planted {
        assert!(!text.contains(&p.value), "the error shows {}", p.rule);
    }
    assert_eq!(snapshot(&repo), before, "every file is byte-identical");
    assert!(secrets::list(&store, None, true).unwrap().is_empty());
    drop(store);
    assert_no_value_under(home.root(), &planted);
    (dir, home, planted)
}

#[test]
fn a_keyring_killed_in_the_middle_of_a_move_loses_nothing() {
    if !in_child() {
        let session = KeyringSession::start();
        let pid = session.keyring_pid().unwrap();
        session.run_child(
            "a_keyring_killed_in_the_middle_of_a_move_loses_nothing",
            &[("PADDOCK_TEST_KEYRING_PID", pid.to_string())],
        );
        return;
    }
    let pid: i32 = std::env::var("PADDOCK_TEST_KEYRING_PID")
        .unwrap()
        .parse()
        .unwrap();
    let kc = KillAfterFirst {
        inner: OsKeychain,
        pid,
        sets: std::cell::Cell::new(0),
    };
    assert_failed_move_lost_nothing(&kc);
    assert!(kc.sets.get() >= 2, "the failure came after a stored value");
}

#[test]
fn a_bus_without_a_secret_service_refuses_the_move_and_changes_nothing() {
    if !in_child() {
        let session = KeyringSession::bus_only();
        session.run_child(
            "a_bus_without_a_secret_service_refuses_the_move_and_changes_nothing",
            &[],
        );
        return;
    }
    assert_failed_move_lost_nothing(&OsKeychain);
}

#[test]
fn exec_env_gives_named_secrets_and_refuses_unknown_names() {
    if !in_child() {
        let session = KeyringSession::start();
        session.run_child(
            "exec_env_gives_named_secrets_and_refuses_unknown_names",
            &[],
        );
        return;
    }
    let (_dir, home, mut store, repo) = setup();
    let planted = plant::plant(&repo);
    let findings: Vec<_> = scan_all(&repo)
        .into_iter()
        .filter(|f| f.file == ".env")
        .collect();
    secrets::move_findings(
        &mut store,
        &home,
        &OsKeychain,
        "shop",
        &repo,
        None,
        &findings,
    )
    .unwrap();
    let env = secrets::exec_env(&store, &OsKeychain, "shop", &["DB_PASSWORD".into()]).unwrap();
    let want = &planted
        .iter()
        .find(|p| p.rule == "dotenv-secret")
        .unwrap()
        .value;
    assert_eq!(env, vec![("DB_PASSWORD".to_string(), want.clone())]);
    let err = secrets::exec_env(&store, &OsKeychain, "shop", &["NOPE".into()]).unwrap_err();
    assert!(err.to_string().contains("no secret NOPE"), "{err}");
    // Another project's names are not this one's.
    assert!(secrets::exec_env(&store, &OsKeychain, "other", &["DB_PASSWORD".into()]).is_err());
}
