//! Tasks and workspaces on real git repositories in temp dirs, made with git2
//! and cross-checked with the `git` command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Repository, RepositoryInitOptions, Signature};
use paddock_engine::task::{self, Agent, NewTask, TaskError, TaskState};
use paddock_engine::workspace::{self, WorkspaceSpec};
use paddock_engine::{audit, PaddockHome, Store};
use sha2::{Digest, Sha256};

const GOAL: &str = "Fix checkout tax calculation and add tests";

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PaddockHome,
    store: Store,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let home = PaddockHome::at(root.join("paddock-home")).unwrap();
    let store = Store::open_home(&home).unwrap();
    std::fs::create_dir_all(root.join("fakehome")).unwrap();
    Env {
        _dir: dir,
        root,
        home,
        store,
    }
}

/// `git` with a private HOME and no system or global config.
fn git(env: &Env, dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", env.root.join("fakehome"))
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
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn init(path: &Path) -> Repository {
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(path, &opts).unwrap();
    let mut cfg = repo.config().unwrap();
    cfg.set_str("user.name", "Test").unwrap();
    cfg.set_str("user.email", "test@example.com").unwrap();
    repo
}

fn commit_all(repo: &Repository, message: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("Test", "test@example.com").unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// A repository `shop` with two commits on main and a `feature` branch.
fn shop(env: &Env) -> PathBuf {
    let path = env.root.join("shop");
    std::fs::create_dir_all(path.join("src")).unwrap();
    let repo = init(&path);
    std::fs::write(path.join("README.md"), "# shop\n").unwrap();
    std::fs::write(path.join("src/tax.rs"), "pub fn rate() -> u32 { 7 }\n").unwrap();
    std::fs::write(path.join(".gitignore"), "target/\n").unwrap();
    let first = commit_all(&repo, "first");
    repo.branch("feature", &repo.find_commit(first).unwrap(), false)
        .unwrap();
    std::fs::write(path.join("src/cart.rs"), "pub struct Cart;\n").unwrap();
    commit_all(&repo, "second");
    path
}

fn new_task(repo: &Path) -> NewTask {
    NewTask {
        repo: repo.to_owned(),
        goal: GOAL.into(),
        base: None,
        agent: Agent::Claude,
        copy: Vec::new(),
        accept_goal_warnings: false,
    }
}

/// SHA-256 of every file under `dir` (including .git), by relative path.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.insert(
                    p.strip_prefix(base).unwrap().to_owned(),
                    hex::encode(Sha256::digest(&bytes)),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The user's side of a repository: the working tree, HEAD, index, config and base refs.
fn user_side(snap: &BTreeMap<PathBuf, String>) -> BTreeMap<PathBuf, String> {
    snap.iter()
        .filter(|(p, _)| {
            !p.starts_with(".git")
                || [".git/HEAD", ".git/index", ".git/config", ".git/packed-refs"]
                    .iter()
                    .any(|k| p == &Path::new(k))
                || (p.starts_with(".git/refs/heads") && !p.starts_with(".git/refs/heads/paddock"))
        })
        .map(|(p, h)| (p.clone(), h.clone()))
        .collect()
}

fn paddock_branches(env: &Env, repo: &Path) -> String {
    git(env, repo, &["branch", "--list", "paddock/*"])
}

#[test]
fn the_worktree_is_on_a_new_branch_at_the_base_commit_and_the_checkout_is_untouched() {
    let mut env = env();
    let repo = shop(&env);
    // The user has work in progress: one modified file, one untracked file.
    std::fs::write(repo.join("README.md"), "# shop (editing)\n").unwrap();
    std::fs::write(repo.join("notes.txt"), "todo\n").unwrap();
    let before = snapshot(&repo);
    let main_before = git(&env, &repo, &["rev-parse", "main"]);

    let report = workspace::inspect(&repo, None).unwrap();
    assert_eq!(report.base, "main");
    assert_eq!(
        report.checkout_note,
        "2 uncommitted changes in your checkout (left untouched)"
    );

    let t = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap();
    assert_eq!(t.state, TaskState::Ready);
    assert_eq!(t.base, "main");
    assert_eq!(t.base_commit, main_before);
    assert_eq!(
        t.branch,
        format!("paddock/fix-checkout-tax-calculation-and-{}", t.id)
    );
    let wt = PathBuf::from(&t.worktree);
    assert_eq!(
        wt,
        env.home
            .worktrees()
            .canonicalize()
            .unwrap()
            .join("shop")
            .join(&t.id)
    );
    assert!(!wt.starts_with(&repo));

    // Cross-check with git itself.
    assert_eq!(
        git(&env, &wt, &["rev-parse", "--abbrev-ref", "HEAD"]),
        t.branch
    );
    assert_eq!(git(&env, &wt, &["rev-parse", "HEAD"]), main_before);
    assert_eq!(git(&env, &wt, &["status", "--porcelain"]), "");
    assert!(git(&env, &repo, &["worktree", "list", "--porcelain"])
        .contains(&format!("worktree {}", wt.display())));
    assert_eq!(git(&env, &repo, &["rev-parse", "main"]), main_before);
    assert_eq!(
        git(&env, &repo, &["rev-parse", "--abbrev-ref", "HEAD"]),
        "main"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("README.md")).unwrap(),
        "# shop\n"
    );
    assert!(!wt.join("notes.txt").exists());

    // The user's working tree, HEAD, index and base ref are byte-for-byte unchanged.
    assert_eq!(user_side(&snapshot(&repo)), user_side(&before));

    // The goal is the task's first event; the move to ready is the second.
    let events = audit::list(&env.store, Some(&t.id)).unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["task.created", "task.ready"]);
    let p: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(p["goal"], GOAL);
    assert_eq!(p["repo"], repo.to_string_lossy().as_ref());
    assert_eq!(p["base"], "main");
    assert_eq!(p["base_commit"], main_before.as_str());
    assert_eq!(p["branch"], t.branch.as_str());
    assert_eq!(p["worktree"], t.worktree.as_str());
    assert_eq!(p["goal_warnings_overridden"], serde_json::json!([]));
    assert!(audit::verify(&env.store).unwrap().is_intact());

    assert_eq!(task::get(&env.store, &t.id).unwrap().branch, t.branch);
    assert_eq!(task::list(&env.store).unwrap().len(), 1);
}

