//! Two tasks asking at once, end to end: two real `paddock hook` processes
//! (Claude Code PreToolUse events that the policy asks about), one per task,
//! wait side by side. The real app's Approvals window shows two groups, each
//! headed by its own task (id, goal, branch) and holding only its own
//! request; the tray lists both, each labelled with the task that asks.
//! Approving task A's request in A's group answers A's hook only: B's hook
//! keeps waiting, B's group stays, and the tray lists B alone.

mod support;

use std::process::Child;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::Value;
use support::ui::{
    answer, click, connect, css, make_repo, new_task, paddock, screenshot, spawn_hook, text_in,
    tray_until, UI_WAIT,
};
use support::DesktopSession;

const TEST_BUDGET: Duration = Duration::from_secs(300);

struct Asking {
    id: String,
    goal: &'static str,
    branch: String,
    command: &'static str,
}

/// A real `paddock hook` for one Claude Code PreToolUse of `command` in `task`.
fn hook(desk: &DesktopSession, task: &Value, command: &str) -> Child {
    let event = serde_json::json!({
        "session_id": format!("e2e-{}", task["id"].as_str().unwrap()),
        "transcript_path": "/dev/null",
        "cwd": task["worktree"],
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": { "command": command, "description": "Install a package" },
        "tool_use_id": format!("toolu_{}", task["id"].as_str().unwrap()),
    });
    spawn_hook(desk, task, 240, &event)
}

/// The pending requests as the CLI sees them: (approval id, task).
fn pending(desk: &DesktopSession) -> Vec<(i64, String)> {
    let out = desk
        .command(paddock())
        .args(["approvals", "list", "--json"])
        .output()
        .expect("paddock approvals list runs");
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    list.iter()
        .filter_map(|a| Some((a["id"].as_i64()?, a["task"].as_str()?.to_owned())))
        .collect()
}

async fn group(c: &Client, task: &str) -> Element {
    c.wait()
        .at_most(UI_WAIT)
        .for_element(Locator::Css(&format!(
            "[data-testid=approval-group][data-task-id=\"{task}\"]"
        )))
        .await
        .unwrap_or_else(|e| panic!("no group for task {task}: {e}"))
}

