//! A private world for each test: PADDOCK_HOME, HOME, a real git repository
//! and tasks made with `paddock task new`, and the real `paddock` binary.
#![allow(dead_code)]

pub mod agents;
pub mod model_server;
pub mod scenario;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub struct World {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

pub const GOAL: &str = "Fix checkout tax calculation and add tests";

impl World {
    pub fn new() -> Self {
        Self::in_dir(tempfile::tempdir().unwrap())
    }

    fn in_dir(dir: tempfile::TempDir) -> Self {
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        Self { _dir: dir, root }
    }

    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    pub fn paddock_home(&self) -> PathBuf {
        self.root.join("paddock-home")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_paddock"));
        c.args(args)
            .env("PADDOCK_HOME", self.paddock_home())
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("PADDOCK_APPROVAL_TIMEOUT_SECS")
            .env_remove("CODEX_HOME")
            .stdin(Stdio::null());
        c
    }

    pub fn paddock(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", self.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A repository `name` with one commit on `main`.
    pub fn repo(&self, name: &str) -> PathBuf {
        let repo = self.root.join(name);
        std::fs::create_dir_all(&repo).unwrap();
        self.git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("tax.rs"), "fn rate() -> u32 { 7 }\n").unwrap();
        self.git(&repo, &["add", "."]);
        self.git(&repo, &["commit", "-q", "-m", "first"]);
        repo
    }

    /// `paddock task new … --json` → (id, worktree).
    pub fn task(&self, repo: &Path, agent: &str) -> (String, PathBuf) {
        let o = self.paddock(&[
            "task",
            "new",
            "--repo",
            repo.to_str().unwrap(),
            "--goal",
            GOAL,
            "--agent",
            agent,
            "--json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (
            v["id"].as_str().unwrap().to_owned(),
            PathBuf::from(v["worktree"].as_str().unwrap()),
        )
    }

    /// Start `paddock hook` with `input` on stdin.
    pub fn spawn_hook(&self, args: &[&str], input: &str) -> Child {
        let mut full = vec!["hook"];
        full.extend_from_slice(args);
        let mut child = self
            .cmd(&full)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // A hook refused before it reads (a bad argument) closes stdin early:
        // the broken pipe is expected, and its answer is what the test checks.
        let _ = stdin.write_all(input.as_bytes());
        drop(stdin);
        child
    }

    pub fn hook(&self, args: &[&str], input: &str) -> Output {
        self.spawn_hook(args, input).wait_with_output().unwrap()
    }

    /// Events of a task, as JSON objects (payload parsed).
    pub fn events(&self, task: &str) -> Vec<serde_json::Value> {
        let o = self.paddock(&["log", "show", "--task", task, "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                let p: serde_json::Value =
                    serde_json::from_str(v["payload"].as_str().unwrap()).unwrap();
                v["payload"] = p;
                v
            })
            .collect()
    }

    pub fn pending(&self) -> Vec<serde_json::Value> {
        let o = self.paddock(&["approvals", "list", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout).unwrap()
    }

    /// Wait until exactly one request is pending; return its id.
    pub fn wait_for_pending(&self) -> i64 {
        let start = std::time::Instant::now();
        loop {
            let p = self.pending();
            if let Some(a) = p.first() {
                return a["id"].as_i64().unwrap();
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "no approval request appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// Where the real agents are installed: `$PADDOCK_AGENTS_DIR`, else
/// `<repo>/target/agents` (`npm install --prefix target/agents @anthropic-ai/claude-code @openai/codex`).
pub fn agents_dir() -> PathBuf {
    match std::env::var_os("PADDOCK_AGENTS_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/agents"),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A PreToolUse event as Claude Code sends it.
pub fn pre_tool_use(cwd: &Path, command: &str) -> String {
    serde_json::json!({
        "session_id": "s-1",
        "transcript_path": "/dev/null",
        "cwd": cwd,
        "permission_mode": "default",
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command, "description": "test"},
        "tool_use_id": "toolu_1",
    })
    .to_string()
}