#[test]
fn a_named_base_branch_is_used_and_branches_are_listed() {
    let mut env = env();
    let repo = shop(&env);
    assert_eq!(workspace::branches(&repo).unwrap(), ["feature", "main"]);
    let mut new = new_task(&repo);
    new.base = Some("feature".into());
    let t = task::create(&mut env.store, &env.home, new).unwrap();
    assert_eq!(t.base, "feature");
    let wt = PathBuf::from(&t.worktree);
    assert_eq!(
        git(&env, &wt, &["rev-parse", "HEAD"]),
        git(&env, &repo, &["rev-parse", "feature"])
    );
    assert!(!wt.join("src/cart.rs").exists());
}

#[test]
fn discard_removes_the_worktree_and_branch_and_leaves_the_repository_byte_identical() {
    let mut env = env();
    let repo = shop(&env);
    std::fs::write(repo.join("notes.txt"), "todo\n").unwrap();
    let before = snapshot(&repo);
    let t = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap();
    let r = task::discard(&mut env.store, &env.home, &t.id, false).unwrap();
    assert_eq!(r.task.state, TaskState::Discarded);
    assert!(!Path::new(&t.worktree).exists());
    assert_eq!(paddock_branches(&env, &repo), "");
    assert!(!git(&env, &repo, &["worktree", "list"]).contains(&t.id));
    // Every file of the repository, .git included, is as before.
    assert_eq!(snapshot(&repo), before);
    let last = audit::list(&env.store, Some(&t.id)).unwrap().pop().unwrap();
    assert_eq!(last.kind, "task.discarded");
    // A discarded task cannot be discarded (or restarted) again.
    let e = task::discard(&mut env.store, &env.home, &t.id, false).unwrap_err();
    assert!(matches!(e, TaskError::IllegalTransition { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "a task cannot go from discarded to discarded"
    );
}

#[test]
fn discard_refuses_unreviewed_commits_unless_forced() {
    let mut env = env();
    let repo = shop(&env);
    let main_before = git(&env, &repo, &["rev-parse", "main"]);
    let t = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap();
    let wt = PathBuf::from(&t.worktree);
    std::fs::write(wt.join("src/tax.rs"), "pub fn rate() -> u32 { 8 }\n").unwrap();
    git(&env, &wt, &["commit", "-am", "agent work"]);

    let e = task::discard(&mut env.store, &env.home, &t.id, false).unwrap_err();
    assert!(
        matches!(e, TaskError::UnreviewedCommits { count: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("1 commit not yet reviewed"), "{e}");
    assert!(wt.exists());
    assert_eq!(
        task::get(&env.store, &t.id).unwrap().state,
        TaskState::Ready
    );

    let r = task::discard(&mut env.store, &env.home, &t.id, true).unwrap();
    assert_eq!(r.unreviewed_commits, 1);
    assert!(!wt.exists());
    assert_eq!(paddock_branches(&env, &repo), "");
    assert_eq!(git(&env, &repo, &["rev-parse", "main"]), main_before);
    let last = audit::list(&env.store, Some(&t.id)).unwrap().pop().unwrap();
    let p: serde_json::Value = serde_json::from_str(&last.payload).unwrap();
    assert_eq!(p["forced"], true);
    assert_eq!(p["unreviewed_commits"], 1);
}

#[test]
fn discard_refuses_uncommitted_work_in_the_worktree_unless_forced() {
    let mut env = env();
    let repo = shop(&env);
    let t = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap();
    std::fs::write(Path::new(&t.worktree).join("draft.txt"), "x").unwrap();
    let e = task::discard(&mut env.store, &env.home, &t.id, false).unwrap_err();
    assert!(
        matches!(e, TaskError::UncommittedWork { count: 1, .. }),
        "{e}"
    );
    task::discard(&mut env.store, &env.home, &t.id, true).unwrap();
}

fn assert_refused(env: &mut Env, new: NewTask, expect: &str) {
    let e = task::create(&mut env.store, &env.home, new).unwrap_err();
    assert!(
        e.to_string().contains(expect),
        "expected {expect:?} in: {e}"
    );
    assert!(task::list(&env.store).unwrap().is_empty());
}

#[test]
fn a_folder_that_is_not_a_repository_is_refused() {
    let mut env = env();
    let plain = env.root.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    assert_refused(&mut env, new_task(&plain), "is not inside a git repository");
}

#[test]
fn a_bare_repository_is_refused() {
    let mut env = env();
    let bare = env.root.join("bare.git");
    Repository::init_bare(&bare).unwrap();
    assert_refused(&mut env, new_task(&bare), "is a bare repository");
}

#[test]
fn a_repository_with_no_commits_is_refused() {
    let mut env = env();
    let empty = env.root.join("empty");
    init(&empty);
    assert_refused(&mut env, new_task(&empty), "has no commits yet");
}

#[test]
fn a_detached_head_without_a_named_base_is_refused() {
    let mut env = env();
    let repo = shop(&env);
    git(&env, &repo, &["checkout", "--detach", "HEAD~1"]);
    assert_refused(&mut env, new_task(&repo), "HEAD is detached");
    // Naming the base works even then.
    let mut new = new_task(&repo);
    new.base = Some("main".into());
    task::create(&mut env.store, &env.home, new).unwrap();
}

#[test]
fn a_missing_base_branch_is_refused_with_the_branches_that_exist() {
    let mut env = env();
    let repo = shop(&env);
    let mut new = new_task(&repo);
    new.base = Some("develop".into());
    assert_refused(
        &mut env,
        new,
        "base branch \"develop\" does not exist (local branches: feature, main)",
    );
    assert_eq!(paddock_branches(&env, &repo), "");
}

#[test]
fn the_base_branch_is_never_used_as_the_task_branch() {
    let env = env();
    let repo = shop(&env);
    let target = env.home.worktrees().join("x");
    let e = workspace::create(
        &repo,
        &WorkspaceSpec {
            base: "main",
            branch: "main",
            path: &target,
            worktree_name: "x",
            copies: &[],
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("would be the base branch itself"),
        "{e}"
    );
    assert!(!target.exists());
}

#[test]
fn a_worktree_folder_inside_the_users_repository_is_refused() {
    let mut env = env();
    let repo = shop(&env);
    let before = snapshot(&repo);
    env.home = PaddockHome::at(repo.join("target/paddock")).unwrap();
    assert_refused(&mut env, new_task(&repo), "your repository's checkout");
    assert_eq!(paddock_branches(&env, &repo), "");
    assert_eq!(git(&env, &repo, &["worktree", "list"]).lines().count(), 1);
    let _ = before;
}

#[test]
fn a_worktree_folder_inside_another_worktree_is_refused() {
    let mut env = env();
    let repo = shop(&env);
    let other = env.root.join("other-wt");
    git(
        &env,
        &repo,
        &["worktree", "add", other.to_str().unwrap(), "feature"],
    );
    env.home = PaddockHome::at(other.join("state")).unwrap();
    assert_refused(&mut env, new_task(&repo), "another worktree");
    assert_eq!(paddock_branches(&env, &repo), "");
}

#[test]
fn untracked_files_are_copied_and_secret_bearing_ones_refused() {
    let mut env = env();
    let repo = shop(&env);
    std::fs::create_dir_all(repo.join("fixtures/more")).unwrap();
    std::fs::write(repo.join("fixtures/orders.json"), "[]").unwrap();
    std::fs::write(repo.join("fixtures/more/a.csv"), "a").unwrap();
    std::fs::write(repo.join("local.toml"), "x = 1").unwrap();
    std::fs::write(repo.join(".env.local"), "TOKEN=hunter2").unwrap();
    std::fs::create_dir_all(repo.join("certs")).unwrap();
    std::fs::write(repo.join("certs/server.pem"), "-----BEGIN").unwrap();

    for (path, expect) in [
        (".env.local", "secret-bearing pattern \".env*\""),
        ("certs", "secret-bearing pattern \"*.pem\""),
        ("../outside.txt", "without '..'"),
        ("README.md", "git tracks it"),
        ("nope.txt", "no such file"),
    ] {
        let mut new = new_task(&repo);
        new.copy = vec![PathBuf::from(path)];
        assert_refused(&mut env, new, expect);
        assert_eq!(paddock_branches(&env, &repo), "");
    }

    let mut new = new_task(&repo);
    new.copy = vec!["fixtures".into(), "local.toml".into()];
    let t = task::create(&mut env.store, &env.home, new).unwrap();
    let wt = PathBuf::from(&t.worktree);
    assert_eq!(
        std::fs::read_to_string(wt.join("fixtures/orders.json")).unwrap(),
        "[]"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("fixtures/more/a.csv")).unwrap(),
        "a"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("local.toml")).unwrap(),
        "x = 1"
    );
    assert!(!wt.join(".env.local").exists());
    // The originals are still there.
    assert!(repo.join("local.toml").exists());
}

#[test]
fn a_goal_with_warnings_is_refused_unless_accepted_and_the_override_is_logged() {
    let mut env = env();
    let repo = shop(&env);
    let mut new = new_task(&repo);
    new.goal = "fix bugs".into();
    let e = task::create(&mut env.store, &env.home, new.clone()).unwrap_err();
    match &e {
        TaskError::GoalNeedsNarrowing { warnings } => assert!(warnings.len() >= 2),
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("--accept-goal-warnings"));
    assert_eq!(paddock_branches(&env, &repo), "");

    new.goal = "   ".into();
    assert_refused(&mut env, new.clone(), "a goal is required");

    new.goal = "fix bugs".into();
    new.accept_goal_warnings = true;
    let t = task::create(&mut env.store, &env.home, new).unwrap();
    assert!(!t.goal_warnings.is_empty());
    let created = &audit::list(&env.store, Some(&t.id)).unwrap()[0];
    assert!(
        created.reason.contains("user overrode"),
        "{}",
        created.reason
    );
    let p: serde_json::Value = serde_json::from_str(&created.payload).unwrap();
    assert_eq!(
        p["goal_warnings_overridden"].as_array().unwrap().len(),
        t.goal_warnings.len()
    );
}

#[test]
fn states_move_only_along_the_allowed_paths_and_every_move_is_logged() {
    let mut env = env();
    let repo = shop(&env);
    let t = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap();
    let e = task::transition(
        &mut env.store,
        &t.id,
        TaskState::Merged,
        audit::Actor::User,
        "skip review",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "a task cannot go from ready to merged");
    for to in [
        TaskState::Running,
        TaskState::AwaitingReview,
        TaskState::Running,
        TaskState::AwaitingReview,
        TaskState::Merged,
    ] {
        let now =
            task::transition(&mut env.store, &t.id, to, audit::Actor::Paddock, "step").unwrap();
        assert_eq!(now.state, to);
    }
    let kinds: Vec<String> = audit::list(&env.store, Some(&t.id))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "task.created",
            "task.ready",
            "task.running",
            "task.awaiting_review",
            "task.running",
            "task.awaiting_review",
            "task.merged"
        ]
    );
    let e = task::transition(
        &mut env.store,
        &t.id,
        TaskState::Running,
        audit::Actor::User,
        "again",
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "a task cannot go from merged to running");
}

#[test]
fn eight_threads_creating_tasks_at_once_get_unique_names() {
    let env = env();
    let repo = shop(&env);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let repo = repo.clone();
            let home = env.home.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut store = Store::open_home(&home).unwrap();
                barrier.wait();
                task::create(&mut store, &home, new_task(&repo)).unwrap()
            })
        })
        .collect();
    let tasks: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ids: std::collections::BTreeSet<_> = tasks.iter().map(|t| t.id.clone()).collect();
    let branches: std::collections::BTreeSet<_> = tasks.iter().map(|t| t.branch.clone()).collect();
    let trees: std::collections::BTreeSet<_> = tasks.iter().map(|t| t.worktree.clone()).collect();
    assert_eq!((ids.len(), branches.len(), trees.len()), (8, 8, 8));
    assert_eq!(paddock_branches(&env, &repo).lines().count(), 8);
    for t in &tasks {
        assert_eq!(
            git(
                &env,
                Path::new(&t.worktree),
                &["rev-parse", "--abbrev-ref", "HEAD"]
            ),
            t.branch
        );
    }
    assert!(audit::verify(&env.store).unwrap().is_intact());
}