/// The approval ids a group holds, in order.
async fn ids_in(el: &Element) -> Vec<i64> {
    let mut ids = Vec::new();
    for card in el.find_all(Locator::Css(&css("approval"))).await.unwrap() {
        let id = card.attr("data-approval-id").await.unwrap().unwrap();
        ids.push(id.parse().unwrap());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tasks_ask_at_once_and_each_is_shown_and_released_under_its_own_task() {
    let mut desk = DesktopSession::start();
    let outcome = tokio::time::timeout(TEST_BUDGET, parallel_end_to_end(&mut desk)).await;
    let left = desk.finish();
    outcome.expect("the end-to-end test finished within its budget");
    assert!(left.is_empty(), "processes outlived the test: {left:?}");
}

async fn parallel_end_to_end(desk: &mut DesktopSession) {
    let repo = make_repo(desk, "package.json", "{\"name\": \"shop\"}\n");
    let mut asking = Vec::new();
    let mut tasks = Vec::new();
    for (goal, command) in [
        (
            "Add left-pad to the checkout form and test it",
            "npm install left-pad",
        ),
        (
            "Add right-pad to the invoice footer and test it",
            "npm install right-pad",
        ),
    ] {
        let t = new_task(desk, &repo, goal);
        asking.push(Asking {
            id: t["id"].as_str().unwrap().to_owned(),
            goal,
            branch: t["branch"].as_str().unwrap().to_owned(),
            command,
        });
        tasks.push(t);
    }
    let (a, b) = (&asking[0], &asking[1]);
    assert_ne!(a.branch, b.branch);

    let url = desk.start_driver();
    let c = connect(&url).await;
    tray_until(&c, 0).await;

    let hook_a = hook(desk, &tasks[0], a.command);
    let mut hook_b = hook(desk, &tasks[1], b.command);
    let start = Instant::now();
    let both = loop {
        let p = pending(desk);
        if p.len() == 2 {
            break p;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "the two hooks never asked: {p:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    let id_of = |t: &Asking| {
        both.iter()
            .find(|(_, task)| task == &t.id)
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("no request of {}: {both:?}", t.id))
    };
    let (id_a, id_b) = (id_of(a), id_of(b));

    // The window: one group per task, headed by the task, holding only its request.
    click(&c, "nav-approvals").await;
    for (t, id) in [(a, id_a), (b, id_b)] {
        let g = group(&c, &t.id).await;
        assert_eq!(text_in(&g, "group-task").await, t.id);
        assert_eq!(text_in(&g, "group-goal").await, t.goal);
        assert_eq!(text_in(&g, "group-branch").await, t.branch);
        let start = Instant::now();
        while ids_in(&g).await != [id] {
            assert!(
                start.elapsed() < UI_WAIT,
                "group {} holds {:?}, not [{id}]",
                t.id,
                ids_in(&g).await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(text_in(&g, "approval-action").await, t.command);
    }
    let groups = c
        .find_all(Locator::Css(&css("approval-group")))
        .await
        .unwrap();
    assert_eq!(groups.len(), 2);

    // The tray: both listed, each named by the task that asks.
    let tray = tray_until(&c, 2).await;
    assert_eq!(tray["pending_label"], "Pending approvals: 2");
    let items = tray["items"].as_array().unwrap();
    for (t, id) in [(a, id_a), (b, id_b)] {
        let item = items
            .iter()
            .find(|i| i["approval_id"] == id)
            .unwrap_or_else(|| panic!("the tray does not list {id}: {tray}"));
        assert_eq!(item["task"], t.id.as_str());
        assert_eq!(item["label"], format!("{}: {}", t.id, t.command));
    }
    // Let the window repaint before the picture (WebKit under Xvfb paints lazily).
    c.execute(
        "document.querySelector('[data-testid=approvals]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    screenshot(&c, "approvals-two-tasks.png").await;

    // Approve A's request in A's group: A's hook is answered, B's keeps waiting.
    group(&c, &a.id)
        .await
        .find(Locator::Css(&css("approve")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let ra = answer(hook_a, UI_WAIT).await;
    assert_eq!(ra.code, Some(0), "stderr: {}", ra.stderr);
    assert_eq!(ra.decision()["permissionDecision"], "allow");
    assert!(
        hook_b.try_wait().unwrap().is_none(),
        "B's hook was answered by A's approval"
    );
    assert_eq!(pending(desk), [(id_b, b.id.clone())]);
    let tray = tray_until(&c, 1).await;
    assert_eq!(
        tray["items"],
        serde_json::json!([{
            "approval_id": id_b,
            "task": b.id,
            "label": format!("{}: {}", b.id, b.command),
            "approve_label": "Approve once",
            "deny_label": "Deny",
        }])
    );
    let start = Instant::now();
    loop {
        let ids: Vec<String> = {
            let mut v = Vec::new();
            for g in c
                .find_all(Locator::Css(&css("approval-group")))
                .await
                .unwrap()
            {
                v.push(g.attr("data-task-id").await.unwrap().unwrap_or_default());
            }
            v
        };
        if ids == [b.id.clone()] {
            break;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "the window still shows groups {ids:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(ids_in(&group(&c, &b.id).await).await, [id_b]);

    // Deny B's in its own group; its hook gets the deny.
    group(&c, &b.id)
        .await
        .find(Locator::Css(&css("deny")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let rb = answer(hook_b, UI_WAIT).await;
    assert_eq!(rb.code, Some(0), "stderr: {}", rb.stderr);
    assert_eq!(rb.decision()["permissionDecision"], "deny");
    assert_eq!(tray_until(&c, 0).await["icon"], "idle");

    // Each task's log holds its own decision only.
    for (t, mine, theirs) in [(a, id_a, id_b), (b, id_b, id_a)] {
        let out = desk
            .command(paddock())
            .args(["log", "show", "--task", &t.id, "--json"])
            .output()
            .unwrap();
        let decided: Vec<i64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["kind"] == "approval.decided")
            .filter_map(|e| {
                serde_json::from_str::<Value>(e["payload"].as_str()?).ok()?["approval_id"].as_i64()
            })
            .collect();
        assert_eq!(decided, [mine], "task {}", t.id);
        assert!(!decided.contains(&theirs));
    }

    c.close().await.expect("close the session");
}
