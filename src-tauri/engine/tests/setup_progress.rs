//! The guided first run's state on a real repository and a real store: the
//! position and acknowledgements survive closing and reopening the database,
//! the engine refuses to pass a step that may not be left, and the plan for
//! starting an agent names the right paddock, terminal and command.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use git2::{Repository, RepositoryInitOptions, Signature};
use paddock_engine::agent_launch::{self, LaunchAgent, LaunchEnv, PaddockBinary, PaddockSource};
use paddock_engine::agents::claude;
use paddock_engine::checklist::{StepId, StepStatus};
use paddock_engine::setup_progress::{self, AckKind, SetupError, SetupStage};
use paddock_engine::task::{self, Agent, NewTask};
use paddock_engine::terminal::TerminalKind;
use paddock_engine::{audit, PaddockHome, Store};

const GOAL: &str = "Fix checkout tax calculation and add tests";
/// A Stripe-shaped live key (fake): the scanner finds it, so the Secrets step warns.
const FAKE_KEY: &str = "sk_live_aB3dE5gH7jK9mN1pQ3sT5vW7";

struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PaddockHome,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let home = PaddockHome::at(root.join("paddock-home")).unwrap();
    World {
        _dir: dir,
        root,
        home,
    }
}

/// A repository with one commit and an untracked `.env` holding a fake key.
fn shop(w: &World) -> PathBuf {
    let path = w.root.join("shop");
    std::fs::create_dir_all(&path).unwrap();
    let mut opts = RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(&path, &opts).unwrap();
    std::fs::write(path.join("tax.rs"), "pub fn rate() -> u32 { 7 }\n").unwrap();
    std::fs::write(path.join(".gitignore"), ".env\n").unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("Test", "test@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "first", &tree, &[])
        .unwrap();
    std::fs::write(path.join(".env"), format!("STRIPE_KEY={FAKE_KEY}\n")).unwrap();
    path
}

fn new_task(w: &World, store: &mut Store, repo: &Path) -> String {
    task::create(
        store,
        &w.home,
        NewTask {
            repo: repo.to_path_buf(),
            goal: GOAL.into(),
            base: None,
            agent: Agent::Claude,
            copy: Vec::new(),
            accept_goal_warnings: false,
        },
    )
    .unwrap()
    .id
}

fn reopen(w: &World) -> Store {
    Store::open_home(&w.home).unwrap()
}

#[test]
fn a_first_launch_opens_the_repository_screen_and_nothing_else_resumes_it() {
    let w = world();
    let store = reopen(&w);
    let v = setup_progress::resume(&store)
        .unwrap()
        .expect("first launch");
    assert_eq!(v.stage, SetupStage::Repository);
    assert!(v.task.is_none());
}

#[test]
fn the_setup_resumes_at_the_same_step_of_the_same_task_after_a_restart() {
    let w = world();
    let repo = shop(&w);
    let mut store = reopen(&w);
    let t = new_task(&w, &mut store, &repo);

    let v = setup_progress::go_to(&mut store, &t, SetupStage::Workspace).unwrap();
    assert_eq!(v.steps.len(), 8);
    assert_eq!(v.steps[0].status, StepStatus::Ok, "{:?}", v.steps[0]);
    let secrets = &v.steps[3];
    assert_eq!(secrets.id, StepId::Secrets);
    assert_eq!(secrets.status, StepStatus::Warn, "{}", secrets.summary);

    // Up to Secrets is fine; past it, the warning needs "continue anyway".
    setup_progress::go_to(&mut store, &t, SetupStage::Secrets).unwrap();
    let refused = setup_progress::go_to(&mut store, &t, SetupStage::Network).unwrap_err();
    assert!(
        matches!(&refused, SetupError::StepNotDone { step, .. } if step == "Secrets"),
        "{refused}"
    );
    // Acknowledgements that do not apply are refused, not recorded.
    let e = setup_progress::acknowledge(
        &mut store,
        &t,
        StepId::Secrets,
        AckKind::PolicyReviewed,
        SetupStage::Secrets,
    )
    .unwrap_err();
    assert!(matches!(e, SetupError::AckDoesNotApply { .. }), "{e}");
    let e = setup_progress::acknowledge(
        &mut store,
        &t,
        StepId::Workspace,
        AckKind::ContinueAnyway,
        SetupStage::Secrets,
    )
    .unwrap_err();
    assert!(matches!(e, SetupError::NothingToContinuePast { .. }), "{e}");

    let v = setup_progress::acknowledge(
        &mut store,
        &t,
        StepId::Secrets,
        AckKind::ContinueAnyway,
        SetupStage::Secrets,
    )
    .unwrap();
    assert!(v.gates[3].can_leave);
    assert_eq!(v.acks.len(), 1);
    assert!(v.acks[0].summary.contains("finding"), "{:?}", v.acks[0]);
    setup_progress::go_to(&mut store, &t, SetupStage::Network).unwrap();
    drop(store);

    // "Close the app": a fresh connection reads the same place back.
    let store = reopen(&w);
    let v = setup_progress::resume(&store).unwrap().expect("resumable");
    assert_eq!(v.stage, SetupStage::Network);
    assert_eq!(v.task.as_ref().map(|t| t.id.as_str()), Some(t.as_str()));
    assert_eq!(v.acks.len(), 1);
    assert_eq!(
        (v.acks[0].step, v.acks[0].kind),
        (StepId::Secrets, AckKind::ContinueAnyway)
    );
    // Each move and acknowledgement is an audit event, and the chain holds.
    let events = audit::list(&store, Some(&t)).unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| k.starts_with("setup."))
        .collect();
    assert_eq!(
        kinds,
        [
            "setup.position",
            "setup.position",
            "setup.ack",
            "setup.position"
        ]
    );
    assert!(events
        .iter()
        .any(|e| e.reason == "the person continued past the Secrets step's warning"));
    assert!(audit::verify(&store).unwrap().is_intact());
}

