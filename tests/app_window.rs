//! The real Paddock window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver: the eight steps render with the engine's states, a
//! second launch does not start a second app, and nothing outlives the test.

mod support;

use std::time::Duration;

use fantoccini::Locator;
use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::{PaddockHome, Store};
use support::ui::{connect, APP};
use support::DesktopSession;

async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
        .text()
        .await
        .expect("element text")
}

/// Generous: a first WebKit start on 2 busy cores is slow. The bound makes sure a
/// hung driver fails the test and still runs the teardown.
const TEST_BUDGET: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_shows_the_eight_steps_with_their_engine_state() {
    let mut desk = DesktopSession::start();
    let outcome = tokio::time::timeout(TEST_BUDGET, eight_steps(&mut desk)).await;
    let left = desk.finish();
    outcome.expect("the end-to-end test finished within its budget");
    assert!(left.is_empty(), "processes outlived the test: {left:?}");
}

async fn eight_steps(desk: &mut DesktopSession) {
    // A real log with three events, so the Logs step has something to verify.
    {
        let home = PaddockHome::at(desk.path("PADDOCK_HOME")).unwrap();
        let mut store = Store::open_home(&home).unwrap();
        for i in 0..3 {
            audit::record(
                &mut store,
                NewEvent::new("e2e.seed", Actor::User, format!("seed {i}")),
            )
            .unwrap();
        }
    }
    let url = desk.start_driver();
    let c = connect(&url).await;
    // With no task yet, the app opens on the guided setup; the checklist is one click away.
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid=setup][data-stage=repository]"))
        .await
        .expect("a first launch opens the guided setup");
    c.find(Locator::Css("[data-testid=nav-steps]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let steps = [
        "workspace",
        "branch",
        "goal",
        "secrets",
        "network",
        "commands",
        "logs",
        "review",
    ];
    for id in steps {
        let el = c
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(&format!("[data-testid=step-{id}]")))
            .await
            .unwrap_or_else(|e| panic!("step {id} did not render: {e}"));
        let status = el.attr("data-status").await.unwrap().unwrap_or_default();
        assert!(
            ["ok", "warn", "fail", "not_set_up"].contains(&status.as_str()),
            "step {id} has status {status:?}"
        );
    }
    let order: Vec<String> = {
        let els = c
            .find_all(Locator::Css("[data-testid^=step-] .title"))
            .await
            .unwrap();
        let mut v = Vec::new();
        for e in els {
            v.push(e.text().await.unwrap());
        }
        v
    };
    assert_eq!(
        order,
        [
            "Workspace",
            "Branch",
            "Goal",
            "Secrets",
            "Network",
            "Commands",
            "Logs",
            "Review"
        ]
    );

    // The Logs step reports the real audit log: three events, chain verified.
    c.find(Locator::Css("[data-testid=step-logs]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let summary = text_of(&c, "[data-testid=step-summary]").await;
    assert!(summary.starts_with("3 events"), "{summary}");
    assert!(summary.contains("hash chain verified"), "{summary}");
    let logs_status = c
        .find(Locator::Css("[data-testid=step-logs]"))
        .await
        .unwrap()
        .attr("data-status")
        .await
        .unwrap();
    assert_eq!(logs_status.as_deref(), Some("ok"));

    // The doctor runs inside the app against this desktop's real D-Bus services.
    c.find(Locator::XPath(
        "//button[contains(., 'Check this machine')]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let doctor = text_of(&c, "[data-testid=doctor]").await;
    assert!(
        doctor.contains("Secret Service (keychain): org.freedesktop.secrets answered"),
        "{doctor}"
    );
    assert!(doctor.contains("Notification daemon: dunst"), "{doctor}");

    // Back to the first step for the picture.
    c.find(Locator::Css("[data-testid=step-logs]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let png = tokio::time::timeout(Duration::from_secs(60), c.screenshot())
        .await
        .expect("WebKitWebDriver answered the screenshot request")
        .expect("screenshot");
    let out = support::target_dir().join("e2e");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("app-window.png"), &png).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");

    // A second launch hands over to the running app and exits.
    let mut second = desk.command(APP).spawn().expect("second launch");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = second.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = second.kill();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        status.is_some(),
        "a second launch must not keep running beside the first"
    );
    // The first instance still answers.
    let again = text_of(&c, "[data-testid=headline]").await;
    assert!(again.contains("steps"), "{again}");

    c.close().await.expect("close the session");
}
