//! Approvals end to end, with nothing faked: the real `paddock` CLI makes a
//! task and answers real `paddock hook` events (a Claude Code PreToolUse for
//! `npm install left-pad`, which the policy asks about); the real app, driven
//! through tauri-driver and WebKitWebDriver, shows the request under its task
//! with the command's parts, the tray counts it, and a notification reaches
//! the real notification daemon (dunst on the session's private D-Bus, read
//! back with `dunstctl history`). Approving once lets exactly that call run,
//! once: the same call asks again. Approving "for this task, this exact
//! command" lets the third identical call through without asking.

mod support;

use std::process::Child;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::Value;
use support::ui::{
    answer, click, connect, css, dunst_history, dunstctl, find, make_repo, new_task, paddock,
    screenshot, spawn_hook, text_in, tray_until, UI_WAIT,
};
use support::DesktopSession;

const GOAL: &str = "Add left-pad to the checkout form and test it";
const COMMAND: &str = "npm install left-pad";

const TEST_BUDGET: Duration = Duration::from_secs(300);

/// The approval card for request `id`, once the window shows it.
async fn card(c: &Client, id: i64) -> Element {
    c.wait()
        .at_most(UI_WAIT)
        .for_element(Locator::Css(&format!(
            "[data-testid=approval][data-approval-id=\"{id}\"]"
        )))
        .await
        .unwrap_or_else(|e| panic!("approval {id} never appeared in the window: {e}"))
}

/// A real `paddock hook` for one Claude Code PreToolUse of `COMMAND`, waiting in the background.
fn hook(desk: &DesktopSession, task: &Value, timeout_secs: u64, call: u32) -> Child {
    let event = serde_json::json!({
        "session_id": "e2e-session",
        "transcript_path": "/dev/null",
        "cwd": task["worktree"],
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": COMMAND, "description": "Install left-pad" },
        "tool_use_id": format!("toolu_e2e_{call}"),
    });
    spawn_hook(desk, task, timeout_secs, &event)
}

/// The newest pending request's id, from the engine's store (as the CLI sees it).
fn newest_pending(desk: &DesktopSession) -> Option<i64> {
    let out = desk
        .command(paddock())
        .args(["approvals", "list", "--json"])
        .output()
        .expect("paddock approvals list runs");
    let list: Value = serde_json::from_slice(&out.stdout).ok()?;
    list.as_array()?
        .iter()
        .filter_map(|a| a["id"].as_i64())
        .max()
}

