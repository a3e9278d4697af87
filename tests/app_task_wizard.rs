//! The task wizard in the real app, driven through tauri-driver and
//! WebKitWebDriver: a person types a repository, picks its `main` branch, types
//! a goal and creates the task; the task list shows it, git shows its branch
//! and worktree, the user's checkout is untouched, and the Workspace step
//! reports where the agent works. A vague goal gets live warnings, and Create
//! waits for the override.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use paddock_engine::{task, PaddockHome, Store};
use support::ui::{click, connect, css, find, find_css, git, screenshot, UI_WAIT};
use support::DesktopSession;

const GOAL: &str = "Fix checkout tax calculation and add tests";

/// Generous: a first WebKit start on 2 busy cores is slow. The bound makes sure a
/// hung driver fails the test and still runs the teardown.
const TEST_BUDGET: Duration = Duration::from_secs(300);
/// Wait until the element's text satisfies `ok`; returns that text.
async fn text_until(c: &Client, test_id: &str, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < UI_WAIT {
        if let Ok(el) = c.find(Locator::Css(&css(test_id))).await {
            if let Ok(t) = el.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("{test_id} never showed what was expected; last text: {last:?}");
}

async fn enabled_until(c: &Client, test_id: &str, want: bool) {
    let start = Instant::now();
    while start.elapsed() < UI_WAIT {
        if let Ok(el) = c.find(Locator::Css(&css(test_id))).await {
            if el.is_enabled().await.ok() == Some(want) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!(
        "{test_id} never became {}",
        if want { "enabled" } else { "disabled" }
    );
}

/// A shop repository whose checkout is on a work-in-progress branch with an
/// uncommitted change, so choosing `main` is a real choice and the checkout has
/// something to lose.
fn make_repo(desk: &DesktopSession) -> PathBuf {
    let repo = desk.root.path().join("src").join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    git(desk, &repo, &["init", "-q", "-b", "main"]);
    std::fs::write(
        repo.join("checkout.py"),
        "def tax(total):\n    return total * 0.2\n",
    )
    .unwrap();
    git(desk, &repo, &["add", "."]);
    git(desk, &repo, &["commit", "-q", "-m", "checkout"]);
    git(desk, &repo, &["switch", "-q", "-c", "wip/coupons"]);
    std::fs::write(repo.join("coupons.py"), "COUPONS = {}\n").unwrap();
    git(desk, &repo, &["add", "."]);
    git(desk, &repo, &["commit", "-q", "-m", "coupons, unfinished"]);
    std::fs::write(
        repo.join("checkout.py"),
        "def tax(total):\n    return total * 0.19\n",
    )
    .unwrap();
    std::fs::canonicalize(&repo).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_creates_a_task_through_the_wizard_and_sees_it_listed() {
    let mut desk = DesktopSession::start();
    let outcome = tokio::time::timeout(TEST_BUDGET, create_through_wizard(&mut desk)).await;
    let left = desk.finish();
    outcome.expect("the end-to-end test finished within its budget");
    assert!(left.is_empty(), "processes outlived the test: {left:?}");
}

async fn create_through_wizard(desk: &mut DesktopSession) {
    let repo = make_repo(desk);
    let main_before = git(desk, &repo, &["rev-parse", "main"]);
    let head_before = git(desk, &repo, &["symbolic-ref", "--short", "HEAD"]);
    let status_before = git(desk, &repo, &["status", "--porcelain"]);
    assert_eq!(head_before, "wip/coupons");
    assert!(
        !status_before.is_empty(),
        "the checkout has uncommitted work"
    );
    let home = std::fs::canonicalize(desk.path("PADDOCK_HOME")).unwrap();

    let url = desk.start_driver();
    let c = connect(&url).await;

    // With no task yet, the app opens on the guided setup; this test drives the checklist's own form.
    find_css(&c, "[data-testid=setup][data-stage=repository]").await;
    click(&c, "nav-steps").await;
    // The Workspace step opens the form.
    click(&c, "step-workspace").await;
    find(&c, "task-form").await;
    enabled_until(&c, "create-task", false).await;

    // Repository: typed, then read by the engine; the select offers its branches
    // with the checkout's current branch first chosen.
    find(&c, "repo-path")
        .await
        .send_keys(&repo.display().to_string())
        .await
        .unwrap();
    text_until(&c, "repo-note", |t| {
        t.contains("1 uncommitted change in your checkout (left untouched)")
    })
    .await;
    let select = find(&c, "base-branch").await;
    let start = Instant::now();
    while select.prop("value").await.unwrap().as_deref() != Some("wip/coupons") {
        assert!(
            start.elapsed() < UI_WAIT,
            "the base did not default to HEAD's branch"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let mut options = Vec::new();
    for o in select.find_all(Locator::Css("option")).await.unwrap() {
        options.push(o.prop("value").await.unwrap().unwrap_or_default());
    }
    assert_eq!(options, ["main", "wip/coupons"]);
    select.select_by_value("main").await.unwrap();
    let short_main = &main_before[..8];
    text_until(&c, "base-note", |t| {
        t.contains(&format!("from main at {short_main}"))
    })
    .await;

    // Goal: a narrow one has no warnings, and Create becomes possible.
    find(&c, "goal").await.send_keys(GOAL).await.unwrap();
    text_until(&c, "goal-ok", |t| t.contains("one narrow, testable aim")).await;
    enabled_until(&c, "create-task", true).await;
    click(&c, "create-task").await;

    let where_ = text_until(&c, "created-where", |t| t.starts_with("works in ")).await;
    assert!(where_.ends_with("; main is protected"), "{where_}");

    // The task list shows the task as the engine stored it.
    let stored = {
        let home = PaddockHome::at(&home).unwrap();
        let store = Store::open_home(&home).unwrap();
        let tasks = task::list(&store).unwrap();
        assert_eq!(tasks.len(), 1, "exactly one task was created");
        tasks.into_iter().next().unwrap()
    };
    assert_eq!(stored.goal, GOAL);
    assert_eq!(stored.base, "main");
    assert_eq!(stored.repo, repo.display().to_string());
    assert!(stored.goal_warnings.is_empty(), "no warning was overridden");
    assert_eq!(
        where_,
        format!(
            "works in {} on {}; main is protected",
            stored.worktree, stored.branch
        )
    );
    click(&c, "show-tasks").await;
    let row = find(&c, "task-row").await;
    assert_eq!(
        row.attr("data-task-id").await.unwrap().as_deref(),
        Some(stored.id.as_str())
    );
    assert_eq!(
        row.attr("data-state").await.unwrap().as_deref(),
        Some("ready")
    );
    let state = text_until(&c, "task-state", |t| !t.is_empty()).await;
    assert_eq!(state, "Ready");
    let branch = text_until(&c, "task-branch", |t| !t.is_empty()).await;
    assert!(
        branch.starts_with("paddock/fix-checkout-tax-calculation-and-"),
        "{branch}"
    );
    assert_eq!(branch, stored.branch);
    let worktree = text_until(&c, "task-worktree", |t| !t.is_empty()).await;
    assert_eq!(worktree, stored.worktree);
    assert!(
        Path::new(&worktree).starts_with(&home),
        "the worktree {worktree} is under PADDOCK_HOME {}",
        home.display()
    );
    let goal = text_until(&c, "task-goal", |t| !t.is_empty()).await;
    assert_eq!(goal, GOAL);
    screenshot(&c, "task-list.png").await;

    // Git agrees: a linked worktree on the task branch at main's commit, and the
    // user's checkout, its branch and main are exactly as they were.
    let wt = Path::new(&worktree);
    assert_eq!(git(desk, wt, &["symbolic-ref", "--short", "HEAD"]), branch);
    assert_eq!(git(desk, wt, &["rev-parse", "HEAD"]), main_before);
    assert_eq!(git(desk, wt, &["status", "--porcelain"]), "");
    let worktrees = git(desk, &repo, &["worktree", "list", "--porcelain"]);
    assert!(
        worktrees.contains(&format!("worktree {worktree}\n"))
            && worktrees.contains(&format!("branch refs/heads/{branch}")),
        "{worktrees}"
    );
    assert_eq!(git(desk, &repo, &["rev-parse", "main"]), main_before);
    assert_eq!(
        git(desk, &repo, &["symbolic-ref", "--short", "HEAD"]),
        head_before
    );
    assert_eq!(git(desk, &repo, &["status", "--porcelain"]), status_before);

    // The Workspace, Branch and Goal steps now report the real task.
    click(&c, "nav-steps").await;
    click(&c, "step-workspace").await;
    let summary = text_until(&c, "step-summary", |t| t.contains("works in")).await;
    assert_eq!(summary, format!("Task {} works in {worktree}.", stored.id));
    let ws = find(&c, "step-workspace").await;
    assert_eq!(ws.attr("data-status").await.unwrap().as_deref(), Some("ok"));
    click(&c, "step-branch").await;
    let summary = text_until(&c, "step-summary", |t| t.starts_with("On ")).await;
    assert_eq!(summary, format!("On {branch}; main is protected."));

    // A vague goal: live warnings, and Create waits for the logged override.
    click(&c, "step-goal").await;
    find(&c, "repo-path")
        .await
        .send_keys(&repo.display().to_string())
        .await
        .unwrap();
    text_until(&c, "repo-note", |t| t.contains("left untouched")).await;
    find(&c, "goal")
        .await
        .send_keys("improve stuff")
        .await
        .unwrap();
    let warnings = text_until(&c, "goal-warnings", |t| t.contains("goal warnings")).await;
    assert!(
        warnings.contains("\"improve stuff\" names an activity but not what it applies to"),
        "{warnings}"
    );
    assert!(
        warnings.contains("name the specific thing to change"),
        "{warnings}"
    );
    assert!(
        warnings.contains("Create anyway (the override is logged)"),
        "{warnings}"
    );
    let codes = {
        let mut v = Vec::new();
        for w in c
            .find_all(Locator::Css(&css("goal-warning")))
            .await
            .unwrap()
        {
            v.push(w.attr("data-code").await.unwrap().unwrap_or_default());
        }
        v
    };
    assert_eq!(codes, ["too_short", "vague", "no_testable_outcome"]);
    text_until(&c, "create-missing", |t| t.contains("Create anyway")).await;
    enabled_until(&c, "create-task", false).await;
    click(&c, "accept-warnings").await;
    enabled_until(&c, "create-task", true).await;

    // The picture: the wizard with the engine's warnings.
    screenshot(&c, "task-wizard.png").await;

    // Nothing was created by ticking the box alone.
    let home_ = PaddockHome::at(&home).unwrap();
    assert_eq!(
        task::list(&Store::open_home(&home_).unwrap())
            .unwrap()
            .len(),
        1
    );

    // Browse… opens the native folder picker (the dialog plugin and its permission are wired).
    click(&c, "browse-repo").await;
    let title = "Choose the repository the agent will work on";
    let start = Instant::now();
    loop {
        let tree = desk
            .command("xwininfo")
            .args(["-root", "-tree"])
            .output()
            .expect("xwininfo runs");
        if String::from_utf8_lossy(&tree.stdout).contains(title) {
            break;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "no native folder picker titled {title:?} appeared"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        c.find(Locator::Css(&css("repo-error"))).await.is_err(),
        "Browse… reported an error instead of opening the picker"
    );

    c.close().await.expect("close the session");
}
