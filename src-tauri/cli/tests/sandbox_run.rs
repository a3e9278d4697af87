//! `paddock run --task T -- …` as a person runs it: the real binary,
//! bubblewrap, a real git repository, a private HOME and PADDOCK_HOME, and
//! local servers on 127.0.0.1 playing the outside hosts (named through the
//! proxy's test-only host map, `PADDOCK_PROXY_HOSTS`).

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    repo: PathBuf,
    task: String,
    worktree: PathBuf,
}

const SSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY----- not-a-real-key-but-secret";
const DOTENV: &str = "DATABASE_PASSWORD=dotenv-secret-value";

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .unwrap()
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let home = root.join("home");
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::write(home.join(".ssh/id_ed25519"), SSH_KEY).unwrap();
        std::fs::write(
            home.join(".netrc"),
            "machine x login y password netrc-secret",
        )
        .unwrap();
        let repo = root.join("shop");
        std::fs::create_dir_all(&repo).unwrap();
        assert!(git(&repo, &["init", "-q", "-b", "main"]).status.success());
        std::fs::write(repo.join("tax.rs"), "fn rate() -> u32 { 7 }\n").unwrap();
        std::fs::write(repo.join(".gitignore"), ".env\n").unwrap();
        std::fs::write(repo.join(".env"), DOTENV).unwrap();
        assert!(git(&repo, &["add", "tax.rs", ".gitignore"])
            .status
            .success());
        assert!(git(&repo, &["commit", "-q", "-m", "first"])
            .status
            .success());
        let mut w = World {
            _dir: dir,
            root,
            repo,
            task: String::new(),
            worktree: PathBuf::new(),
        };
        let o = w.paddock(&[
            "task",
            "new",
            "--repo",
            w.repo.to_str().unwrap(),
            "--goal",
            "Fix checkout tax calculation and add tests",
            "--json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        w.task = v["id"].as_str().unwrap().to_string();
        w.worktree = PathBuf::from(v["worktree"].as_str().unwrap());
        // A secret file inside the worktree too (Paddock refuses to copy one; a tool may make one).
        std::fs::write(w.worktree.join(".env.local"), DOTENV).unwrap();
        w
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_paddock"));
        c.args(args)
            .env("PADDOCK_HOME", self.root.join("paddock-home"))
            .env("HOME", self.root.join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PADDOCK_APPROVAL_TIMEOUT_SECS", "30")
            .env_remove("PADDOCK_PROXY_HOSTS")
            .stdin(Stdio::null());
        c
    }

    fn paddock(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// `paddock run --task T [extra] -- bash -c script`
    fn run_bash(&self, extra: &[&str], script: &str) -> Output {
        self.run_cmd(extra, script).output().unwrap()
    }

    fn run_cmd(&self, extra: &[&str], script: &str) -> Command {
        let mut args = vec!["run", "--task", self.task.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "bash", "-c", script]);
        self.cmd(&args)
    }

    fn log_kinds(&self) -> Vec<(String, String)> {
        let o = self.paddock(&["log", "show", "--task", &self.task, "--json"]);
        assert!(o.status.success());
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["kind"].as_str().unwrap().to_string(),
                    format!("{} {}", v["reason"], v["payload"]),
                )
            })
            .collect()
    }
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A plain HTTP server on the host's loopback answering `origin says hi`.
fn origin() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let body = "origin says hi";
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    addr
}

#[test]
fn a_direct_tcp_connection_from_the_sandbox_fails_while_the_proxy_reaches_an_allowed_host() {
    let w = World::new();
    let addr = origin();
    let port = addr.port();
    let script = format!(
        "if exec 3<>/dev/tcp/127.0.0.1/{port}; then echo DIRECT-CONNECTED; else echo DIRECT-FAILED; fi; \
         curl -s --max-time 10 --noproxy '*' http://allowed.test:{port}/ || echo NOPROXY-FAILED; \
         curl -s --max-time 20 http://allowed.test/"
    );
    let o = w
        .run_cmd(&["--allow-host", "allowed.test"], &script)
        .env("PADDOCK_PROXY_HOSTS", format!("allowed.test={addr}"))
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(out.contains("DIRECT-FAILED"), "{out}\n{err}");
    assert!(!out.contains("DIRECT-CONNECTED"), "{out}");
    assert!(out.contains("NOPROXY-FAILED"), "{out}\n{err}");
    assert!(out.trim_end().ends_with("origin says hi"), "{out}\n{err}");
    assert!(w
        .log_kinds()
        .iter()
        .any(|(k, d)| k == "network.allow" && d.contains("allowed.test")));
}