#[test]
fn commands_and_review_need_the_persons_acknowledgement_before_ready() {
    let w = world();
    let repo = shop(&w);
    std::fs::remove_file(repo.join(".env")).unwrap();
    let mut store = reopen(&w);
    let t = new_task(&w, &mut store, &repo);
    let ack = |store: &mut Store, step, kind, stage| {
        setup_progress::acknowledge(store, &t, step, kind, stage).unwrap()
    };

    let e = setup_progress::go_to(&mut store, &t, SetupStage::Logs).unwrap_err();
    assert!(
        matches!(&e, SetupError::StepNotDone { step, .. } if step == "Commands"),
        "{e}"
    );
    // Claude Code is not wired yet: the step fails, and no acknowledgement passes it.
    let v = setup_progress::view(&store, &t, SetupStage::Commands).unwrap();
    assert_eq!(
        v.steps[5].status,
        StepStatus::Fail,
        "{}",
        v.steps[5].summary
    );
    let e = setup_progress::acknowledge(
        &mut store,
        &t,
        StepId::Commands,
        AckKind::ContinueAnyway,
        SetupStage::Commands,
    )
    .unwrap_err();
    assert!(matches!(e, SetupError::NothingToContinuePast { .. }), "{e}");
    ack(
        &mut store,
        StepId::Commands,
        AckKind::PolicyReviewed,
        SetupStage::Commands,
    );
    assert!(setup_progress::go_to(&mut store, &t, SetupStage::Logs).is_err());
    // The fix in place: wire the task's agent (`paddock agent setup claude`).
    let bin = w.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("paddock"), "#!/bin/sh\n").unwrap();
    let paddock = PaddockBinary {
        path: bin.join("paddock"),
        source: PaddockSource::Path,
    };
    let env = LaunchEnv {
        var: &|_| None,
        user_home: Some(w.root.clone()),
        path: None,
    };
    let written =
        agent_launch::wire_task_agent(&w.home, &mut store, &t, Some(&paddock), &env).unwrap();
    assert!(written[0].ends_with(".claude/settings.json"), "{written:?}");
    let v = setup_progress::view(&store, &t, SetupStage::Commands).unwrap();
    assert_eq!(v.steps[5].status, StepStatus::Ok, "{}", v.steps[5].summary);
    setup_progress::go_to(&mut store, &t, SetupStage::Review).unwrap();
    assert!(setup_progress::go_to(&mut store, &t, SetupStage::Ready).is_err());
    ack(
        &mut store,
        StepId::Review,
        AckKind::ReviewRequired,
        SetupStage::Review,
    );
    let v = setup_progress::go_to(&mut store, &t, SetupStage::Ready).unwrap();
    assert!(v.ready, "{}", v.verdict);
    assert_eq!(v.in_place, 8);
    assert!(
        v.verdict.starts_with("Ready: all eight steps are in place"),
        "{}",
        v.verdict
    );

    // A new setup begun afterwards is where a restart returns.
    setup_progress::begin(&mut store).unwrap();
    let v = setup_progress::resume(&reopen(&w)).unwrap().unwrap();
    assert_eq!(v.stage, SetupStage::Repository);
}

