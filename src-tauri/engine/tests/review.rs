//! Review on real git repositories in temp dirs: the diff (every file status,
//! CRLF, non-UTF-8) cross-checked with the `git` command line, review marks,
//! comments, the merge and its safety rules, and the review note.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use paddock_engine::audit::{self, Actor, NewEvent};
use paddock_engine::review::{
    self, AttentionKind, FileStatus, LineKind, MergeKind, MergeOptions, ReviewError, TestStatus,
};
use paddock_engine::task::{self, Agent, NewTask, Task, TaskState};
use paddock_engine::{PaddockHome, Store};

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    repo: PathBuf,
    home: PaddockHome,
    store: Store,
}

fn git_in(root: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", root.join("fakehome"))
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
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

impl Env {
    fn git(&self, dir: &Path, args: &[&str]) -> String {
        git_in(&self.root, dir, args)
    }
}

/// A repository on `main` with a few files, and a task on it, running.
fn env_with(files: &[(&str, &[u8])]) -> (Env, Task) {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::create_dir_all(root.join("fakehome")).unwrap();
    let repo = root.join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    git_in(&root, &repo, &["init", "-q", "-b", "main"]);
    git_in(&root, &repo, &["config", "user.name", "Test"]);
    git_in(&root, &repo, &["config", "user.email", "test@example.com"]);
    git_in(&root, &repo, &["config", "core.autocrlf", "false"]);
    for (p, c) in files {
        let path = repo.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
    git_in(&root, &repo, &["add", "-A"]);
    git_in(&root, &repo, &["commit", "-qm", "base"]);
    let home = PaddockHome::at(root.join("paddock-home")).unwrap();
    let mut store = Store::open_home(&home).unwrap();
    let t = task::create(
        &mut store,
        &home,
        NewTask {
            repo: repo.clone(),
            goal: "Fix checkout tax calculation and add tests".into(),
            base: None,
            agent: Agent::Claude,
            copy: vec![],
            accept_goal_warnings: false,
        },
    )
    .unwrap();
    let t = task::transition(
        &mut store,
        &t.id,
        TaskState::Running,
        Actor::Agent("claude".into()),
        "agent started",
    )
    .unwrap();
    (
        Env {
            _dir: dir,
            root,
            repo,
            home,
            store,
        },
        t,
    )
}

fn simple_env() -> (Env, Task) {
    env_with(&[
        ("src/tax.rs", b"fn tax() -> u32 {\n    7\n}\n"),
        ("README.md", b"# Shop\n"),
        ("notes.txt", b"one\ntwo\nthree\n"),
    ])
}

fn wt(t: &Task) -> PathBuf {
    PathBuf::from(&t.worktree)
}

fn write(dir: &Path, p: &str, c: &[u8]) {
    let path = dir.join(p);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, c).unwrap();
}

/// The agent commits in its worktree with the git CLI.
fn agent_commit(env: &Env, t: &Task, msg: &str) {
    env.git(&wt(t), &["add", "-A"]);
    env.git(&wt(t), &["commit", "-qm", msg]);
}

/// A passing `cargo test`, logged the way the PostToolUse hook logs it.
fn seed_passing_tests(env: &mut Env, t: &Task) {
    audit::record(
        &mut env.store,
        NewEvent::new(
            "agent.result",
            Actor::Agent("claude".into()),
            "Bash finished with exit code 0",
        )
        .task(&t.id)
        .payload(serde_json::json!({
            "tool": "Bash",
            "input": {"command": "cargo test"},
            "exit_code": 0,
            "duration_ms": 1840,
            "stdout": include_str!("review_fixtures/cargo_test_ok.txt"),
        })),
    )
    .unwrap();
}

fn mark_all(env: &mut Env, t: &Task) {
    let d = review::diff(&env.store, &t.id).unwrap();
    for f in &d.files {
        review::mark_reviewed(&mut env.store, &t.id, &f.path, true, Actor::User).unwrap();
    }
}

/// Every file under `dir` except `.git`, with its bytes, plus the index file.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if rel == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out.insert(
        ".git/index".into(),
        std::fs::read(dir.join(".git/index")).unwrap(),
    );
    out
}