#[test]
fn a_dns_lookup_from_the_sandbox_fails() {
    let w = World::new();
    let o = w.run_bash(
        &[],
        "getent hosts example.com && echo RESOLVED; getent ahosts localhost >/dev/null && echo LOCAL-OK; exit 0",
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(!out.contains("RESOLVED"), "{out}");
    // Local names still work (from /etc/hosts), so only real DNS is gone.
    assert!(out.contains("LOCAL-OK"), "{out}\n{err}");
}

#[test]
fn a_write_outside_the_worktree_fails_and_inside_succeeds() {
    let w = World::new();
    let home = w.root.join("home");
    let script = format!(
        "touch {repo}/in-checkout; touch {home}/in-home; touch /tmp/paddock-outside-{task}; \
         echo ok > in-worktree && echo WORKTREE-OK; echo t > \"$TMPDIR/scratch\" && echo TMP-OK",
        repo = w.repo.display(),
        home = home.display(),
        task = w.task
    );
    let o = w.run_bash(&[], &script);
    let (out, err) = text(&o);
    assert!(out.contains("WORKTREE-OK"), "{out}\n{err}");
    assert!(out.contains("TMP-OK"), "{out}\n{err}");
    assert!(!w.repo.join("in-checkout").exists());
    assert!(!home.join("in-home").exists());
    assert!(!Path::new(&format!("/tmp/paddock-outside-{}", w.task)).exists());
    assert!(w.worktree.join("in-worktree").exists());
    assert!(err.contains("Read-only file system"), "{err}");
    let writes = w
        .log_kinds()
        .into_iter()
        .filter(|(k, _)| k == "sandbox.write_blocked")
        .count();
    assert_eq!(writes, 3);
}

#[test]
fn reading_ssh_keys_netrc_and_the_repos_env_files_fails() {
    let w = World::new();
    let script = format!(
        "cat ~/.ssh/id_ed25519; cat ~/.netrc; cat {repo}/.env; cat .env.local; ls -a ~/.ssh; exit 0",
        repo = w.repo.display()
    );
    let o = w.run_bash(&[], &script);
    let (out, err) = text(&o);
    for secret in [
        "not-a-real-key-but-secret",
        "netrc-secret",
        "dotenv-secret-value",
    ] {
        assert!(!out.contains(secret), "{secret} leaked: {out}");
    }
    assert!(
        w.log_kinds()
            .iter()
            .any(|(k, d)| k == "sandbox.read_blocked" && d.contains("id_ed25519")),
        "{err}"
    );
}

#[test]
fn git_push_to_a_local_bare_remote_fails_unless_allowed() {
    let w = World::new();
    let remote = w.root.join("remote.git");
    assert!(
        git(&w.root, &["init", "-q", "--bare", remote.to_str().unwrap()])
            .status
            .success()
    );
    let script = format!(
        "git -c safe.directory='*' push -q {} HEAD:refs/heads/pushed && echo PUSHED",
        remote.display()
    );
    let o = w.run_bash(&[], &script);
    let (out, err) = text(&o);
    assert!(!out.contains("PUSHED"), "{out}\n{err}");
    assert!(!o.status.success());
    let refs = git(&remote, &["for-each-ref"]);
    assert!(String::from_utf8_lossy(&refs.stdout).trim().is_empty());

    let o = w.run_bash(&["--allow-write", remote.to_str().unwrap()], &script);
    let (out, err) = text(&o);
    assert!(out.contains("PUSHED"), "{out}\n{err}");
    let refs = git(&remote, &["for-each-ref"]);
    assert!(String::from_utf8_lossy(&refs.stdout).contains("refs/heads/pushed"));
    // The extra writable path is on the record.
    assert!(w
        .log_kinds()
        .iter()
        .any(|(k, d)| k == "sandbox.started" && d.contains("remote.git")));
}

#[test]
fn talking_to_the_dbus_session_bus_from_the_sandbox_fails() {
    let w = World::new();
    let bus = w.root.join("bus");
    let address = format!("unix:path={}", bus.display());
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--address", &address])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon (Debian package dbus) is needed for this test");
    let started = Instant::now();
    while !bus.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "dbus-daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let ask = format!(
        "DBUS_SESSION_BUS_ADDRESS={address} dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListNames"
    );
    // Outside, the bus answers.
    let outside = Command::new("bash").args(["-c", &ask]).output().unwrap();
    assert!(
        outside.status.success(),
        "{}",
        String::from_utf8_lossy(&outside.stderr)
    );
    // Inside, it does not — neither by the inherited variable nor by the path.
    let o = w
        .run_cmd(
            &[],
            &format!("{ask} && echo BUS-REACHED; env | grep -c DBUS_SESSION || true"),
        )
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .output()
        .unwrap();
    let _ = daemon.kill();
    let _ = daemon.wait();
    let (out, err) = text(&o);
    assert!(!out.contains("BUS-REACHED"), "{out}\n{err}");
    assert!(
        out.trim_end().ends_with('0'),
        "the variable reached the sandbox: {out}"
    );
}