fn with_submodule(env: &Env) -> (PathBuf, PathBuf) {
    let lib = env.root.join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let lib_repo = init(&lib);
    std::fs::write(lib.join("lib.txt"), "library\n").unwrap();
    commit_all(&lib_repo, "lib");
    let repo = shop(env);
    git(
        env,
        &repo,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            lib.to_str().unwrap(),
            "vendor/lib",
        ],
    );
    git(env, &repo, &["commit", "-m", "add lib"]);
    (repo, lib)
}

#[test]
fn submodules_are_initialised_in_the_worktree() {
    let mut env = env();
    let (repo, _lib) = with_submodule(&env);
    let t = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap();
    let wt = PathBuf::from(&t.worktree);
    assert_eq!(
        std::fs::read_to_string(wt.join("vendor/lib/lib.txt")).unwrap(),
        "library\n"
    );
    assert_eq!(git(&env, &wt, &["status", "--porcelain"]), "");
}

#[test]
fn a_failure_after_the_branch_exists_leaves_nothing_behind() {
    let mut env = env();
    let (repo, lib) = with_submodule(&env);
    // The submodule's source disappears: initialising it in the worktree fails.
    std::fs::remove_dir_all(&lib).unwrap();
    let before = snapshot(&repo);
    let e = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap_err();
    assert!(
        e.to_string()
            .contains("submodule \"vendor/lib\" could not be initialised"),
        "{e}"
    );
    assert_eq!(paddock_branches(&env, &repo), "");
    assert_eq!(git(&env, &repo, &["worktree", "list"]).lines().count(), 1);
    let scope = env.home.worktrees().join("shop");
    assert_eq!(std::fs::read_dir(&scope).unwrap().count(), 0);
    assert!(task::list(&env.store).unwrap().is_empty());
    assert_eq!(user_side(&snapshot(&repo)), user_side(&before));
}

