//! `paddock review …` and `paddock log export` as a user runs them: the real
//! binary, a real git repository, a private PADDOCK_HOME and HOME.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use paddock_engine::audit::Actor;
use paddock_engine::task::{self, TaskState};
use paddock_engine::{PaddockHome, Store};

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

    fn paddock(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_paddock"))
            .args(args)
            .env("PADDOCK_HOME", self.root.join("paddock-home"))
            .env("HOME", self.root.join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.paddock(args);
        assert!(
            out.status.success(),
            "paddock {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs, fails, and says so in one `paddock: error:` line.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.paddock(args);
        assert!(!out.status.success(), "paddock {args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("paddock: error: "), "{err}");
        err
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
}

#[test]
fn a_task_is_submitted_reviewed_merged_and_its_log_exported_from_the_command_line() {
    let sb = Sandbox::new();
    let repo = sb.root.join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    sb.git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("tax.rs"), "fn rate() -> u32 { 7 }\n").unwrap();
    sb.git(&repo, &["add", "."]);
    sb.git(&repo, &["commit", "-qm", "base"]);

    let created = sb.ok(&[
        "task",
        "new",
        "--repo",
        repo.to_str().unwrap(),
        "--goal",
        "Fix checkout tax calculation and add tests",
        "--json",
    ]);
    let t: serde_json::Value = serde_json::from_str(&created).unwrap();
    let id = t["id"].as_str().unwrap().to_owned();
    let worktree = PathBuf::from(t["worktree"].as_str().unwrap());
    // The agent starts (the hooks do this in real use) and edits without committing.
    {
        let home = PaddockHome::at(sb.root.join("paddock-home")).unwrap();
        let mut store = Store::open_home(&home).unwrap();
        task::transition(
            &mut store,
            &id,
            TaskState::Running,
            Actor::Agent("claude".into()),
            "started",
        )
        .unwrap();
    }
    std::fs::write(worktree.join("tax.rs"), "fn rate() -> u32 { 8 }\n").unwrap();
    std::fs::write(worktree.join("tax_test.rs"), "#[test]\nfn rate_is_8() {}\n").unwrap();

    let out = sb.ok(&["review", "submit", "--task", &id]);
    assert!(out.contains("awaiting review: 2 file(s), +3 -1"), "{out}");

    let stat = sb.ok(&["review", "diff", "--task", &id]);
    assert!(stat.contains(" M tax.rs"), "{stat}");
    assert!(stat.contains(" A tax_test.rs"), "{stat}");
    assert!(
        stat.contains("2 files changed, 3 insertions(+), 1 deletion(-); 0 of 2 reviewed"),
        "{stat}"
    );
    let patch = sb.ok(&["review", "diff", "--task", &id, "--patch"]);
    assert!(
        patch.contains("-fn rate() -> u32 { 7 }\n+fn rate() -> u32 { 8 }"),
        "{patch}"
    );
    assert!(patch.contains("new file mode 100644"), "{patch}");

    let err = sb.fails(&["review", "merge", "--task", &id, "--yes"]);
    assert!(err.contains("not reviewed yet"), "{err}");
    let err = sb.fails(&["review", "mark", "--task", &id, "nope.rs"]);
    assert!(err.contains("not one of the files"), "{err}");
    let out = sb.ok(&["review", "mark", "--task", &id, "--all"]);
    assert!(out.contains("2 of 2 file(s) reviewed"), "{out}");

    let err = sb.fails(&["review", "merge", "--task", &id, "--yes"]);
    assert!(
        err.contains("no tests were run") && err.contains("--merge-anyway"),
        "{err}"
    );
    // Without a terminal, a merge needs an explicit --yes.
    let err = sb.fails(&["review", "merge", "--task", &id, "--merge-anyway"]);
    assert!(err.contains("--yes"), "{err}");

    let note = sb.ok(&["review", "note", "--task", &id]);
    assert!(
        note.contains("## Goal") && note.contains("_No tests were run._"),
        "{note}"
    );

    let out = sb.ok(&[
        "review",
        "merge",
        "--task",
        &id,
        "--merge-anyway",
        "--delete-branch",
        "--yes",
    ]);
    assert!(out.contains("main fast-forwarded"), "{out}");
    assert!(out.contains("nothing was pushed"), "{out}");
    assert_eq!(
        std::fs::read_to_string(repo.join("tax.rs")).unwrap(),
        "fn rate() -> u32 { 8 }\n"
    );
    assert_eq!(sb.git(&repo, &["status", "--porcelain"]), "");
    assert!(!worktree.exists());
    assert_eq!(sb.git(&repo, &["branch", "--list", "paddock/*"]), "");

    let jsonl = sb.ok(&["log", "export", "--task", &id, "--format", "jsonl"]);
    let kinds: Vec<String> = jsonl
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["task"], id.as_str());
            v["kind"].as_str().unwrap().to_owned()
        })
        .collect();
    for k in [
        "task.created",
        "task.awaiting_review",
        "review.file_reviewed",
        "review.merge_refused",
        "review.merge_anyway",
        "review.merged",
        "task.merged",
        "review.branch_deleted",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    let md = sb.ok(&["log", "export", "--task", &id, "--format", "md"]);
    assert!(md.starts_with(&format!("# Task {id} — audit log")), "{md}");
    assert!(md.contains("Hash chain: intact"), "{md}");
    assert!(
        md.contains("`review.merge_anyway` · user — merge anyway: no tests were run"),
        "{md}"
    );
    assert_eq!(
        md.lines().filter(|l| l.starts_with("- **")).count(),
        kinds.len()
    );

    let err = sb.fails(&["review", "note", "--task", "nope"]);
    assert!(err.contains("no task \"nope\""), "{err}");
}