fn kinds(env: &Env, t: &Task) -> Vec<String> {
    audit::list(&env.store, Some(&t.id))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

// ───────────────────────────── diff ─────────────────────────────

#[test]
fn every_file_status_matches_git_name_status_and_numstat() {
    let long: String = (1..=40)
        .map(|i| format!("line {i} of the shared helper\n"))
        .collect();
    let moved: String = (1..=40)
        .map(|i| format!("line {i} of the file that moves\n"))
        .collect();
    let (mut env, t) = env_with(&[
        ("src/tax.rs", b"fn tax() -> u32 {\n    7\n}\n"),
        ("src/old_name.rs", moved.as_bytes()),
        ("src/helper.rs", long.as_bytes()),
        ("gone.txt", b"bye\n"),
        ("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01"),
        ("run.sh", b"#!/bin/sh\necho hi\n"),
    ]);
    let w = wt(&t);
    write(&w, "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    std::fs::rename(w.join("src/old_name.rs"), w.join("src/new_name.rs")).unwrap();
    // A copy of a file that is itself modified (what `git diff -C` detects).
    write(&w, "src/helper_copy.rs", long.as_bytes());
    write(
        &w,
        "src/helper.rs",
        format!("{long}one more line\n").as_bytes(),
    );
    std::fs::remove_file(w.join("gone.txt")).unwrap();
    write(&w, "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x02");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(w.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    write(&w, "docs/new.md", b"# New\n\nadded\n");
    agent_commit(&env, &t, "agent work");

    let d = review::diff(&env.store, &t.id).unwrap();
    let by_path: BTreeMap<&str, &review::FileDiff> =
        d.files.iter().map(|f| (f.path.as_str(), f)).collect();

    // git's own view, with the same rename/copy detection.
    let mb = env.git(&env.repo, &["merge-base", "main", &t.branch]);
    let name_status = env.git(
        &env.repo,
        &["diff", "--name-status", "-M", "-C", &mb, &t.branch],
    );
    let mut from_git = BTreeMap::new();
    for line in name_status.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        let letter = parts[0].chars().next().unwrap();
        from_git.insert(parts.last().unwrap().to_string(), letter);
    }
    let ours: BTreeMap<String, char> = d
        .files
        .iter()
        .map(|f| (f.path.clone(), f.status.letter()))
        .collect();
    assert_eq!(ours, from_git, "paddock vs git --name-status");

    assert_eq!(by_path["src/tax.rs"].status, FileStatus::Modified);
    assert_eq!(by_path["docs/new.md"].status, FileStatus::Added);
    assert_eq!(by_path["gone.txt"].status, FileStatus::Deleted);
    let renamed = by_path["src/new_name.rs"];
    assert_eq!(renamed.status, FileStatus::Renamed);
    assert_eq!(renamed.old_path.as_deref(), Some("src/old_name.rs"));
    let copied = by_path["src/helper_copy.rs"];
    assert_eq!(copied.status, FileStatus::Copied);
    assert_eq!(copied.old_path.as_deref(), Some("src/helper.rs"));
    let bin = by_path["logo.png"];
    assert!(bin.binary && bin.hunks.is_empty());
    let mode = by_path["run.sh"];
    assert_eq!(mode.status, FileStatus::ModeChange);
    assert_eq!((mode.old_mode, mode.new_mode), (0o100644, 0o100755));

    // Line stats agree with `git diff --numstat` (binary files show "-").
    let numstat = env.git(
        &env.repo,
        &["diff", "--numstat", "-M", "-C", &mb, &t.branch],
    );
    for line in numstat.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        let path = *parts.last().unwrap();
        let path = path.rsplit(" => ").next().unwrap().trim_end_matches('}');
        let f = d
            .files
            .iter()
            .find(|f| f.path.ends_with(path))
            .unwrap_or_else(|| panic!("{path} missing"));
        if parts[0] == "-" {
            assert!(f.binary, "{path}");
        } else {
            assert_eq!(f.additions.to_string(), parts[0], "{path} additions");
            assert_eq!(f.deletions.to_string(), parts[1], "{path} deletions");
        }
    }
    assert_eq!(d.totals.files as usize, d.files.len());

    // Hunks carry git's header and line numbers.
    let tax = by_path["src/tax.rs"];
    assert_eq!(tax.hunks.len(), 1);
    assert_eq!(tax.hunks[0].header, "@@ -1,3 +1,3 @@");
    let del = tax.hunks[0]
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Del)
        .unwrap();
    let add = tax.hunks[0]
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Add)
        .unwrap();
    assert_eq!(
        (del.text.as_str(), del.old_no, del.new_no),
        ("    7", Some(2), None)
    );
    assert_eq!(
        (add.text.as_str(), add.old_no, add.new_no),
        ("    8", None, Some(2))
    );

    // Side by side: both sides of the renamed file.
    let c = review::file_contents(&env.store, &t.id, "src/new_name.rs").unwrap();
    assert_eq!(c.old.unwrap().path, "src/old_name.rs");
    assert_eq!(c.new.unwrap().text, moved);
    let c = review::file_contents(&env.store, &t.id, "docs/new.md").unwrap();
    assert!(c.old.is_none());
    let _ = &mut env;
}

