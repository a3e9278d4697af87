//! `paddock task …` as a user runs it: the real binary, a real git repository,
//! a private PADDOCK_HOME and HOME for every test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Sandbox {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("home")).unwrap();
        Self { _dir: dir, root }
    }

    fn paddock_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_paddock"));
        c.args(args)
            .env("PADDOCK_HOME", self.root.join("paddock-home"))
            .env("HOME", self.root.join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null());
        c
    }

    fn paddock(&self, args: &[&str]) -> Output {
        self.paddock_cmd(args).output().unwrap()
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", self.root.join("home"))
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

    /// A repository with one commit on `main` and an uncommitted change.
    fn repo(&self) -> PathBuf {
        let repo = self.root.join("shop");
        std::fs::create_dir_all(&repo).unwrap();
        self.git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("tax.rs"), "fn rate() -> u32 { 7 }\n").unwrap();
        self.git(&repo, &["add", "."]);
        self.git(&repo, &["commit", "-q", "-m", "first"]);
        std::fs::write(repo.join("tax.rs"), "fn rate() -> u32 { 9 }\n").unwrap();
        repo
    }
}

const GOAL: &str = "Fix checkout tax calculation and add tests";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn new_task(s: &Sandbox, repo: &Path) -> serde_json::Value {
    let o = s.paddock(&[
        "task",
        "new",
        "--repo",
        repo.to_str().unwrap(),
        "--goal",
        GOAL,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The only line on stderr, which must be `paddock: error: …`.
fn one_error_line(o: &Output) -> String {
    assert!(!o.status.success());
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("paddock: error: "), "{err}");
    lines[0].to_owned()
}

#[test]
fn task_new_makes_a_worktree_and_list_and_show_report_it() {
    let s = Sandbox::new();
    let repo = s.repo();
    let main_before = s.git(&repo, &["rev-parse", "main"]);
    let o = s.paddock(&[
        "task",
        "new",
        "--repo",
        repo.to_str().unwrap(),
        "--goal",
        GOAL,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("created task "), "{out}");
    assert!(
        out.contains("1 uncommitted change in your checkout (left untouched)"),
        "{out}"
    );

    let list: serde_json::Value =
        serde_json::from_slice(&s.paddock(&["task", "list", "--json"]).stdout).unwrap();
    let t = &list[0];
    assert_eq!(t["state"], "ready");
    assert_eq!(t["base"], "main");
    let wt = PathBuf::from(t["worktree"].as_str().unwrap());
    assert!(wt.starts_with(s.root.join("paddock-home/worktrees/shop")));
    assert_eq!(
        s.git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]),
        t["branch"].as_str().unwrap()
    );
    assert_eq!(s.git(&wt, &["rev-parse", "HEAD"]), main_before);
    // The user's edit is still only in the user's checkout.
    assert_eq!(
        std::fs::read_to_string(repo.join("tax.rs")).unwrap(),
        "fn rate() -> u32 { 9 }\n"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("tax.rs")).unwrap(),
        "fn rate() -> u32 { 7 }\n"
    );

    let id = t["id"].as_str().unwrap();
    let show: serde_json::Value =
        serde_json::from_slice(&s.paddock(&["task", "show", id, "--json"]).stdout).unwrap();
    assert_eq!(show["task"]["goal"], GOAL);
    assert_eq!(show["events"][0]["kind"], "task.created");
    let text = stdout(&s.paddock(&["task", "show", id]));
    assert!(text.contains(&format!("goal      {GOAL}")), "{text}");

    let missing = s.paddock(&["task", "show", "nope"]);
    assert_eq!(one_error_line(&missing), "paddock: error: no task \"nope\"");
}