#[test]
fn the_sandbox_environment_is_scrubbed_of_tokens() {
    let w = World::new();
    let o = w
        .run_cmd(&[], "env")
        .env("GITHUB_TOKEN", "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB")
        .env("MY_SERVICE_PASSWORD", "hunter2")
        .env("HARMLESS", "value")
        .output()
        .unwrap();
    let (out, _) = text(&o);
    assert!(!out.contains("ghp_0123456789"), "{out}");
    assert!(!out.contains("hunter2"), "{out}");
    assert!(out.contains("HARMLESS=value"));
    assert!(out.contains(&format!("PADDOCK_TASK={}", w.task)));
}

#[test]
fn paddock_run_refuses_when_the_sandbox_cannot_be_set_up_and_unconfined_is_logged() {
    let w = World::new();
    let marker = w.root.join("ran");
    let script = format!("touch {}", marker.display());
    let o = w
        .run_cmd(&[], &script)
        .env("PADDOCK_BWRAP", w.root.join("no-such-bwrap"))
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("cannot confine"), "{err}");
    assert!(err.contains("--unconfined"), "{err}");
    assert!(
        !marker.exists(),
        "the command ran although the sandbox could not be set up"
    );
    assert!(w.log_kinds().iter().any(|(k, _)| k == "sandbox.refused"));

    let o = w
        .run_cmd(&["--unconfined"], &script)
        .env("PADDOCK_BWRAP", w.root.join("no-such-bwrap"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(marker.exists());
    assert!(w.log_kinds().iter().any(|(k, _)| k == "sandbox.unconfined"));
}

/// The Done-when, end to end.
#[test]
fn an_unknown_host_waits_for_approval_while_the_secret_read_and_outside_write_fail_and_all_three_are_logged(
) {
    let w = World::new();
    let addr = origin();
    let outside = format!("/tmp/x-outside-{}", w.task);
    let script = format!(
        "curl -s --max-time 60 http://unknown.test; echo; cat ~/.ssh/id_ed25519; touch {outside}"
    );
    let child = w
        .run_cmd(&[], &script)
        .env("PADDOCK_PROXY_HOSTS", format!("unknown.test={addr}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The curl waits: a request appears for a person.
    let started = Instant::now();
    let id = loop {
        let o = w.paddock(&["approvals", "list", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        if let Some(first) = v.as_array().and_then(|a| a.first()) {
            assert_eq!(first["task"].as_str(), Some(w.task.as_str()));
            assert!(first["action"]["url"]
                .as_str()
                .unwrap_or("")
                .contains("unknown.test"));
            break first["id"].as_i64().unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no approval request appeared"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let o = w.paddock(&["approvals", "approve", &id.to_string()]);
    assert!(o.status.success(), "{}", text(&o).1);
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("origin says hi"), "{stdout}\n{stderr}");
    assert!(!stdout.contains("not-a-real-key"), "{stdout}");
    assert!(!Path::new(&outside).exists());
    let log = w.log_kinds();
    let kinds: Vec<&str> = log.iter().map(|(k, _)| k.as_str()).collect();
    for k in [
        "network.ask",
        "approval.requested",
        "approval.decided",
        "network.allow",
        "sandbox.read_blocked",
        "sandbox.write_blocked",
    ] {
        assert!(kinds.contains(&k), "{k} missing: {kinds:?}\n{stderr}");
    }
}

#[test]
fn an_agent_installed_under_a_hidden_folder_still_starts_but_its_neighbours_stay_hidden() {
    let w = World::new();
    // Agents installed by npm under /tmp (as in a CI checkout) must still run
    // inside, although /tmp itself is an empty tmpfs there.
    let install = tempfile::Builder::new()
        .prefix("paddock-agent-")
        .tempdir()
        .unwrap();
    let bin = install.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let agent = bin.join("fake-agent");
    std::fs::write(&agent, "#!/bin/sh\necho AGENT-RAN\n").unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let neighbour = install.path().join("neighbour.txt");
    std::fs::write(&neighbour, "not for the agent").unwrap();

    let o = w
        .cmd(&[
            "run",
            "--task",
            w.task.as_str(),
            "--",
            agent.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(out.contains("AGENT-RAN"), "{out}\n{err}");

    let script = format!("cat {} && echo LEAKED; exit 0", neighbour.display());
    let o = w.run_bash(&[], &script);
    let (out, _) = text(&o);
    assert!(!out.contains("LEAKED"), "{out}");
}