#[test]
fn crlf_is_preserved_and_non_utf8_is_shown_lossily_and_flagged() {
    let (env, t) = env_with(&[
        ("win.txt", b"first\r\nsecond\r\n"),
        ("latin1.txt", b"caf\xe9\n"),
    ]);
    let w = wt(&t);
    write(&w, "win.txt", b"first\r\nsecond, changed\r\n");
    write(&w, "latin1.txt", b"caf\xe9 cr\xe8me\n");
    write(&w, "no_eol.txt", b"no newline at the end");
    agent_commit(&env, &t, "encodings");
    let d = review::diff(&env.store, &t.id).unwrap();
    let win = d.files.iter().find(|f| f.path == "win.txt").unwrap();
    assert!(win.crlf && !win.non_utf8);
    let add = win.hunks[0]
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Add)
        .unwrap();
    assert_eq!(add.text, "second, changed\r");
    let latin = d.files.iter().find(|f| f.path == "latin1.txt").unwrap();
    assert!(latin.non_utf8 && !latin.binary);
    let add = latin.hunks[0]
        .lines
        .iter()
        .find(|l| l.kind == LineKind::Add)
        .unwrap();
    assert_eq!(add.text, "caf\u{fffd} cr\u{fffd}me");
    let eol = d.files.iter().find(|f| f.path == "no_eol.txt").unwrap();
    assert!(eol.hunks[0].lines[0].no_newline);
    let c = review::file_contents(&env.store, &t.id, "latin1.txt").unwrap();
    assert!(c.new.unwrap().non_utf8);
}

// ───────────────────────────── submit ─────────────────────────────

#[test]
fn submit_commits_leftovers_naming_the_task_skips_secrets_and_awaits_review() {
    let (mut env, t) = simple_env();
    let w = wt(&t);
    write(&w, "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    write(&w, "tests/tax.rs", b"#[test]\nfn t() {}\n");
    write(&w, ".env", b"API_KEY=hunter2\n");
    std::fs::remove_file(w.join("notes.txt")).unwrap();
    let s = review::submit(&mut env.store, &t.id, Actor::Agent("claude".into())).unwrap();
    assert_eq!(s.task.state, TaskState::AwaitingReview);
    assert_eq!(
        s.committed_files,
        vec!["notes.txt", "src/tax.rs", "tests/tax.rs"]
    );
    assert_eq!(s.skipped_secret_files, vec![".env"]);
    let msg = env.git(&w, &["log", "-1", "--format=%B"]);
    assert!(msg.contains(&format!("task {}", t.id)), "{msg}");
    assert_eq!(
        env.git(&w, &["rev-parse", "HEAD"]),
        s.committed.clone().unwrap()
    );
    assert_eq!(env.git(&w, &["status", "--porcelain"]), "?? .env");
    assert_eq!(s.totals.files, 3);
    let k = kinds(&env, &t);
    assert!(k.contains(&"review.committed".into()) && k.contains(&"task.awaiting_review".into()));
    // The base was not touched.
    assert_eq!(env.git(&env.repo, &["log", "--format=%s", "main"]), "base");
}

// ───────────────────────────── marks, comments ─────────────────────────────

#[test]
fn a_file_changed_after_review_is_unreviewed_again() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    let f = review::mark_reviewed(&mut env.store, &t.id, "src/tax.rs", true, Actor::User).unwrap();
    assert!(f.reviewed);
    assert!(review::diff(&env.store, &t.id).unwrap().files[0].reviewed);
    // The agent changes it again (new blob): the mark no longer applies.
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    9\n}\n");
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    assert!(!review::diff(&env.store, &t.id).unwrap().files[0].reviewed);
    let e = review::mark_reviewed(&mut env.store, &t.id, "nope.rs", true, Actor::User).unwrap_err();
    assert!(matches!(e, ReviewError::NotInDiff { .. }), "{e}");
}