#[test]
fn the_checklist_shows_the_newest_active_task() {
    use paddock_engine::checklist::{steps, StepId, StepStatus};
    let mut env = env();
    let find = |s: &Store, id: StepId| steps(s).into_iter().find(|x| x.id == id).unwrap();
    for id in [StepId::Workspace, StepId::Branch, StepId::Goal] {
        let st = find(&env.store, id);
        assert_eq!(st.status, StepStatus::NotSetUp);
        assert!(st.summary.contains("no active task yet"), "{}", st.summary);
    }
    let repo = shop(&env);
    let t = task::create(&mut env.store, &env.home, new_task(&repo)).unwrap();
    let ws = find(&env.store, StepId::Workspace);
    assert_eq!(ws.status, StepStatus::Ok);
    assert!(ws.summary.contains(&format!("works in {}", t.worktree)));
    let br = find(&env.store, StepId::Branch);
    assert_eq!(br.status, StepStatus::Ok);
    assert_eq!(br.summary, format!("On {}; main is protected.", t.branch));
    let goal = find(&env.store, StepId::Goal);
    assert_eq!(
        (goal.status, goal.summary),
        (StepStatus::Ok, format!("\"{GOAL}\""))
    );

    let mut new = new_task(&repo);
    new.goal = "Make it better".into();
    new.accept_goal_warnings = true;
    let t2 = task::create(&mut env.store, &env.home, new).unwrap();
    let goal = find(&env.store, StepId::Goal);
    assert_eq!(goal.status, StepStatus::Warn);
    assert!(
        goal.summary.contains("despite 3 goal warnings"),
        "{}",
        goal.summary
    );

    // Discarding the newest makes the older one current again; discarding both leaves none.
    task::discard(&mut env.store, &env.home, &t2.id, false).unwrap();
    assert_eq!(find(&env.store, StepId::Goal).status, StepStatus::Ok);
    task::discard(&mut env.store, &env.home, &t.id, false).unwrap();
    assert_eq!(
        find(&env.store, StepId::Workspace).status,
        StepStatus::NotSetUp
    );
}
