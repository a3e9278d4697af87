//! Two tasks on one repository, two real Claude Codes at once, each through
//! its own `paddock run` (its own sandbox, proxy, hook socket and scripted
//! model server). Each agent asks to `curl` a different host; the two
//! requests wait side by side, each carrying its own task. Approving task A's
//! request releases A only: B's agent keeps waiting until B's own request is
//! approved. Afterwards each task's log holds only its own decisions and
//! connections, each worktree holds only its own file, and both land in the
//! review queue as separate tasks. Skipped, with a message, when Claude Code
//! is not installed (fails under `PADDOCK_REQUIRE_AGENTS`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::agents;
use common::model_server::{Api, ModelServer, FINAL_TEXT};
use common::{stderr, stdout, World};

/// Generous bound for anything that waits on a real agent (2 shared cores).
const WAIT: Duration = Duration::from_secs(180);

/// A plain HTTP server on 127.0.0.1 that answers every request with the
/// Host it was asked for, so a fetched file says which name reached it.
fn host_echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut host = String::new();
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" || line == "\n" {
                        break;
                    }
                    if let Some(v) = line
                        .split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("host"))
                    {
                        host = v.1.trim().split(':').next().unwrap_or("").to_owned();
                    }
                    line.clear();
                }
                let body = format!("served {host}\n");
                let mut s = stream;
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    port
}

struct Agent {
    task: String,
    host: &'static str,
    server: ModelServer,
    child: Child,
}

fn command_of(host: &str) -> String {
    format!("curl -s -o fetched.txt http://{host}/")
}