#[test]
fn request_changes_turns_comments_into_the_agents_next_instruction() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    assert!(matches!(
        review::request_changes(&mut env.store, &t.id, Actor::User),
        Err(ReviewError::NoComments)
    ));
    review::comment(
        &mut env.store,
        &t.id,
        "src/tax.rs",
        Some(2),
        "use a named constant",
        Actor::User,
    )
    .unwrap();
    review::comment(
        &mut env.store,
        &t.id,
        "src/tax.rs",
        None,
        "add a unit test",
        Actor::User,
    )
    .unwrap();
    let text = review::request_changes(&mut env.store, &t.id, Actor::User).unwrap();
    assert!(text.contains("In src/tax.rs:"), "{text}");
    assert!(text.contains("- line 2: use a named constant"), "{text}");
    assert!(text.contains("- add a unit test"), "{text}");
    assert!(text.contains(&t.goal));
    assert_eq!(
        task::get(&env.store, &t.id).unwrap().state,
        TaskState::Running
    );
    assert!(review::comments(&env.store, &t.id)
        .unwrap()
        .iter()
        .all(|c| c.sent_at.is_some()));
    assert!(kinds(&env, &t).contains(&"review.changes_requested".into()));
}

// ───────────────────────────── merge ─────────────────────────────

fn ready_to_merge(env: &mut Env, t: &Task) {
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    mark_all(env, t);
    seed_passing_tests(env, t);
}

#[test]
fn merge_is_refused_until_every_file_is_reviewed() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    write(&wt(&t), "README.md", b"# Shop\n\nTax fixed.\n");
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    seed_passing_tests(&mut env, &t);
    review::mark_reviewed(&mut env.store, &t.id, "src/tax.rs", true, Actor::User).unwrap();
    let before = env.git(&env.repo, &["rev-parse", "main"]);
    let e = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap_err();
    match &e {
        ReviewError::Unreviewed { files, .. } => assert_eq!(files, &vec!["README.md".to_string()]),
        other => panic!("{other}"),
    }
    assert_eq!(env.git(&env.repo, &["rev-parse", "main"]), before);
    assert!(kinds(&env, &t).contains(&"review.merge_refused".into()));
    // An agent can never approve a merge.
    review::mark_reviewed(&mut env.store, &t.id, "README.md", true, Actor::User).unwrap();
    let e = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::Agent("claude".into()),
    )
    .unwrap_err();
    assert!(matches!(e, ReviewError::NotTheUser { .. }), "{e}");
}