async fn pending_id(desk: &DesktopSession, not: Option<i64>) -> i64 {
    let start = Instant::now();
    loop {
        if let Some(id) = newest_pending(desk) {
            if Some(id) != not {
                return id;
            }
        }
        assert!(start.elapsed() < UI_WAIT, "the hook never asked");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_reaches_the_tray_and_a_notification_and_approving_once_allows_it_once() {
    let mut desk = DesktopSession::start();
    let outcome = tokio::time::timeout(TEST_BUDGET, approvals_end_to_end(&mut desk)).await;
    let left = desk.finish();
    outcome.expect("the end-to-end test finished within its budget");
    assert!(left.is_empty(), "processes outlived the test: {left:?}");
}

async fn approvals_end_to_end(desk: &mut DesktopSession) {
    let repo = make_repo(desk, "package.json", "{\"name\": \"shop\"}\n");
    let task = new_task(desk, &repo, GOAL);
    let task_id = task["id"].as_str().unwrap().to_owned();

    let url = desk.start_driver();
    let c = connect(&url).await;
    assert_eq!(
        tray_until(&c, 0).await["pending_label"],
        "Pending approvals: 0"
    );

    // 1. The agent asks; the hook waits for a person.
    let first = hook(desk, &task, 120, 1);
    let id1 = pending_id(desk, None).await;

    // The window shows it under its task, with its goal and the command's parts.
    click(&c, "nav-approvals").await;
    let card1 = card(&c, id1).await;
    let group = c
        .find(Locator::Css(&format!(
            "[data-testid=approval-group][data-task-id=\"{task_id}\"]"
        )))
        .await
        .expect("the request is grouped under its task");
    assert_eq!(text_in(&group, "group-task").await, task_id);
    assert_eq!(text_in(&group, "group-goal").await, GOAL);
    assert_eq!(text_in(&card1, "approval-action").await, COMMAND);
    let parts = card1
        .find_all(Locator::Css(&css("approval-part")))
        .await
        .unwrap();
    assert_eq!(parts.len(), 1, "one simple command");
    assert_eq!(
        parts[0].attr("data-verdict").await.unwrap().as_deref(),
        Some("ask")
    );
    assert_eq!(text_in(&parts[0], "part-command").await, COMMAND);
    assert!(!text_in(&card1, "approval-reason").await.is_empty());
    assert!(!text_in(&card1, "approval-rule").await.is_empty());
    assert_eq!(
        find(&c, "nav-approvals").await.text().await.unwrap(),
        "Approvals (1)"
    );

    // The tray counts it and lists it under its task.
    let tray = tray_until(&c, 1).await;
    assert_eq!(tray["pending_label"], "Pending approvals: 1");
    assert_eq!(tray["icon"], "pending");
    assert_eq!(tray["items"][0]["label"], format!("{task_id}: {COMMAND}"));
    assert_eq!(tray["items"][0]["approval_id"], id1);
    assert_eq!(tray["items"][0]["approve_label"], "Approve once");

    // A notification reached dunst, and dunst advertises actions (so it has Approve / Deny).
    let start = Instant::now();
    while dunstctl(desk, &["count", "displayed"]) == "0" {
        assert!(
            start.elapsed() < UI_WAIT,
            "no notification reached dunst; app log: {}",
            desk.log("tauri-driver")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // 2. Approve, just this once (the default).
    let reach = card1
        .find(Locator::Css(&css("remember-reach")))
        .await
        .unwrap();
    assert_eq!(reach.prop("value").await.unwrap().as_deref(), Some("once"));
    card1
        .find(Locator::Css(&css("approve")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let r1 = answer(first, UI_WAIT).await;
    assert_eq!(r1.code, Some(0), "stderr: {}", r1.stderr);
    let d1 = r1.decision();
    assert_eq!(d1["permissionDecision"], "allow", "{d1}");
    assert!(
        d1["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("approved by user (app)"),
        "{d1}"
    );

    // Decided in the window: the notification is withdrawn into dunst's history,
    // naming the task and the command.
    let start = Instant::now();
    let notification = loop {
        let history = dunst_history(desk);
        if let Some(n) = history
            .iter()
            .find(|(s, _)| s == &format!("Paddock: task {task_id} asks"))
        {
            break n.clone();
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "the notification never reached dunst's history: {history:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(notification.1.contains(COMMAND), "{notification:?}");
    assert!(notification.1.contains(GOAL), "{notification:?}");
    assert_eq!(tray_until(&c, 0).await["items"], serde_json::json!([]));

    // 3. Once means once: the identical call asks again.
    let second = hook(desk, &task, 120, 2);
    let id2 = pending_id(desk, Some(id1)).await;
    assert!(id2 > id1);
    let card2 = card(&c, id2).await;
    tray_until(&c, 1).await;
    card2
        .find(Locator::Css(&css("remember-reach")))
        .await
        .unwrap()
        .select_by_value("task")
        .await
        .unwrap();
    let matching = card2
        .find(Locator::Css(&css("remember-match")))
        .await
        .unwrap();
    assert_eq!(
        matching.prop("value").await.unwrap().as_deref(),
        Some("exact")
    );
    let sentence = text_in(&card2, "scope-sentence").await;
    assert_eq!(
        sentence,
        "Allows this exact command in this task from now on, until you revoke it."
    );
    screenshot(&c, "approvals.png").await;
    card2
        .find(Locator::Css(&css("approve")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let r2 = answer(second, UI_WAIT).await;
    assert_eq!(r2.code, Some(0), "stderr: {}", r2.stderr);
    assert_eq!(r2.decision()["permissionDecision"], "allow");

    // The remembered rule is listed, with what it covers.
    let rule = find(&c, "rule-sentence").await.text().await.unwrap();
    assert_eq!(
        rule,
        format!("allow shell exactly \"{COMMAND}\" in task {task_id}")
    );

    // 4. The third identical call is allowed by the remembered rule, without asking:
    //    a short timeout proves nobody was asked.
    let third = hook(desk, &task, 5, 3);
    let r3 = answer(third, UI_WAIT).await;
    assert_eq!(r3.code, Some(0), "stderr: {}", r3.stderr);
    let d3 = r3.decision();
    assert_eq!(d3["permissionDecision"], "allow", "{d3}");
    assert!(
        d3["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("remembered"),
        "{d3}"
    );
    assert_eq!(newest_pending(desk), None, "nothing is pending");
    assert_eq!(tray_until(&c, 0).await["icon"], "idle");

    c.close().await.expect("close the session");
}
