//! The Secrets step end to end, with nothing faked: a repository whose
//! (gitignored) `.env` holds a Stripe key and an OpenAI key; the real
//! `paddock` CLI makes a task; in the real app (tauri-driver +
//! WebKitWebDriver under Xvfb, the GNOME keyring on a private D-Bus) the
//! person selects Secrets, scans, sees both findings with masked previews and
//! moves them to the keychain in one action. The real CLI then lists both as
//! held, the `.env` holds `paddock://` references only, `paddock exec` hands
//! the values back from the keychain, and neither value appears in the page,
//! the worktree or the audit log.

mod support;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::Value;
use support::ui::{click, connect, css, find_css, git, paddock, screenshot, UI_WAIT};
use support::DesktopSession;

const GOAL: &str = "Fix the checkout tax rounding and add tests";
const TEST_BUDGET: Duration = Duration::from_secs(300);

/// `n` random letters and digits (fresh per run: no fixed value to leak from a cache).
fn random_alnum(n: usize) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::new();
    while out.len() < n {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(out.len());
        let mut x = h.finish();
        for _ in 0..8 {
            out.push(ABC[(x % ABC.len() as u64) as usize] as char);
            x /= ABC.len() as u64;
        }
    }
    out.truncate(n);
    out
}

/// A repository with a gitignored `.env` holding both keys.
fn make_repo(desk: &DesktopSession, stripe: &str, openai: &str) -> PathBuf {
    let repo = desk.root.path().join("src").join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    git(desk, &repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "shop\n").unwrap();
    std::fs::write(repo.join(".gitignore"), ".env\n").unwrap();
    git(desk, &repo, &["add", "."]);
    git(desk, &repo, &["commit", "-q", "-m", "shop"]);
    std::fs::write(
        repo.join(".env"),
        format!("STRIPE_SECRET_KEY={stripe}\nOPENAI_API_KEY={openai}\nDEBUG=1\n"),
    )
    .unwrap();
    std::fs::canonicalize(&repo).unwrap()
}

fn run(desk: &DesktopSession, args: &[&str]) -> Output {
    let out = desk
        .command(paddock())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("paddock runs");
    assert!(
        out.status.success(),
        "paddock {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn assert_no_value(what: &str, text: &str, values: &[&str]) {
    for v in values {
        assert!(!text.contains(v), "{what} holds a secret value");
    }
}

/// The checklist re-measures the step every few seconds: wait for `want`.
async fn summary_until(c: &Client, want: &str) {
    let start = std::time::Instant::now();
    loop {
        let got = find_css(c, &css("step-summary"))
            .await
            .text()
            .await
            .unwrap();
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "the Secrets step never said {want:?}; it says {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secrets_step_finds_both_keys_and_moves_them_to_the_keychain() {
    let mut desk = DesktopSession::start();
    let outcome = tokio::time::timeout(TEST_BUDGET, secrets_end_to_end(&mut desk)).await;
    let left = desk.finish();
    outcome.expect("the end-to-end test finished within its budget");
    assert!(left.is_empty(), "processes outlived the test: {left:?}");
}

async fn secrets_end_to_end(desk: &mut DesktopSession) {
    let stripe = format!("sk_live_{}", random_alnum(28));
    let openai = format!("sk-proj-{}-{}", random_alnum(30), random_alnum(30));
    let values = [stripe.as_str(), openai.as_str()];
    let repo = make_repo(desk, &stripe, &openai);
    let out = run(
        desk,
        &[
            "task",
            "new",
            "--repo",
            repo.to_str().unwrap(),
            "--goal",
            GOAL,
            "--base",
            "main",
            "--json",
        ],
    );
    let t: Value = serde_json::from_slice(&out.stdout).expect("the task as JSON");
    let task_id = t["id"].as_str().unwrap().to_owned();
    let worktree = PathBuf::from(t["worktree"].as_str().unwrap());

    let url = desk.start_driver();
    let c = connect(&url).await;

    // 1. Secrets: scan; both findings, masked.
    click(&c, "step-secrets").await;
    find_css(&c, &css("no-held")).await;
    summary_until(
        &c,
        "0 secrets held in the keychain for this project; 2 findings left.",
    )
    .await;
    click(&c, "secrets-scan").await;
    find_css(&c, "[data-testid=finding][data-name=STRIPE_SECRET_KEY]").await;
    find_css(&c, "[data-testid=finding][data-name=OPENAI_API_KEY]").await;
    let rows = c.find_all(Locator::Css(&css("finding"))).await.unwrap();
    assert_eq!(rows.len(), 2, "exactly the two keys are found");
    let mut previews = Vec::new();
    for p in c
        .find_all(Locator::Css(&css("finding-preview")))
        .await
        .unwrap()
    {
        previews.push(p.text().await.unwrap());
    }
    assert!(
        previews.iter().any(|p| p.starts_with("sk_live_")),
        "{previews:?}"
    );
    assert!(
        previews.iter().any(|p| p.starts_with("sk-")),
        "{previews:?}"
    );
    let source = c.source().await.unwrap();
    assert_no_value("the page after the scan", &source, &values);
    assert_no_value("the previews", &previews.join("\n"), &values);

    // 2. Move both in one action; "Protected now" lists them with references.
    click(&c, "secrets-move").await;
    find_css(&c, "[data-testid=held-secret][data-name=STRIPE_SECRET_KEY]").await;
    find_css(&c, "[data-testid=held-secret][data-name=OPENAI_API_KEY]").await;
    let held_text = find_css(&c, &css("held")).await.text().await.unwrap();
    assert!(held_text.contains("paddock://"), "{held_text}");
    let note = find_css(&c, &css("secrets-note"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        note.starts_with("Moved 2 secrets to the keychain"),
        "{note}"
    );
    summary_until(
        &c,
        "2 secrets held in the keychain for this project; 0 findings left.",
    )
    .await;
    screenshot(&c, "secrets.png").await;
    let source = c.source().await.unwrap();
    assert_no_value("the page after the move", &source, &values);

    // 3. The engine's view through the real CLI.
    let list = run(desk, &["secrets", "list", "--json"]);
    let held: Value = serde_json::from_slice(&list.stdout).unwrap();
    let mut names: Vec<_> = held
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["OPENAI_API_KEY", "STRIPE_SECRET_KEY"]);
    assert_no_value(
        "secrets list",
        &String::from_utf8_lossy(&list.stdout),
        &values,
    );

    let env = std::fs::read_to_string(repo.join(".env")).unwrap();
    assert_no_value("the .env", &env, &values);
    for line in env.lines().filter(|l| l.contains("_KEY=")) {
        let value = line.split_once('=').unwrap().1;
        assert!(value.starts_with("paddock://"), "{line} is not a reference");
    }
    assert!(env.contains("DEBUG=1"), "the rest of the .env is untouched");

    let mut files = Vec::new();
    files_under(&worktree, &mut files);
    for f in &files {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        assert_no_value(&f.display().to_string(), &text, &values);
    }

    // The keychain gives them back to a command the person runs.
    for (name, value) in [("STRIPE_SECRET_KEY", &stripe), ("OPENAI_API_KEY", &openai)] {
        let out = run(
            desk,
            &[
                "exec", "--task", &task_id, "--secret", name, "--", "printenv", name,
            ],
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), value.as_str());
    }

    // No value in the audit log.
    let log = run(desk, &["log", "show", "--json"]);
    let log = String::from_utf8_lossy(&log.stdout).into_owned();
    assert!(log.contains("secret"), "the move is audited");
    assert_no_value("the audit log", &log, &values);

    c.close().await.expect("close the session");
}