#[test]
fn missing_or_failing_tests_need_merge_anyway_which_is_logged() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    mark_all(&mut env, &t);
    let e = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap_err();
    assert!(e.to_string().contains("no tests were run"), "{e}");
    // A failing run (real cargo output, exit 101) is no better.
    audit::record(
        &mut env.store,
        NewEvent::new(
            "hook.post_tool_use",
            Actor::Agent("claude".into()),
            "Bash finished",
        )
        .task(&t.id)
        .payload(serde_json::json!({
            "tool_name": "Bash",
            "tool_input": {"command": "cargo test"},
            "tool_response": {
                "exit_code": 101,
                "stdout": include_str!("review_fixtures/cargo_test_failed.stdout"),
                "stderr": include_str!("review_fixtures/cargo_test_failed.stderr"),
            },
        })),
    )
    .unwrap();
    let e = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap_err();
    assert!(matches!(e, ReviewError::TestsNotPassing { .. }), "{e}");
    assert!(e.to_string().contains("failing"), "{e}");
    let o = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions {
            merge_anyway: true,
            ..Default::default()
        },
        Actor::User,
    )
    .unwrap();
    assert!(o.merged_anyway);
    let events = audit::list(&env.store, Some(&t.id)).unwrap();
    let anyway = events
        .iter()
        .find(|e| e.kind == "review.merge_anyway")
        .unwrap();
    assert_eq!(anyway.actor, "user");
    assert!(anyway.reason.contains("cargo test"), "{}", anyway.reason);
}

#[test]
fn a_fast_forward_merge_updates_base_and_the_clean_checkout_and_removes_the_worktree() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    write(&wt(&t), "tests/tax.rs", b"#[test]\nfn t() {}\n");
    ready_to_merge(&mut env, &t);
    let head = env.git(&wt(&t), &["rev-parse", "HEAD"]);
    let o = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap();
    assert_eq!(o.kind, MergeKind::FastForward);
    assert_eq!(env.git(&env.repo, &["rev-parse", "main"]), head);
    assert_eq!(o.commit, head);
    // The user's checkout (on main) now has the files, and git sees it clean.
    assert_eq!(
        std::fs::read(env.repo.join("src/tax.rs")).unwrap(),
        b"fn tax() -> u32 {\n    8\n}\n"
    );
    assert!(env.repo.join("tests/tax.rs").exists());
    assert_eq!(env.git(&env.repo, &["status", "--porcelain"]), "");
    assert_eq!(
        o.checkouts_updated,
        vec![env.repo.to_string_lossy().to_string()]
    );
    // The worktree is gone, git forgot it, the branch stays (not asked to delete).
    assert!(o.worktree_removed && !wt(&t).exists());
    assert_eq!(env.git(&env.repo, &["worktree", "list"]).lines().count(), 1);
    assert!(!env
        .git(&env.repo, &["branch", "--list", &t.branch])
        .is_empty());
    assert_eq!(o.task.state, TaskState::Merged);
    let k = kinds(&env, &t);
    for kind in [
        "review.merge_approved",
        "review.merged",
        "task.merged",
        "review.worktree_removed",
    ] {
        assert!(k.contains(&kind.to_string()), "{kind} in {k:?}");
    }
    assert!(audit::verify(&env.store).unwrap().is_intact());
}

#[test]
fn a_diverged_base_gets_a_merge_commit_and_the_branch_can_be_deleted() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    ready_to_merge(&mut env, &t);
    // Meanwhile the user commits on main (another file).
    write(&env.repo, "notes.txt", b"one\ntwo\nthree\nfour\n");
    env.git(&env.repo, &["commit", "-qam", "user work"]);
    let user_tip = env.git(&env.repo, &["rev-parse", "main"]);
    let head = env.git(&wt(&t), &["rev-parse", "HEAD"]);
    let o = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions {
            delete_branch: true,
            ..Default::default()
        },
        Actor::User,
    )
    .unwrap();
    assert_eq!(o.kind, MergeKind::MergeCommit);
    let parents = env.git(&env.repo, &["log", "-1", "--format=%P", "main"]);
    assert_eq!(parents, format!("{user_tip} {head}"));
    let msg = env.git(&env.repo, &["log", "-1", "--format=%s", "main"]);
    assert!(msg.starts_with(&format!("Merge task {}", t.id)), "{msg}");
    assert_eq!(
        std::fs::read(env.repo.join("src/tax.rs")).unwrap(),
        b"fn tax() -> u32 {\n    8\n}\n"
    );
    assert_eq!(env.git(&env.repo, &["status", "--porcelain"]), "");
    assert!(o.branch_deleted);
    assert_eq!(env.git(&env.repo, &["branch", "--list", &t.branch]), "");
    env.git(&env.repo, &["fsck", "--no-progress"]);
}

