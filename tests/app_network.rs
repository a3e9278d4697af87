//! The Network step end to end, with nothing faked: the real `paddock` CLI
//! makes a task; in the real app (tauri-driver + WebKitWebDriver under Xvfb)
//! the person turns the docs preset on and adds a deny rule for
//! `blocked.test` and an allow rule for `allowed.test`; the engine reads them
//! back from the store. Then the task's real proxy (started with the rules the
//! engine builds from those settings, and the test host map pointing the
//! three `.test` names at a local 127.0.0.1 server) carries real requests:
//! `allowed.test` passes, `blocked.test` gets 403, `unknown.test` waits. The
//! live list shows all three with the task; approving the waiting one in the
//! window lets that very request complete.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use paddock_engine::network::{
    self, HostMap, NetworkVerdict, ProxyHandle, ProxyListen, ProxySettings, TaskIdentity,
};
use paddock_engine::network_view::{self, HostRuleVerdict};
use paddock_engine::{task, PaddockHome, Store};
use support::ui::{click, connect, css, find_css, make_repo, new_task, screenshot, UI_WAIT};
use support::DesktopSession;

const GOAL: &str = "Fix the checkout tax rounding and add tests";
const TEST_BUDGET: Duration = Duration::from_secs(300);
const BODY: &str = "hello from the local server";

/// A tiny HTTP server on 127.0.0.1 that answers every request with [`BODY`].
struct LocalServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LocalServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                        let mut buf = [0u8; 4096];
                        let mut got = Vec::new();
                        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                            match s.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => got.extend_from_slice(&buf[..n]),
                            }
                        }
                        let _ = write!(
                            s,
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
                            BODY.len()
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        LocalServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One plain-HTTP GET through the proxy; returns (status, body).
fn get_via(proxy: SocketAddr, host: &str, port: u16) -> (u16, String) {
    let mut s = TcpStream::connect(proxy).expect("the proxy accepts");
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        s,
        "GET http://{host}:{port}/ HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
    (status, body.to_owned())
}

/// The rows of the live connections list: (host, verdict).
async fn connection_rows(c: &Client) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for el in c
        .find_all(Locator::Css(&css("connection")))
        .await
        .unwrap_or_default()
    {
        let host = el
            .attr("data-host")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let verdict = el
            .attr("data-verdict")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        out.push((host, verdict));
    }
    out
}

