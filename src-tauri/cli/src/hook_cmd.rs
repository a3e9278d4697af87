//! `paddock hook`: the command Claude Code and Codex run for every hook event.
//! All the work is the engine's ([`paddock_engine::hook`]); this file reads
//! stdin, prints the answer and makes sure that nothing — a panic, a closed
//! pipe, an argument error — ever ends in an exit code other than 0 or 2
//! (Claude Code lets an action through on any other non-zero code).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use paddock_engine::agents::AgentKind;
use paddock_engine::{approvals, hook, hook_socket};

#[derive(Args)]
pub struct HookArgs {
    /// The task the agent works on (default: the task whose worktree contains the event's cwd).
    #[arg(long)]
    task: Option<String>,
    /// Paddock's state folder (default: $PADDOCK_HOME, else the platform's data dir).
    #[arg(long)]
    home: Option<PathBuf>,
    /// Which agent sends the events: claude or codex (for the log).
    #[arg(long)]
    agent: Option<String>,
    /// How long an action that needs a person waits before it is denied
    /// (default: $PADDOCK_APPROVAL_TIMEOUT_SECS, else 120).
    #[arg(long)]
    timeout_secs: Option<u64>,
}

/// Before anything else runs: a panic prints one line and exits 2.
pub fn install_panic_guard() {
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(
            std::io::stderr(),
            "paddock: internal error in the hook ({info}); blocked"
        );
        std::process::exit(i32::from(hook::EXIT_BLOCK));
    }));
}

fn block(reason: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "paddock: {reason}; blocked");
    ExitCode::from(hook::EXIT_BLOCK)
}

pub fn run(args: HookArgs) -> ExitCode {
    match std::panic::catch_unwind(move || answer(args)) {
        Ok(code) => code,
        Err(_) => block("internal error in the hook"),
    }
}

fn answer(args: HookArgs) -> ExitCode {
    let agent = match args.agent.as_deref() {
        None => None,
        Some(a) => match AgentKind::parse(a) {
            Some(k) => Some(k),
            None => return block(&format!("unknown --agent {a:?} (claude or codex)")),
        },
    };
    let mut input = Vec::new();
    let limit = hook::MAX_INPUT as u64 + 1;
    if let Err(e) = std::io::stdin().lock().take(limit).read_to_end(&mut input) {
        return block(&format!("cannot read the hook event from stdin: {e}"));
    }
    if input.len() > hook::MAX_INPUT {
        return block("the hook event is larger than 32 MiB");
    }
    let approval_timeout = args
        .timeout_secs
        .map(Duration::from_secs)
        .unwrap_or_else(approvals::configured_timeout);
    // Inside `paddock run`'s sandbox the database is read-only: the run
    // process answers for us. Any failure to reach it blocks.
    if let Some(socket) = std::env::var_os(hook_socket::SOCKET_ENV).filter(|v| !v.is_empty()) {
        let req = hook_socket::HookRequest {
            task: args.task,
            agent: args.agent,
            timeout_secs: approval_timeout.as_secs(),
            input_len: input.len(),
        };
        return match hook_socket::forward(&PathBuf::from(socket), &req, &input) {
            Ok(answer) => relay(&answer),
            Err(e) => block(&e),
        };
    }
    let opts = hook::HookOptions {
        task: args.task,
        agent,
        approval_timeout,
        home: args.home.or_else(|| {
            std::env::var_os(paddock_engine::home::HOME_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        }),
    };
    relay(&hook::run(&input, &opts))
}

/// Print an answer and turn it into the exit code (0 or 2).
fn relay(answer: &hook::HookAnswer) -> ExitCode {
    if !answer.stdout.is_empty() {
        let mut out = std::io::stdout().lock();
        if out
            .write_all(answer.stdout.as_bytes())
            .and_then(|_| out.flush())
            .is_err()
        {
            return block("cannot write the answer to stdout");
        }
    }
    if !answer.stderr.is_empty() {
        let _ = std::io::stderr().write_all(answer.stderr.as_bytes());
    }
    if answer.exit_code == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(hook::EXIT_BLOCK)
    }
}