#[test]
fn squash_makes_one_commit_on_the_base() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    agent_commit(&env, &t, "one");
    write(&wt(&t), "README.md", b"# Shop\n\nTax.\n");
    agent_commit(&env, &t, "two");
    ready_to_merge(&mut env, &t);
    let before = env.git(&env.repo, &["rev-parse", "main"]);
    let o = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions {
            squash: true,
            ..Default::default()
        },
        Actor::User,
    )
    .unwrap();
    assert_eq!(o.kind, MergeKind::Squash);
    assert_eq!(
        env.git(&env.repo, &["log", "-1", "--format=%P", "main"]),
        before
    );
    assert_eq!(
        env.git(
            &env.repo,
            &["rev-list", "--count", &format!("{before}..main")]
        ),
        "1"
    );
    assert_eq!(
        env.git(&env.repo, &["diff", "--stat", "main", &t.branch]),
        "",
        "the squash commit has the branch's tree"
    );
}

#[test]
fn a_conflict_leaves_the_base_and_the_users_checkout_byte_identical_and_says_how_to_resolve() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    ready_to_merge(&mut env, &t);
    write(&env.repo, "src/tax.rs", b"fn tax() -> u32 {\n    9\n}\n");
    env.git(&env.repo, &["commit", "-qam", "user changes the same line"]);
    write(&env.repo, "scratch.txt", b"user's untracked file\n");
    write(&env.repo, "README.md", b"# Shop (local edit)\n");
    let base_before = env.git(&env.repo, &["rev-parse", "main"]);
    let tree_before = snapshot(&env.repo);
    let e = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap_err();
    match &e {
        ReviewError::Conflict { files, .. } => assert_eq!(files, &vec!["src/tax.rs".to_string()]),
        other => panic!("{other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("git merge main") && msg.contains(&t.worktree),
        "{msg}"
    );
    assert!(msg.contains("left untouched"), "{msg}");
    assert_eq!(env.git(&env.repo, &["rev-parse", "main"]), base_before);
    assert_eq!(snapshot(&env.repo), tree_before);
    assert_eq!(
        task::get(&env.store, &t.id).unwrap().state,
        TaskState::AwaitingReview
    );
    assert!(wt(&t).exists());
    // Following the advice works: resolve in the worktree, submit, review, merge.
    let w = wt(&t);
    let out = Command::new("git")
        .args(["merge", "main"])
        .current_dir(&w)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(!out.status.success());
    write(&w, "src/tax.rs", b"fn tax() -> u32 {\n    10\n}\n");
    env.git(&w, &["add", "src/tax.rs"]);
    env.git(&w, &["commit", "-qm", "resolve"]);
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    mark_all(&mut env, &t);
    // README.md is locally modified in the checkout, but the merge does not touch it.
    let o = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap();
    assert_eq!(o.kind, MergeKind::FastForward);
    assert_eq!(
        std::fs::read(env.repo.join("README.md")).unwrap(),
        b"# Shop (local edit)\n"
    );
    assert_eq!(
        env.git(&env.repo, &["status", "--porcelain"]),
        " M README.md\n?? scratch.txt"
    );
}

