//! The guided first run end to end, as a new user goes through it, with
//! nothing faked: a real repository whose `.env` holds a (fake) live key, the
//! real app under Xvfb through WebDriver, the real keychain (gnome-keyring),
//! the real policy and the task's real proxy.
//!
//! First launch opens "Set up a task": the repository, the task, the eight
//! steps in order (the secret moved into the keychain, a network preset
//! chosen, the policy acknowledged, the log verified, the review gate
//! acknowledged). Midway the app is closed and started again: it reopens at
//! the same step of the same task. The last screen says "Ready" and starts
//! the real Claude Code through `paddock run` in a real terminal emulator
//! (xterm), with a scripted model on 127.0.0.1 (reached as `model.test`
//! through the proxy). The model asks for `npm install left-pad`: the request
//! waits in the tray and the Approvals window, is denied there, the agent
//! writes its note and ends its turn, and the task is listed in the Review
//! queue. Skipped with a message when Claude Code or xterm is missing (fails
//! under `PADDOCK_REQUIRE_AGENTS`).

mod support;

#[path = "../src-tauri/cli/tests/common/model_server.rs"]
mod model_server;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use model_server::{Api, ModelServer, Step};
use serde_json::Value;
use support::ui::{
    click, connect, css, find, find_css, git, invoke, paddock, screenshot, text_in, UI_WAIT,
};
use support::DesktopSession;

const GOAL: &str = "Add left-pad to the checkout form and note why";
const ASK: &str = "npm install left-pad";
const NOTE: &str = "echo 'left-pad was refused; padding done by hand' > NOTES.md";
const FINAL: &str = "left-pad was refused, so I wrote NOTES.md instead. Ready for review.";
const TEST_BUDGET: Duration = Duration::from_secs(420);

/// The native Claude Code binary the npm package installs (as the CLI tests find it).
fn claude_dir() -> Option<PathBuf> {
    let base = std::env::var_os("PADDOCK_AGENTS_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| support::target_dir().join("agents"))
        .join("node_modules/@anthropic-ai");
    ["claude-code-linux-x64", "claude-code-linux-arm64"]
        .into_iter()
        .map(|d| base.join(d))
        .find(|d| d.join("claude").is_file())
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false)
}

fn make_repo(desk: &DesktopSession, key: &str) -> PathBuf {
    let repo = desk.root.path().join("src").join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    git(desk, &repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("package.json"), "{\"name\": \"shop\"}\n").unwrap();
    std::fs::write(repo.join(".gitignore"), ".env\n").unwrap();
    git(desk, &repo, &["add", "."]);
    git(desk, &repo, &["commit", "-q", "-m", "shop"]);
    std::fs::write(
        repo.join(".env"),
        format!("STRIPE_SECRET_KEY={key}\nDEBUG=1\n"),
    )
    .unwrap();
    std::fs::canonicalize(&repo).unwrap()
}

/// A key of the live Stripe shape that no test run repeats.
fn fake_key() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::from("sk_live_");
    while out.len() < 8 + 28 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(out.len());
        let mut x = h.finish();
        for _ in 0..8 {
            out.push(ABC[(x % ABC.len() as u64) as usize] as char);
            x /= ABC.len() as u64;
        }
    }
    out.truncate(8 + 28);
    out
}

/// Wait for the wizard to show `stage` (of `task`, when given).
async fn at_stage(c: &Client, stage: &str, task: Option<&str>) {
    let sel = match task {
        Some(t) => format!("[data-testid=setup][data-stage={stage}][data-task=\"{t}\"]"),
        None => format!("[data-testid=setup][data-stage={stage}]"),
    };
    find_css(c, &sel).await;
}

/// Wait until the engine's measurement of the open step is `status`.
async fn status_is(c: &Client, status: &str) {
    find_css(
        c,
        &format!("[data-testid=setup-status][data-status={status}]"),
    )
    .await;
}