#[test]
fn a_goal_with_warnings_is_refused_with_the_warnings_printed_unless_accepted() {
    let s = Sandbox::new();
    let repo = s.repo();
    let args = [
        "task",
        "new",
        "--repo",
        repo.to_str().unwrap(),
        "--goal",
        "clean up",
    ];
    let o = s.paddock(&args);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("goal warning [too_short]"), "{err}");
    assert!(err.contains("goal warning [vague]"), "{err}");
    assert!(err
        .lines()
        .last()
        .unwrap()
        .starts_with("paddock: error: the goal has 3 warnings"));
    assert_eq!(s.git(&repo, &["branch", "--list", "paddock/*"]), "");

    let mut accepted = args.to_vec();
    accepted.push("--accept-goal-warnings");
    let o = s.paddock(&accepted);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("(accepted)"));
    let log = stdout(&s.paddock(&["log", "show"]));
    assert!(log.contains("user overrode 3 goal warnings"), "{log}");
}

#[test]
fn refusals_are_one_clear_line() {
    let s = Sandbox::new();
    let repo = s.repo();
    let plain = s.root.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(repo.join(".env"), "TOKEN=x").unwrap();
    let r = repo.to_str().unwrap();
    for (args, expect) in [
        (
            vec![
                "task",
                "new",
                "--repo",
                plain.to_str().unwrap(),
                "--goal",
                GOAL,
            ],
            "is not inside a git repository",
        ),
        (
            vec!["task", "new", "--repo", r, "--goal", GOAL, "--base", "dev"],
            "the base branch \"dev\" does not exist",
        ),
        (
            vec!["task", "new", "--repo", r, "--goal", GOAL, "--copy", ".env"],
            "matches the secret-bearing pattern \".env*\"",
        ),
    ] {
        let line = one_error_line(&s.paddock(&args));
        assert!(line.contains(expect), "{line}");
    }
    assert_eq!(s.git(&repo, &["branch", "--list", "paddock/*"]), "");
}

#[test]
fn discard_needs_confirmation_and_refuses_unreviewed_commits_unless_forced() {
    let s = Sandbox::new();
    let repo = s.repo();
    let main_before = s.git(&repo, &["rev-parse", "main"]);
    let t = new_task(&s, &repo);
    let id = t["id"].as_str().unwrap();
    let wt = PathBuf::from(t["worktree"].as_str().unwrap());

    // No terminal and no --yes: refused, nothing removed.
    let line = one_error_line(&s.paddock(&["task", "discard", id]));
    assert!(line.contains("needs confirmation: pass --yes"), "{line}");
    assert!(wt.exists());

    // The agent committed: refused even with --yes, until --force.
    std::fs::write(wt.join("tax.rs"), "fn rate() -> u32 { 8 }\n").unwrap();
    s.git(&wt, &["commit", "-qam", "agent"]);
    let line = one_error_line(&s.paddock(&["task", "discard", id, "--yes"]));
    assert!(line.contains("1 commit not yet reviewed"), "{line}");
    assert!(wt.exists());

    let o = s.paddock(&["task", "discard", id, "--yes", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!wt.exists());
    assert_eq!(s.git(&repo, &["branch", "--list", "paddock/*"]), "");
    assert_eq!(s.git(&repo, &["rev-parse", "main"]), main_before);
    assert_eq!(
        std::fs::read_to_string(repo.join("tax.rs")).unwrap(),
        "fn rate() -> u32 { 9 }\n"
    );
    let show: serde_json::Value =
        serde_json::from_slice(&s.paddock(&["task", "show", id, "--json"]).stdout).unwrap();
    assert_eq!(show["task"]["state"], "discarded");
    let last = show["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "task.discarded");
}

#[test]
fn four_processes_creating_tasks_at_once_get_unique_names() {
    let s = Sandbox::new();
    let repo = s.repo();
    // Create the database first, as the app would have.
    assert!(s.paddock(&["task", "list"]).status.success());
    let children: Vec<_> = (0..4)
        .map(|_| {
            s.paddock_cmd(&[
                "task",
                "new",
                "--repo",
                repo.to_str().unwrap(),
                "--goal",
                GOAL,
                "--json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut branches = std::collections::BTreeSet::new();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        branches.insert(t["branch"].as_str().unwrap().to_owned());
    }
    assert_eq!(branches.len(), 4);
    let listed: std::collections::BTreeSet<String> = s
        .git(
            &repo,
            &["branch", "--list", "paddock/*", "--format=%(refname:short)"],
        )
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(listed, branches);
    let verify = s.paddock(&["log", "verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
}