#[test]
fn a_dirty_base_checkout_that_the_merge_would_overwrite_is_refused() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    write(&wt(&t), "src/new.rs", b"pub fn new() {}\n");
    ready_to_merge(&mut env, &t);
    // The user edits the same file in their checkout, without committing.
    write(
        &env.repo,
        "src/tax.rs",
        b"fn tax() -> u32 {\n    7 // WIP\n}\n",
    );
    let base_before = env.git(&env.repo, &["rev-parse", "main"]);
    let tree_before = snapshot(&env.repo);
    let e = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap_err();
    match &e {
        ReviewError::DirtyCheckout {
            files, checkout, ..
        } => {
            assert_eq!(files, &vec!["src/tax.rs".to_string()]);
            assert_eq!(checkout, &env.repo.to_string_lossy());
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("local changes"), "{e}");
    assert_eq!(env.git(&env.repo, &["rev-parse", "main"]), base_before);
    assert_eq!(snapshot(&env.repo), tree_before);

    // An untracked file where the merge would add one is refused too.
    env.git(&env.repo, &["checkout", "--", "src/tax.rs"]);
    write(&env.repo, "src/new.rs", b"the user's own file\n");
    let e = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap_err();
    match &e {
        ReviewError::DirtyCheckout { files, .. } => {
            assert_eq!(files, &vec!["src/new.rs".to_string()])
        }
        other => panic!("{other}"),
    }
    assert_eq!(
        std::fs::read(env.repo.join("src/new.rs")).unwrap(),
        b"the user's own file\n"
    );
    assert_eq!(env.git(&env.repo, &["rev-parse", "main"]), base_before);
}

#[test]
fn a_base_not_checked_out_moves_without_touching_the_users_checkout() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    ready_to_merge(&mut env, &t);
    env.git(&env.repo, &["checkout", "-q", "-b", "feature"]);
    write(&env.repo, "src/tax.rs", b"user's feature work\n");
    let tree_before = snapshot(&env.repo);
    let o = review::merge(
        &mut env.store,
        &env.home,
        &t.id,
        MergeOptions::default(),
        Actor::User,
    )
    .unwrap();
    assert!(o.checkouts_updated.is_empty());
    assert_eq!(env.git(&env.repo, &["rev-parse", "main"]), o.commit);
    assert_eq!(snapshot(&env.repo), tree_before);
}

// ───────────────────────────── note ─────────────────────────────