/// Click Next once the engine allows it.
async fn next(c: &Client) {
    let start = Instant::now();
    loop {
        let b = find(c, "setup-next").await;
        if b.is_enabled().await.unwrap_or(false) {
            b.click().await.expect("click Next");
            return;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "Next never became possible: {}",
            find(c, "setup-blocked")
                .await
                .text()
                .await
                .unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The app's own processes of this desktop (the one tauri-driver started).
fn app_processes(desk: &DesktopSession) -> Vec<u32> {
    desk.leftovers()
        .into_iter()
        .filter(|(_, comm)| comm == "paddock-app")
        .map(|(pid, _)| pid)
        .collect()
}

fn task_state(desk: &DesktopSession, id: &str) -> String {
    let out = desk
        .command(paddock())
        .args(["task", "show", id, "--json"])
        .stdin(Stdio::null())
        .output()
        .expect("paddock task show runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    v["state"]
        .as_str()
        .or_else(|| v["task"]["state"].as_str())
        .unwrap_or("?")
        .to_owned()
}

fn events(desk: &DesktopSession, id: &str) -> Vec<Value> {
    let out = desk
        .command(paddock())
        .args(["log", "show", "--task", id, "--json"])
        .stdin(Stdio::null())
        .output()
        .expect("paddock log show runs");
    assert!(
        out.status.success(),
        "paddock log show: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_goes_from_the_first_screen_to_claude_code_working_in_its_fence() {
    let Some(claude) = claude_dir() else {
        assert!(
            std::env::var_os("PADDOCK_REQUIRE_AGENTS").is_none(),
            "the test command installs the real agents; they are missing"
        );
        eprintln!("SKIPPED: Claude Code is not installed (npm install --prefix target/agents @anthropic-ai/claude-code)");
        return;
    };
    if !on_path("xterm") {
        assert!(
            std::env::var_os("PADDOCK_REQUIRE_AGENTS").is_none(),
            "the test command installs xterm; it is missing"
        );
        eprintln!("SKIPPED: xterm is not installed (src-tauri/scripts/deps.sh installs it)");
        return;
    }
    let mut desk = DesktopSession::start();
    let outcome = tokio::time::timeout(TEST_BUDGET, first_run(&mut desk, &claude)).await;
    let left = desk.finish();
    outcome.expect("the end-to-end test finished within its budget");
    assert!(left.is_empty(), "processes outlived the test: {left:?}");
}

async fn first_run(desk: &mut DesktopSession, claude: &Path) {
    let key = fake_key();
    let repo = make_repo(desk, &key);
    let server = ModelServer::start_steps(
        Api::Anthropic,
        vec![Step::bash(ASK), Step::bash(NOTE)],
        FINAL,
    );
    // What reaches the app, then the terminal, then `paddock run` and Claude Code:
    // the user's terminal choice, the agent on PATH, and the agent's own settings.
    let config = desk.root.path().join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let path = format!(
        "{}:{}",
        claude.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    for (k, v) in [
        ("PATH", path),
        ("PADDOCK_TERMINAL", "xterm".to_string()),
        (
            "ANTHROPIC_BASE_URL",
            format!("http://model.test:{}", server.port),
        ),
        (
            "PADDOCK_PROXY_HOSTS",
            format!("model.test=127.0.0.1:{}", server.port),
        ),
        ("ANTHROPIC_API_KEY", "dummy".to_string()),
        ("CLAUDE_CONFIG_DIR", config.display().to_string()),
        ("DISABLE_TELEMETRY", "1".to_string()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_string()),
        ("DISABLE_AUTOUPDATER", "1".to_string()),
    ] {
        desk.env.insert(k.to_string(), v);
    }

    let url = desk.start_driver();
    let c = connect(&url).await;

    eprintln!("first run: step 1");
    // 1. The first screen: no task yet, so the guided setup opens on the repository.
    at_stage(&c, "repository", None).await;
    find(&c, "repo-path")
        .await
        .send_keys(&repo.display().to_string())
        .await
        .unwrap();
    find(&c, "base-note").await;
    find(&c, "goal").await.send_keys(GOAL).await.unwrap();
    find(&c, "goal-ok").await;
    click(&c, "create-task").await;

    eprintln!("first run: step 2");
    // 2. Workspace, Branch, Goal: measured for the new task.
    at_stage(&c, "workspace", None).await;
    let task_id = find(&c, "setup")
        .await
        .attr("data-task")
        .await
        .unwrap()
        .expect("the wizard names its task");
    assert_eq!(task_id.len(), 8, "{task_id}");
    status_is(&c, "ok").await;
    let summary = find(&c, "setup-summary").await.text().await.unwrap();
    assert!(summary.contains(&task_id), "{summary}");
    assert!(!find(&c, "setup-why").await.text().await.unwrap().is_empty());
    next(&c).await;
    at_stage(&c, "branch", Some(&task_id)).await;
    status_is(&c, "ok").await;
    next(&c).await;
    at_stage(&c, "goal", Some(&task_id)).await;
    status_is(&c, "ok").await;
    next(&c).await;

    eprintln!("first run: step 3");
    // 3. Secrets: the engine finds the key in .env; moving it into the real keychain puts the step in place.
    at_stage(&c, "secrets", Some(&task_id)).await;
    status_is(&c, "warn").await;
    assert!(!find(&c, "setup-next").await.is_enabled().await.unwrap());
    click(&c, "secrets-scan").await;
    find_css(&c, "[data-testid=finding][data-name=STRIPE_SECRET_KEY]").await;
    click(&c, "secrets-move").await;
    find_css(&c, "[data-testid=held-secret][data-name=STRIPE_SECRET_KEY]").await;
    status_is(&c, "ok").await;
    let env_text = std::fs::read_to_string(repo.join(".env")).unwrap();
    assert!(
        !env_text.contains(&key),
        "the value left the file: {env_text}"
    );
    assert!(env_text.contains("paddock://"), "{env_text}");
    next(&c).await;

    eprintln!("first run: step 4");
    // 4. Network: a preset chosen here is what the engine reads back.
    at_stage(&c, "network", Some(&task_id)).await;
    find_css(&c, "[data-testid=preset][data-preset=docs][data-on=false]").await;
    click(&c, "preset-docs").await;
    find_css(&c, "[data-testid=preset][data-preset=docs][data-on=true]").await;
    status_is(&c, "ok").await;
    next(&c).await;

    eprintln!("first run: step 5");
    // 5. Commands: the policy in force; Claude Code is not wired to it yet, so the
    //    step fails until its fix in place (`paddock agent setup claude`) runs.
    at_stage(&c, "commands", Some(&task_id)).await;
    find(&c, "policy").await;
    status_is(&c, "fail").await;
    click(&c, "ack-policy_reviewed").await;
    find_css(&c, "[data-testid=ack-policy_reviewed]:checked").await;
    assert!(!find(&c, "setup-next").await.is_enabled().await.unwrap());
    click(&c, "wire-agent").await;
    status_is(&c, "ok").await;
    next(&c).await;
    at_stage(&c, "logs", Some(&task_id)).await;

    eprintln!("first run: step 6");
    // 6. Close the app midway and start it again: it reopens at the same step of the same task.
    c.close().await.expect("close the session");
    let start = Instant::now();
    while !app_processes(desk).is_empty() {
        assert!(start.elapsed() < UI_WAIT, "the app did not close");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c = connect(&url).await;
    at_stage(&c, "logs", Some(&task_id)).await;

    eprintln!("first run: step 7");
    // 7. Logs: always on; the chain verifies.
    status_is(&c, "ok").await;
    find_css(&c, "[data-testid=logs-chain][data-intact=true]").await;
    next(&c).await;

    eprintln!("first run: step 8");
    // 8. Review: merging is gated on review; the person acknowledges it.
    at_stage(&c, "review", Some(&task_id)).await;
    click(&c, "ack-review_required").await;
    find_css(&c, "[data-testid=ack-review_required]:checked").await;
    next(&c).await;

    eprintln!("first run: step 9");
    // 9. Ready, and the agent's start: Claude Code through `paddock run` in xterm.
    at_stage(&c, "ready", Some(&task_id)).await;
    find_css(&c, "[data-testid=ready][data-ready=true]").await;
    let verdict = find(&c, "ready-verdict").await.text().await.unwrap();
    assert_eq!(
        verdict,
        format!("Ready: all eight steps are in place for task {task_id}.")
    );
    find_css(&c, "[data-testid=launch-terminal][data-terminal=xterm]").await;
    find_css(&c, "[data-testid=launch-paddock][data-source=beside_app]").await;
    // Wired on the Commands step already: nothing to set up before the start.
    assert!(c.find(Locator::Css(&css("launch-setup"))).await.is_err());
    // Claude Code's print mode, so the session ends with its turn (the interactive
    // default would wait for more input in the terminal).
    let input = find(&c, "launch-command-input").await;
    input.send_keys("\u{E009}a\u{E000}").await.unwrap();
    input
        .send_keys("claude -p 'Do the scripted steps.'")
        .await
        .unwrap();
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        Some("claude -p 'Do the scripted steps.'")
    );
    let start = Instant::now();
    let command = loop {
        let text = find(&c, "launch-command").await.text().await.unwrap();
        if text.ends_with("-- claude -p 'Do the scripted steps.'") {
            break text;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "the plan never showed the command: {text}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(
        command.starts_with(
            &std::fs::canonicalize(paddock())
                .unwrap()
                .display()
                .to_string()
        ),
        "the paddock beside the app: {command}"
    );
    assert!(
        command.contains(&format!("run --task {task_id}")),
        "{command}"
    );
    assert!(
        command.contains("--keep-env ANTHROPIC_API_KEY"),
        "{command}"
    );
    screenshot(&c, "first-run.png").await;
    click(&c, "start-agent").await;
    find(&c, "started").await;

    eprintln!("first run: step 10");
    // 10. The model asks for `npm install left-pad`: the policy asks a person.
    let start = Instant::now();
    let tray = loop {
        let state = invoke(&c, "tray_state").await;
        if state["pending"].as_u64() == Some(1) {
            break state;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the tray never counted the agent's request; tray {state}; processes {:?}; events {:?}",
            desk.leftovers(),
            events(desk, &task_id)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(tray["items"][0]["label"], format!("{task_id}: {ASK}"));
    click(&c, "nav-approvals").await;
    let card = find_css(&c, "[data-testid=approval]").await;
    assert_eq!(text_in(&card, "approval-action").await, ASK);
    card.find(Locator::Css(&css("deny")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    eprintln!("first run: step 11");
    // 11. The agent goes on, ends its turn; the Stop hook queues its work for review.
    let start = Instant::now();
    while task_state(desk, &task_id) != "awaiting_review" {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "the task never reached review (state {}); events {:?}",
            task_state(desk, &task_id),
            events(desk, &task_id)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    click(&c, "nav-review").await;
    find_css(
        &c,
        &format!("[data-testid=queue-entry][data-task-id=\"{task_id}\"]"),
    )
    .await;
    // The terminal closes with the agent (it exited cleanly).
    let start = Instant::now();
    while desk.leftovers().iter().any(|(_, comm)| comm == "xterm") {
        assert!(
            start.elapsed() < UI_WAIT,
            "xterm stayed open (the command failed?): {:?}",
            desk.leftovers()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // What the log says: the setup's acknowledgements, the start, the ask and its denial.
    let ev = events(desk, &task_id);
    let kinds: Vec<&str> = ev.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "setup.ack").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"agent.setup"), "{kinds:?}");
    assert!(kinds.contains(&"agent.launch"), "{kinds:?}");
    assert!(kinds.contains(&"sandbox.started"), "{kinds:?}");
    let asked = ev
        .iter()
        .find(|e| e["kind"] == "agent.action" && e["payload"].as_str().unwrap_or("").contains(ASK))
        .unwrap_or_else(|| panic!("no agent.action for {ASK}: {kinds:?}"));
    assert!(
        asked["payload"].as_str().unwrap().contains("\"ask\""),
        "{asked}"
    );
    assert!(
        server.all_text().contains("denied by user (app)"),
        "Claude Code was told who denied the request, and why"
    );
    let notes = git(
        desk,
        &repo,
        &[
            "show",
            &format!("paddock/{}:NOTES.md", branch_tail(desk, &task_id)),
        ],
    );
    assert!(notes.contains("left-pad was refused"), "{notes}");

    c.close().await.expect("close the session");
}

/// The task's branch name after `paddock/` (read from the CLI).
fn branch_tail(desk: &DesktopSession, id: &str) -> String {
    let out = desk
        .command(paddock())
        .args(["task", "show", id, "--json"])
        .stdin(Stdio::null())
        .output()
        .expect("paddock task show runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let branch = v["branch"]
        .as_str()
        .or_else(|| v["task"]["branch"].as_str())
        .unwrap_or("")
        .to_owned();
    branch.trim_start_matches("paddock/").to_owned()
}