/// `paddock run --task T -- claude -p …` with the task's own model server.
fn start_agent(w: &World, claude: &Path, task: &str, host: &'static str, web: u16) -> Agent {
    let server = ModelServer::start(Api::Anthropic, vec![command_of(host)]);
    let config = w.root.join(format!("claude-config-{task}"));
    std::fs::create_dir_all(&config).unwrap();
    let child = agents::claude_in_sandbox(w, claude, task, &config, server.port, &[(host, web)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Agent {
        task: task.to_owned(),
        host,
        server,
        child,
    }
}

/// The pending shell requests that fetch with curl, as (id, task, command).
fn pending_fetches(w: &World) -> Vec<(i64, String, String)> {
    w.pending()
        .into_iter()
        .filter_map(|a| {
            let cmd = a["action"]["command"].as_str()?.to_owned();
            cmd.starts_with("curl ").then(|| {
                (
                    a["id"].as_i64().unwrap(),
                    a["task"].as_str().unwrap_or("").to_owned(),
                    cmd,
                )
            })
        })
        .collect()
}

fn wait_until<T>(what: &str, agents: &mut [&mut Agent], mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        for a in agents.iter_mut() {
            if let Some(status) = a.child.try_wait().unwrap() {
                panic!(
                    "waiting for {what}: the agent of task {} exited early ({status})",
                    a.task
                );
            }
        }
        assert!(start.elapsed() < WAIT, "{what} did not happen");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Wait for an agent's `paddock run` to end; (success, stdout, stderr).
fn finish(a: &mut Agent) -> (bool, String, String) {
    let start = Instant::now();
    while a.child.try_wait().unwrap().is_none() {
        if start.elapsed() > WAIT {
            let _ = a.child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = a.child.wait().unwrap();
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = a.child.stdout.take() {
        std::io::Read::read_to_string(&mut s, &mut out).unwrap();
    }
    if let Some(mut s) = a.child.stderr.take() {
        std::io::Read::read_to_string(&mut s, &mut err).unwrap();
    }
    (status.success(), out, err)
}

/// Processes whose working directory lies under `root` (this test's world).
fn processes_under(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if let Ok(cwd) = std::fs::read_link(e.path().join("cwd")) {
            if cwd.starts_with(root) {
                let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
                found.push(format!(
                    "{name}: {}",
                    String::from_utf8_lossy(&cmd).replace('\0', " ")
                ));
            }
        }
    }
    found
}

#[test]
fn two_agents_at_once_ask_under_their_own_tasks_and_are_released_one_by_one() {
    let Some(claude) = agents::claude() else {
        return;
    };
    let w = World::new();
    let repo = w.repo("shop");
    let (ta, wta) = w.task(&repo, "claude");
    let (tb, wtb) = w.task(&repo, "claude");
    assert_ne!(ta, tb);
    assert_ne!(wta, wtb, "each task has its own worktree");
    let branch = |wt: &Path| w.git(wt, &["branch", "--show-current"]);
    let (ba, bb) = (branch(&wta), branch(&wtb));
    assert_ne!(ba, bb, "each task has its own branch");
    assert_ne!(ba, "main");
    for t in [&ta, &tb] {
        // Long enough that nobody's request expires while the other is decided.
        let o = w.paddock(&[
            "agent",
            "setup",
            "claude",
            "--task",
            t,
            "--timeout-secs",
            "300",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }

    let web = host_echo_server();
    let mut a = start_agent(&w, &claude, &ta, "alpha.test", web);
    let mut b = start_agent(&w, &claude, &tb, "beta.test", web);

    // Both agents ask at the same time, each request under its own task.
    let both = wait_until("two pending requests", &mut [&mut a, &mut b], || {
        let p = pending_fetches(&w);
        (p.len() == 2).then_some(p)
    });
    let of = |t: &str| both.iter().find(|(_, task, _)| task == t).cloned();
    let (ida, _, cmda) = of(&ta).unwrap_or_else(|| panic!("no request of {ta}: {both:?}"));
    let (idb, _, cmdb) = of(&tb).unwrap_or_else(|| panic!("no request of {tb}: {both:?}"));
    assert_eq!(cmda, command_of("alpha.test"));
    assert_eq!(cmdb, command_of("beta.test"));

    // Approving A's request releases A only.
    let o = w.paddock(&["approvals", "approve", &ida.to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (ok, out, err) = finish(&mut a);
    assert!(ok, "agent A failed: {out}\n{err}");
    assert!(out.contains(FINAL_TEXT), "{out}\n{err}");
    assert_eq!(
        std::fs::read_to_string(wta.join("fetched.txt"))
            .unwrap_or_else(|e| panic!("{e}: {out}\n{err}"))
            .trim(),
        "served alpha.test"
    );
    assert!(
        b.child.try_wait().unwrap().is_none(),
        "agent B ended although its request was not decided"
    );
    let still: Vec<i64> = pending_fetches(&w).iter().map(|p| p.0).collect();
    assert_eq!(still, [idb], "B's request still waits, alone");
    assert!(!wtb.join("fetched.txt").exists());

    let o = w.paddock(&["approvals", "approve", &idb.to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (ok, out, err) = finish(&mut b);
    assert!(ok, "agent B failed: {out}\n{err}");
    assert_eq!(
        std::fs::read_to_string(wtb.join("fetched.txt"))
            .unwrap()
            .trim(),
        "served beta.test"
    );

    // Each task's log holds its own decisions and connections, and nothing of the other's.
    for (me, other, my_id, their_id) in [(&a, &b, ida, idb), (&b, &a, idb, ida)] {
        let events = w.events(&me.task);
        assert!(events.iter().all(|e| e["task"] == me.task.as_str()));
        let decided: Vec<i64> = events
            .iter()
            .filter(|e| e["kind"] == "approval.decided")
            .filter_map(|e| e["payload"]["approval_id"].as_i64())
            .collect();
        assert!(decided.contains(&my_id), "{}: {decided:?}", me.task);
        assert!(!decided.contains(&their_id), "{}: {decided:?}", me.task);
        let text = serde_json::to_string(&events).unwrap();
        assert!(
            events
                .iter()
                .any(|e| e["kind"] == "network.allow" && e.to_string().contains(me.host)),
            "{}'s proxy logged no connection to {}",
            me.task,
            me.host
        );
        assert!(
            !text.contains(other.host),
            "{}'s log mentions {}",
            me.task,
            other.host
        );
        assert!(
            !text.contains(&other.task),
            "{}'s log names {}",
            me.task,
            other.task
        );
        // Each agent talked to its own model server only.
        assert!(me.server.all_text().contains(me.host));
        assert!(!me.server.all_text().contains(other.host));
    }
    assert!(w.paddock(&["log", "verify"]).status.success());

    // Both land in the review queue, separately, each with its own change.
    for (t, wt, mine, theirs) in [(&ta, &wta, &ba, &bb), (&tb, &wtb, &bb, &ba)] {
        let o = w.paddock(&["review", "submit", "--task", t]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = w.paddock(&["review", "diff", "--task", t, "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let diff = stdout(&o);
        assert!(diff.contains("fetched.txt"), "{diff}");
        assert_eq!(w.git(wt, &["branch", "--show-current"]), **mine);
        let files = w.git(&repo, &["diff", "--name-only", &format!("main...{mine}")]);
        assert_eq!(files, "fetched.txt", "{t}'s branch");
        assert_ne!(mine, theirs);
    }
    let o = w.paddock(&["task", "list", "--json"]);
    let tasks: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let waiting: Vec<&str> = tasks
        .iter()
        .filter(|t| t["state"] == "awaiting_review")
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(waiting.len(), 2, "{tasks:?}");
    assert!(waiting.contains(&ta.as_str()) && waiting.contains(&tb.as_str()));

    // Nothing of either run is left: no process in this world, no run folder.
    let left = processes_under(&w.root);
    assert!(left.is_empty(), "processes outlived the runs: {left:?}");
    let runs = w.paddock_home().join("run");
    let leftover: Vec<_> = std::fs::read_dir(&runs)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(leftover.is_empty(), "run folders left: {leftover:?}");
}