#[test]
fn the_note_gathers_goal_summary_files_commands_tests_approvals_network_and_attention() {
    let (mut env, t) = simple_env();
    let w = wt(&t);
    write(&w, "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    write(&w, ".github/workflows/deploy.yml", b"on: push\n");
    let agent = || Actor::Agent("claude".into());
    let rec = |store: &mut Store, kind: &str, reason: &str, p: serde_json::Value| {
        audit::record(
            store,
            NewEvent::new(kind, agent(), reason).task(&t.id).payload(p),
        )
        .unwrap();
    };
    // The hook engineer's shapes and the brief's shapes, both.
    rec(
        &mut env.store,
        "hook.post_tool_use",
        "Bash finished",
        serde_json::json!({
            "tool_name": "Bash", "tool_input": {"command": "ls src"},
            "tool_response": {"exit_code": 0, "stdout": "tax.rs\n"}, "duration_ms": 12
        }),
    );
    rec(
        &mut env.store,
        "agent.result",
        "Bash finished with exit code 101",
        serde_json::json!({
            "tool": "Bash", "input": {"command": "cargo test"}, "exit_code": 101,
            "stdout": include_str!("review_fixtures/cargo_test_failed.stdout"),
            "stderr": include_str!("review_fixtures/cargo_test_failed.stderr"),
        }),
    );
    rec(
        &mut env.store,
        "agent.result",
        "Bash finished with exit code 0",
        serde_json::json!({
            "tool": "Bash", "input": {"command": "cargo test"}, "exit_code": 0, "duration_ms": 2100,
            "stdout": include_str!("review_fixtures/cargo_test_ok.txt"),
        }),
    );
    rec(
        &mut env.store,
        "agent.action",
        "denied: reading a secret",
        serde_json::json!({
            "event": "PreToolUse", "tool": "Bash", "action": {"Shell": {"command": "cat ~/.aws/credentials", "cwd": "/x"}},
            "verdict": "deny", "rule": "builtin:secrets"
        }),
    );
    rec(
        &mut env.store,
        "agent.action",
        "allowed",
        serde_json::json!({
            "event": "PreToolUse", "tool": "WebFetch", "action": {"Fetch": {"url": "https://docs.rs/git2"}},
            "verdict": "allow"
        }),
    );
    audit::record(&mut env.store, NewEvent::new("approval.decided", Actor::User, "user approved approval 3")
        .task(&t.id)
        .payload(serde_json::json!({"approval_id": 3, "verdict": "allow", "by": "user",
            "action": {"Shell": {"command": "npm install left-pad"}}, "remember": {"scope": "task"}}))).unwrap();
    rec(
        &mut env.store,
        "network.blocked",
        "not on the allowlist",
        serde_json::json!({"host": "evil.example", "port": 443}),
    );
    rec(
        &mut env.store,
        "task.summary",
        "the agent's final summary",
        serde_json::json!({
            "summary": "Fixed the tax rounding and added a test."
        }),
    );
    review::submit(&mut env.store, &t.id, agent()).unwrap();

    let n = review::note(&env.store, &t.id).unwrap();
    assert_eq!(n.goal, t.goal);
    assert_eq!(
        n.summary.as_deref(),
        Some("Fixed the tax rounding and added a test.")
    );
    assert_eq!(n.files.len(), 2);
    assert_eq!(n.commands.len(), 3);
    assert_eq!(n.commands[0].command, "ls src");
    assert_eq!(n.commands[1].exit_code, Some(101));
    assert_eq!(n.tests.len(), 2);
    let c = n.tests[0].counts.unwrap();
    assert_eq!((c.passed, c.failed, c.skipped), (2, 1, 1));
    let c = n.tests[1].counts.unwrap();
    assert_eq!((c.passed, c.failed, c.skipped), (3, 0, 1));
    // The latest run of `cargo test` passed.
    assert_eq!(n.test_status, TestStatus::Passing);
    assert_eq!(n.approvals.len(), 1);
    assert_eq!(n.approvals[0].action, "npm install left-pad");
    assert_eq!(n.approvals[0].by, "user");
    assert!(n.approvals[0].scope.contains("task"));
    assert!(n
        .network
        .iter()
        .any(|d| d.destination == "docs.rs" && d.reached));
    assert!(n
        .network
        .iter()
        .any(|d| d.destination == "evil.example" && !d.reached));
    let att: Vec<(AttentionKind, &str)> = n
        .attention
        .iter()
        .map(|a| (a.kind, a.text.as_str()))
        .collect();
    assert!(att.iter().any(|(k, s)| *k == AttentionKind::DeniedAction && s.contains("cat ~/.aws/credentials")), "{att:?}");
    assert!(
        att.iter()
            .any(|(k, s)| *k == AttentionKind::OutsideGoal
                && s.contains(".github/workflows/deploy.yml")),
        "{att:?}"
    );
    assert!(
        att.iter().any(|(k, _)| *k == AttentionKind::Unreviewed),
        "{att:?}"
    );
    assert!(
        !att.iter().any(|(k, _)| *k == AttentionKind::FailingTests),
        "{att:?}"
    );

    let md = n.to_markdown();
    for needle in [
        "## Goal",
        "Fix checkout tax calculation and add tests",
        "## Agent's summary",
        "Fixed the tax rounding",
        "## Changed files (2 files",
        "| modified | src/tax.rs | 1 | 1 | no |",
        "## Commands run",
        "`cargo test` → exit 101",
        "## Tests",
        "`cargo test` — failed: 2 passed, 1 failed, 1 skipped; exit 101",
        "`cargo test` — passed: 3 passed, 0 failed, 1 skipped; exit 0",
        "## Approvals granted",
        "## Network",
        "blocked `evil.example`",
        "## Needs attention",
        "- [ ] denied: cat ~/.aws/credentials",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}

#[test]
fn a_note_without_tests_says_they_are_missing() {
    let (mut env, t) = simple_env();
    write(&wt(&t), "src/tax.rs", b"fn tax() -> u32 {\n    8\n}\n");
    review::submit(&mut env.store, &t.id, Actor::User).unwrap();
    let n = review::note(&env.store, &t.id).unwrap();
    assert_eq!(n.test_status, TestStatus::Missing);
    assert!(n
        .attention
        .iter()
        .any(|a| a.kind == AttentionKind::MissingTests));
    assert!(n.summary.is_none());
    assert!(n.to_markdown().contains("_The agent left no summary._"));
}