async fn rows_until(c: &Client, what: &str, ok: impl Fn(&[(String, String)]) -> bool) {
    let start = Instant::now();
    loop {
        let rows = connection_rows(c).await;
        if ok(&rows) {
            return;
        }
        assert!(
            start.elapsed() < UI_WAIT,
            "the connections list never showed {what}; it shows {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn add_rule(c: &Client, verdict: &str, host: &str) {
    find_css(c, &css("network-rule-verdict"))
        .await
        .select_by_value(verdict)
        .await
        .unwrap();
    let input = find_css(c, &css("network-rule-host")).await;
    input.send_keys(host).await.unwrap();
    click(c, "add-network-rule").await;
    find_css(
        c,
        &format!("[data-testid=network-rule][data-host=\"{host}\"][data-verdict=\"{verdict}\"]"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_step_edits_rules_and_decides_live_connections() {
    let mut desk = DesktopSession::start();
    let outcome = tokio::time::timeout(TEST_BUDGET, network_end_to_end(&mut desk)).await;
    let left = desk.finish();
    outcome.expect("the end-to-end test finished within its budget");
    assert!(left.is_empty(), "processes outlived the test: {left:?}");
}

async fn network_end_to_end(desk: &mut DesktopSession) {
    let repo = make_repo(desk, "README.md", "shop\n");
    let task_id = new_task(desk, &repo, GOAL)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = PaddockHome::at(desk.path("PADDOCK_HOME")).unwrap();

    let url = desk.start_driver();
    let c = connect(&url).await;

    // 1. The Network step shows the task's presets; turn docs on, add two rules.
    click(&c, "step-network").await;
    find_css(&c, "[data-testid=preset][data-preset=docs][data-on=false]").await;
    let packages = find_css(&c, "[data-testid=preset][data-preset=packages]").await;
    assert!(packages
        .text()
        .await
        .unwrap()
        .contains("Off unless this task changes packages"));
    click(&c, "preset-docs").await;
    find_css(&c, "[data-testid=preset][data-preset=docs][data-on=true]").await;
    add_rule(&c, "deny", "blocked.test").await;
    add_rule(&c, "allow", "allowed.test").await;

    // Stored: the engine reads the same settings back from the store.
    let store = Store::open_home(&home).unwrap();
    let settings = network_view::settings(&store, &task_id).unwrap();
    assert!(settings.presets.iter().any(|p| p.name == "docs" && p.on));
    let rules: Vec<_> = settings
        .rules
        .iter()
        .map(|r| (r.host.as_str(), r.verdict))
        .collect();
    assert_eq!(
        rules,
        [
            ("blocked.test", HostRuleVerdict::Deny),
            ("allowed.test", HostRuleVerdict::Allow)
        ]
    );
    let t = task::get(&store, &task_id).unwrap();
    let rules = network_view::task_rules(&home, &store, &t).unwrap();
    let d = network::decide("blocked.test", &rules);
    assert_eq!(
        (d.verdict, d.rule.as_str()),
        (NetworkVerdict::Deny, "user:deny-host")
    );
    assert_eq!(
        network::decide("docs.rs", &rules).verdict,
        NetworkVerdict::Allow
    );
    assert_eq!(
        network::decide("unknown.test", &rules).verdict,
        NetworkVerdict::Ask
    );
    drop(store);

    // 2. The task's real proxy with those rules; the three names point at a local server.
    let server = LocalServer::start();
    let mut hosts = HostMap::default();
    for h in ["allowed.test", "blocked.test", "unknown.test"] {
        hosts.insert(h, server.addr);
    }
    let settings = ProxySettings {
        database: home.database(),
        approval_timeout: Duration::from_secs(120),
        hosts,
        block_host_loopback: true,
    };
    let identity = TaskIdentity {
        task: Some(task_id.clone()),
        project: Some(t.repo.clone()),
        agent: Some(t.agent.as_str().to_string()),
    };
    let proxy = tokio::task::spawn_blocking(move || {
        ProxyHandle::start(
            settings,
            identity,
            rules,
            &[ProxyListen::Tcp(([127, 0, 0, 1], 0).into())],
        )
    })
    .await
    .unwrap()
    .expect("the task's proxy starts");
    let paddr = proxy.tcp_addr().unwrap();
    let port = server.addr.port();

    let (status, body) = tokio::task::spawn_blocking(move || get_via(paddr, "allowed.test", port))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, BODY));
    let (status, _) = tokio::task::spawn_blocking(move || get_via(paddr, "blocked.test", port))
        .await
        .unwrap();
    assert_eq!(status, 403);
    let waiting = tokio::task::spawn_blocking(move || get_via(paddr, "unknown.test", port));

    // 3. The live list shows all three, the unknown one waiting with Approve / Deny.
    rows_until(&c, "allowed, blocked and waiting", |rows| {
        let has = |h: &str, v: &str| rows.iter().any(|(rh, rv)| rh == h && rv == v);
        has("allowed.test", "allowed")
            && has("blocked.test", "blocked")
            && has("unknown.test", "waiting")
    })
    .await;
    let heading = find_css(&c, "[data-testid=network] h3")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(heading, format!("Network for task {task_id}"));
    let blocked = find_css(&c, "[data-testid=connection][data-host=\"blocked.test\"]").await;
    assert!(blocked.text().await.unwrap().contains("user:deny-host"));
    // Let the window repaint (and the step's summary refresh) before the picture.
    c.execute(
        "document.querySelector('[data-testid=network-rules]').scrollIntoView()",
        vec![],
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(3500)).await;
    screenshot(&c, "network.png").await;

    // 4. Approve the waiting one in the window: that request completes.
    let row = find_css(&c, "[data-testid=connection][data-verdict=waiting]").await;
    row.find(Locator::Css(&css("connection-approve")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let (status, body) = tokio::time::timeout(UI_WAIT, waiting)
        .await
        .expect("the waiting request completed after the approval")
        .unwrap();
    assert_eq!((status, body.as_str()), (200, BODY));
    rows_until(&c, "the approved connection as allowed", |rows| {
        rows.iter().all(|(_, v)| v != "waiting")
            && rows
                .iter()
                .any(|(h, v)| h == "unknown.test" && v == "allowed")
    })
    .await;

    // The checklist's Network step measures the same state.
    let summary = {
        let store = Store::open_home(&home).unwrap();
        paddock_engine::checklist::steps(&store)
            .into_iter()
            .find(|s| s.id == paddock_engine::checklist::StepId::Network)
            .unwrap()
            .summary
    };
    assert!(summary.contains("1 allow, 1 deny"), "{summary}");
    assert!(summary.contains("1 connection blocked"), "{summary}");

    tokio::task::spawn_blocking(move || proxy.stop())
        .await
        .unwrap();
    drop(server);
    c.close().await.expect("close the session");
}
