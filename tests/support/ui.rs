//! What every end-to-end test does with the real window and the real tools:
//! connect through tauri-driver, find and click by `data-testid`, save a
//! screenshot under `target/e2e/`, run the real `paddock` CLI and git.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::Value;

use super::DesktopSession;

/// The app binary cargo built for this test crate.
pub const APP: &str = env!("CARGO_BIN_EXE_paddock-app");

/// How long the window may take to show something (a first WebKit start on 2 busy cores is slow).
pub const UI_WAIT: Duration = Duration::from_secs(40);

/// The real `paddock` CLI (the test command builds the workspace before the tests run).
pub fn paddock() -> PathBuf {
    let p = super::target_dir().join("debug/paddock");
    assert!(
        p.is_file(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        p.display()
    );
    p
}

/// A WebDriver session on a fresh instance of the app.
pub async fn connect(url: &str) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": APP }),
    );
    caps.insert("browserName".into(), serde_json::json!("wry"));
    ClientBuilder::native()
        .capabilities(caps)
        .connect(url)
        .await
        .expect("tauri-driver starts the app")
}

pub fn css(test_id: &str) -> String {
    format!("[data-testid={test_id}]")
}

pub async fn find_css(c: &Client, selector: &str) -> Element {
    c.wait()
        .at_most(UI_WAIT)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector} never appeared: {e}"))
}

pub async fn find(c: &Client, test_id: &str) -> Element {
    find_css(c, &css(test_id)).await
}

pub async fn click(c: &Client, test_id: &str) {
    find(c, test_id)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {test_id}: {e}"));
}

/// Save what the window shows as `target/e2e/<name>`.
pub async fn screenshot(c: &Client, name: &str) {
    let png = tokio::time::timeout(Duration::from_secs(60), c.screenshot())
        .await
        .expect("WebKitWebDriver answered the screenshot request")
        .expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let out = super::target_dir().join("e2e");
    std::fs::create_dir_all(&out).expect("target/e2e");
    std::fs::write(out.join(name), &png).expect("write the screenshot");
}

/// Run git with a private, empty configuration; panics with git's words on failure.
pub fn git(desk: &DesktopSession, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Paddock E2E",
            "-c",
            "user.email=e2e@paddock.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("HOME", desk.path("HOME"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// A git repository at `src/shop` on `main` with one commit holding `file`
/// (`text`); returns its canonical path.
pub fn make_repo(desk: &DesktopSession, file: &str, text: &str) -> PathBuf {
    let repo = desk.root.path().join("src").join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    git(desk, &repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join(file), text).unwrap();
    git(desk, &repo, &["add", "."]);
    git(desk, &repo, &["commit", "-q", "-m", "shop"]);
    std::fs::canonicalize(&repo).unwrap()
}

/// `paddock task new` on `main` through the real CLI; returns the task as JSON.
pub fn new_task(desk: &DesktopSession, repo: &Path, goal: &str) -> Value {
    let out = desk
        .command(paddock())
        .args(["task", "new", "--repo"])
        .arg(repo)
        .args(["--goal", goal, "--base", "main", "--json"])
        .stdin(Stdio::null())
        .output()
        .expect("paddock task new runs");
    assert!(
        out.status.success(),
        "paddock task new: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("paddock task new --json prints the task")
}

/// A real `paddock hook --agent claude` for `task`, fed `event` (a Claude Code
/// hook event) and left waiting in the background for its answer.
pub fn spawn_hook(desk: &DesktopSession, task: &Value, timeout_secs: u64, event: &Value) -> Child {
    let mut child = desk
        .command(paddock())
        .args(["hook", "--agent", "claude", "--task"])
        .arg(task["id"].as_str().unwrap())
        .args(["--timeout-secs", &timeout_secs.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("paddock hook starts");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(event.to_string().as_bytes()).unwrap();
    drop(stdin);
    child
}

/// The text of the element with `test_id` inside `el`.
pub async fn text_in(el: &Element, test_id: &str) -> String {
    el.find(Locator::Css(&css(test_id)))
        .await
        .unwrap_or_else(|e| panic!("no {test_id}: {e}"))
        .text()
        .await
        .unwrap()
}

/// `dunstctl` inside the desktop (its D-Bus), parsed as JSON when asked.
pub fn dunstctl(desk: &DesktopSession, args: &[&str]) -> String {
    let out = desk
        .command("dunstctl")
        .args(args)
        .output()
        .expect("dunstctl runs");
    assert!(
        out.status.success(),
        "dunstctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// (summary, body) of every notification in dunst's history.
pub fn dunst_history(desk: &DesktopSession) -> Vec<(String, String)> {
    let v: serde_json::Value =
        serde_json::from_str(&dunstctl(desk, &["history"])).expect("history is JSON");
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|page| page.as_array().cloned().unwrap_or_default())
        .map(|n| {
            (
                n["summary"]["data"].as_str().unwrap_or("").to_owned(),
                n["body"]["data"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Call one of the app's own commands from inside the window (as the UI does).
pub async fn invoke(c: &Client, command: &str) -> Value {
    let script = r#"
        const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke(arguments[0]).then(
            (v) => done({ ok: v === undefined ? null : v }),
            (e) => done({ err: String(e) }));
    "#;
    let out = c
        .execute_async(script, vec![Value::String(command.into())])
        .await
        .unwrap_or_else(|e| panic!("cannot call {command}: {e}"));
    if let Some(err) = out.get("err") {
        panic!("{command} failed: {err}");
    }
    out["ok"].clone()
}

/// Wait until the tray shows `want` pending requests; returns its state.
pub async fn tray_until(c: &Client, want: u64) -> Value {
    let start = Instant::now();
    loop {
        let state = invoke(c, "tray_state").await;
        if state["pending"].as_u64() == Some(want) {
            return state;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "the tray never counted {want}; it shows {state}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What a `paddock hook` process answered.
pub struct HookResult {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl HookResult {
    /// The hook's `hookSpecificOutput` (Claude Code's decision object).
    pub fn decision(&self) -> Value {
        serde_json::from_str::<Value>(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "the hook printed no JSON ({e}): stdout {:?} stderr {:?}",
                self.stdout, self.stderr
            )
        })["hookSpecificOutput"]
            .clone()
    }
}

/// Wait for a hook process to answer (killed if it takes longer than `within`).
pub async fn answer(mut child: Child, within: Duration) -> HookResult {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return HookResult {
                code: status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            };
        }
        if start.elapsed() > within {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "paddock hook did not answer within {within:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