#[test]
fn the_launch_plan_confines_claude_with_its_own_state_and_knows_when_it_is_wired() {
    let w = world();
    let repo = shop(&w);
    let mut store = reopen(&w);
    let t = new_task(&w, &mut store, &repo);
    let bin = w.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = |p: &Path| {
        std::fs::write(p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    exe(&bin.join("paddock"));
    exe(&bin.join("xterm"));
    let config = w.root.join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let config_text = config.display().to_string();
    let var = |k: &str| match k {
        "CLAUDE_CONFIG_DIR" => Some(config_text.clone()),
        "ANTHROPIC_API_KEY" => Some("dummy".to_string()),
        _ => None,
    };
    let env = LaunchEnv {
        var: &var,
        user_home: Some(w.root.clone()),
        path: Some(bin.as_os_str().to_owned()),
    };
    let paddock = PaddockBinary {
        path: bin.join("paddock"),
        source: PaddockSource::Path,
    };
    let plan = agent_launch::plan(
        &w.home,
        &store,
        &t,
        LaunchAgent::Claude,
        None,
        Some(&paddock),
        &env,
    )
    .unwrap();
    let p = paddock.path.display().to_string();
    assert_eq!(
        plan.argv,
        [
            p.as_str(),
            "run",
            "--task",
            t.as_str(),
            "--allow-write",
            config_text.as_str(),
            "--keep-env",
            "ANTHROPIC_API_KEY",
            "--",
            "claude",
            GOAL
        ]
    );
    assert!(
        plan.command_line.ends_with(&format!("-- claude '{GOAL}'")),
        "{}",
        plan.command_line
    );
    assert_eq!(plan.terminal.as_ref().unwrap().kind, TerminalKind::Xterm);
    assert!(plan.setup_needed);

    // Once `paddock agent setup claude` wrote the hooks, the plan knows.
    claude::setup(
        &w.home,
        &task::get(&store, &t).unwrap(),
        &paddock.path,
        paddock_engine::approvals::configured_timeout().as_secs(),
    )
    .unwrap();
    let plan = agent_launch::plan(
        &w.home,
        &store,
        &t,
        LaunchAgent::Claude,
        Some("claude -p 'say \"hi\"; then stop'"),
        Some(&paddock),
        &env,
    )
    .unwrap();
    assert!(!plan.setup_needed);
    assert_eq!(
        plan.argv[plan.argv.len() - 3..],
        ["claude", "-p", "say \"hi\"; then stop"]
    );

    // Bad quoting and an empty command are refused with a reason.
    let e = agent_launch::plan(
        &w.home,
        &store,
        &t,
        LaunchAgent::Command,
        Some("echo 'unclosed"),
        Some(&paddock),
        &env,
    )
    .unwrap_err();
    assert!(e.to_string().contains("unclosed quote"), "{e}");
    let e = agent_launch::plan(
        &w.home,
        &store,
        &t,
        LaunchAgent::Command,
        Some("   "),
        Some(&paddock),
        &env,
    )
    .unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");

    // No terminal on PATH: the plan carries the command to paste; start refuses.
    let bare = LaunchEnv {
        var: &|_| None,
        user_home: None,
        path: Some(w.root.join("nothing").into_os_string()),
    };
    let plan = agent_launch::plan(
        &w.home,
        &store,
        &t,
        LaunchAgent::Command,
        Some("npm test"),
        Some(&paddock),
        &bare,
    )
    .unwrap();
    assert!(plan.terminal.is_none());
    assert!(plan.command_line.ends_with("-- npm test"));
    let e = agent_launch::start(
        &w.home,
        &mut store,
        &t,
        LaunchAgent::Command,
        Some("npm test"),
        Some(&paddock),
        &bare,
    )
    .unwrap_err();
    assert!(matches!(e, agent_launch::LaunchError::NoTerminal), "{e}");
}

#[test]
fn starting_opens_the_terminal_with_the_exact_words_and_logs_it() {
    let w = world();
    let repo = shop(&w);
    let mut store = reopen(&w);
    let t = new_task(&w, &mut store, &repo);
    let bin = w.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("paddock"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(bin.join("paddock"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A terminal of a kind Paddock does not know: it records its arguments.
    let record = w.root.join("terminal-args");
    let term = bin.join("my-term");
    std::fs::write(
        &term,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" > {}\n", record.display()),
    )
    .unwrap();
    std::fs::set_permissions(&term, std::fs::Permissions::from_mode(0o755)).unwrap();
    let term_text = term.display().to_string();
    let var = |k: &str| (k == "PADDOCK_TERMINAL").then(|| term_text.clone());
    let env = LaunchEnv {
        var: &var,
        user_home: Some(w.root.clone()),
        path: Some(bin.as_os_str().to_owned()),
    };
    let paddock = PaddockBinary {
        path: bin.join("paddock"),
        source: PaddockSource::BesideApp,
    };
    let out = agent_launch::start(
        &w.home,
        &mut store,
        &t,
        LaunchAgent::Command,
        Some("npm test -- --grep 'tax rate'"),
        Some(&paddock),
        &env,
    )
    .unwrap();
    assert!(out.wired.is_empty(), "any command needs no agent setup");
    let start = std::time::Instant::now();
    while !record.exists() {
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let args: Vec<String> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(args[0], "-e", "{args:?}");
    assert_eq!(args[1], "/bin/sh");
    let words = &args[args.iter().position(|a| a == "sh").unwrap() + 1..];
    assert_eq!(
        words,
        [
            paddock.path.display().to_string().as_str(),
            "run",
            "--task",
            t.as_str(),
            "--",
            "npm",
            "test",
            "--",
            "--grep",
            "tax rate"
        ]
    );
    let events = audit::list(&store, Some(&t)).unwrap();
    let launch = events.iter().find(|e| e.kind == "agent.launch").unwrap();
    assert!(
        launch.reason.starts_with("started in my-term: "),
        "{}",
        launch.reason
    );
}
