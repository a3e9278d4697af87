//! Start an agent on a task inside its fence, in the person's terminal: wire
//! the agent's hooks when they are not wired yet (`paddock agent setup`), then
//! run `paddock run --task T -- <agent command>` in a terminal window of their
//! own (see [`crate::terminal`]). When no terminal can be found, the plan still
//! carries the exact command line to paste.
//!
//! The `paddock` binary is the one shipped beside the app (the bundle puts
//! it next to the app's executable), else the first on `PATH`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agents::{self, claude, codex, SetupError};
use crate::audit::{self, Actor, AuditError, NewEvent};
use crate::store::Store;
use crate::task::{self, Task, TaskError};
use crate::terminal::{self, Terminal, TerminalKind};
use crate::PaddockHome;

/// Which agent to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum LaunchAgent {
    Claude,
    Codex,
    /// Any command the person types, confined the same way.
    Command,
}

/// Where the `paddock` binary was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub enum PaddockSource {
    /// Next to the app's own executable (as the bundle ships it).
    BesideApp,
    /// The first `paddock` on `PATH`.
    Path,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaddockBinary {
    pub path: PathBuf,
    pub source: PaddockSource,
}

/// The `paddock` beside `app_exe`, else the first on `path`.
pub fn find_paddock(
    app_exe: Option<&Path>,
    path: Option<&std::ffi::OsStr>,
) -> Option<PaddockBinary> {
    let name = if cfg!(windows) {
        "paddock.exe"
    } else {
        "paddock"
    };
    if let Some(dir) = app_exe.and_then(Path::parent) {
        if let Some(p) = terminal::which_in(&dir.join(name).to_string_lossy(), None) {
            return Some(PaddockBinary {
                path: p,
                source: PaddockSource::BesideApp,
            });
        }
    }
    terminal::which_in(name, path).map(|p| PaddockBinary {
        path: p,
        source: PaddockSource::Path,
    })
}

/// What "Start the agent" will do, shown before it does it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct LaunchPlan {
    pub task: String,
    pub agent: LaunchAgent,
    /// The `paddock` binary used (absent: none was found; nothing can start).
    pub paddock: Option<String>,
    pub paddock_source: Option<PaddockSource>,
    /// The agent's own command line, as the person may edit it.
    pub agent_command: String,
    /// The whole command, program first.
    pub argv: Vec<String>,
    /// The same, quoted for a POSIX shell: what to paste when no terminal is found.
    pub command_line: String,
    /// The agent's hooks are not wired to Paddock yet; starting wires them first.
    pub setup_needed: bool,
    /// The terminal emulator that will open (absent: none found; paste the command).
    pub terminal: Option<Terminal>,
    /// Things the person should know (a key kept for the agent, a folder it may write).
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("the agent's command is empty: type the command to start")]
    EmptyCommand,
    #[error("the command has an unclosed quote: {0}")]
    BadQuoting(String),
    #[error(
        "no `paddock` binary beside the app or on PATH: install Paddock's CLI, then try again"
    )]
    NoPaddock,
    #[error("no terminal emulator found (set $PADDOCK_TERMINAL or $TERMINAL): paste the command into a terminal instead")]
    NoTerminal,
    #[error("cannot start {terminal}: {source}")]
    Spawn {
        terminal: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The environment the plan reads: a variable by name, the user's home, `PATH`.
pub struct LaunchEnv<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    pub user_home: Option<PathBuf>,
    pub path: Option<OsString>,
}

impl LaunchEnv<'_> {
    /// This process's own environment.
    pub fn from_process() -> LaunchEnv<'static> {
        LaunchEnv {
            var: &|k| std::env::var(k).ok(),
            user_home: std::env::var_os("HOME").map(PathBuf::from),
            path: std::env::var_os("PATH"),
        }
    }
}

/// The agent's default command line for `task`: the agent started on the goal.
pub fn default_command(agent: LaunchAgent, task: &Task) -> String {
    let goal = agents::quote_for_shell(&task.goal);
    match agent {
        LaunchAgent::Claude => format!("claude {goal}"),
        LaunchAgent::Codex => format!("codex {goal}"),
        LaunchAgent::Command => String::new(),
    }
}

/// The agent's own configuration already sends every tool call to Paddock
/// (the same measurement as the checklist's Commands step).
fn wired(home: &PaddockHome, task: &Task, agent: LaunchAgent) -> bool {
    match agent {
        LaunchAgent::Claude => claude::is_wired(Path::new(&task.worktree), &task.id),
        LaunchAgent::Codex => codex::is_wired(home, &task.id),
        LaunchAgent::Command => true,
    }
}

/// `paddock agent setup <agent> --task T`: write the agent's hooks so every
/// tool call passes through `paddock hook` (the Commands step's fix). Returns
/// the files written and the notes setup made; nothing for any other command.
pub fn wire(
    home: &PaddockHome,
    task: &Task,
    agent: LaunchAgent,
    paddock: &PaddockBinary,
    env: &LaunchEnv<'_>,
) -> Result<(Vec<PathBuf>, Vec<String>), LaunchError> {
    let timeout = crate::approvals::configured_timeout().as_secs();
    let report = match agent {
        LaunchAgent::Claude => claude::setup(home, task, &paddock.path, timeout)?,
        LaunchAgent::Codex => {
            let user_home = env.user_home.clone().ok_or(SetupError::Io {
                doing: "find",
                path: PathBuf::from("$HOME"),
                source: std::io::Error::other("HOME is not set"),
            })?;
            codex::setup(home, task, &paddock.path, timeout, &user_home)?
        }
        LaunchAgent::Command => return Ok((Vec::new(), Vec::new())),
    };
    Ok((report.written, report.notes))
}

/// The agent a task was made for, as a launch choice.
pub fn task_agent(task: &Task) -> LaunchAgent {
    match task.agent {
        crate::task::Agent::Claude => LaunchAgent::Claude,
        crate::task::Agent::Codex => LaunchAgent::Codex,
        crate::task::Agent::Other => LaunchAgent::Command,
    }
}

/// Wire the task's own agent (the app's fix in place on the Commands step);
/// logged as `agent.setup`.
pub fn wire_task_agent(
    home: &PaddockHome,
    store: &mut Store,
    task_id: &str,
    paddock: Option<&PaddockBinary>,
    env: &LaunchEnv<'_>,
) -> Result<Vec<PathBuf>, LaunchError> {
    let paddock = paddock.ok_or(LaunchError::NoPaddock)?;
    let t = task::get(store, task_id)?;
    let (written, notes) = wire(home, &t, task_agent(&t), paddock, env)?;
    audit::record(
        store,
        NewEvent::new(
            "agent.setup",
            Actor::User,
            format!(
                "wired the {} agent of task {} to Paddock from the app",
                t.agent.as_str(),
                t.id
            ),
        )
        .task(&t.id)
        .payload(serde_json::json!({"written": written, "notes": notes})),
    )?;
    Ok(written)
}

/// Build the plan for starting `agent` on `task`; `command` overrides the
/// agent's default command line (it is split as a POSIX shell would, without
/// running a shell).
pub fn plan(
    home: &PaddockHome,
    store: &Store,
    task_id: &str,
    agent: LaunchAgent,
    command: Option<&str>,
    paddock: Option<&PaddockBinary>,
    env: &LaunchEnv<'_>,
) -> Result<LaunchPlan, LaunchError> {
    let t = task::get(store, task_id)?;
    let agent_command = match command.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.to_string(),
        None => default_command(agent, &t),
    };
    let words = shlex::split(&agent_command)
        .ok_or_else(|| LaunchError::BadQuoting(agent_command.clone()))?;
    if words.is_empty() {
        return Err(LaunchError::EmptyCommand);
    }
    let paddock_text = paddock
        .map(|p| p.path.display().to_string())
        .unwrap_or_else(|| "paddock".into());
    let mut notes = Vec::new();
    let mut argv: Vec<String> = Vec::new();
    if agent == LaunchAgent::Codex {
        // Codex reads the per-task configuration `paddock agent setup codex` writes.
        argv.extend([
            "env".to_string(),
            format!("CODEX_HOME={}", codex::codex_home(home, &t.id).display()),
        ]);
    }
    argv.extend([
        paddock_text.clone(),
        "run".into(),
        "--task".into(),
        t.id.clone(),
    ]);
    let var = env.var;
    match agent {
        LaunchAgent::Claude => {
            // Claude Code keeps its session state in its config folder: it may write there.
            let config = var("CLAUDE_CONFIG_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from);
            let own: Vec<PathBuf> = match (&config, &env.user_home) {
                (Some(dir), _) => vec![dir.clone()],
                (None, Some(h)) => vec![h.join(".claude"), h.join(".claude.json")],
                (None, None) => Vec::new(),
            };
            for p in own.iter().filter(|p| p.exists()) {
                argv.extend(["--allow-write".into(), p.display().to_string()]);
                notes.push(format!(
                    "Claude Code may write its own state in {}.",
                    p.display()
                ));
            }
            if var("ANTHROPIC_API_KEY").is_some_and(|k| !k.is_empty()) {
                argv.extend(["--keep-env".into(), "ANTHROPIC_API_KEY".into()]);
                notes.push(
                    "Your ANTHROPIC_API_KEY reaches Claude Code (kept by name; logged).".into(),
                );
            }
        }
        LaunchAgent::Codex => {
            argv.extend([
                "--allow-write".into(),
                codex::codex_home(home, &t.id).display().to_string(),
            ]);
            if var("OPENAI_API_KEY").is_some_and(|k| !k.is_empty()) {
                argv.extend(["--keep-env".into(), "OPENAI_API_KEY".into()]);
                notes.push("Your OPENAI_API_KEY reaches Codex (kept by name; logged).".into());
            }
        }
        LaunchAgent::Command => {}
    }
    argv.push("--".into());
    argv.extend(words);
    let command_line = argv
        .iter()
        .map(|w| agents::quote_for_shell(w))
        .collect::<Vec<_>>()
        .join(" ");
    let setup_needed = match paddock {
        Some(_) => !wired(home, &t, agent),
        None => agent != LaunchAgent::Command,
    };
    let terminal = terminal::find(var, env.path.as_deref());
    Ok(LaunchPlan {
        task: t.id,
        agent,
        paddock: paddock.map(|p| p.path.display().to_string()),
        paddock_source: paddock.map(|p| p.source),
        agent_command,
        argv,
        command_line,
        setup_needed,
        terminal,
        notes,
    })
}

/// What starting did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export, export_to = "../../../ui/src/backend/bindings/")]
pub struct LaunchOutcome {
    pub plan: LaunchPlan,
    /// The files `paddock agent setup` wrote (empty when the agent was wired already).
    #[ts(type = "string[]")]
    pub wired: Vec<PathBuf>,
    /// The terminal's process id.
    pub pid: u32,
}

/// Wire the agent when needed, then open the terminal running the plan's
/// command. The start is logged (`agent.launch`) with the command line.
pub fn start(
    home: &PaddockHome,
    store: &mut Store,
    task_id: &str,
    agent: LaunchAgent,
    command: Option<&str>,
    paddock: Option<&PaddockBinary>,
    env: &LaunchEnv<'_>,
) -> Result<LaunchOutcome, LaunchError> {
    let paddock = paddock.ok_or(LaunchError::NoPaddock)?;
    let t = task::get(store, task_id)?;
    let mut plan = plan(home, store, &t.id, agent, command, Some(paddock), env)?;
    let terminal = plan.terminal.clone().ok_or(LaunchError::NoTerminal)?;
    let mut wired = Vec::new();
    if plan.setup_needed {
        let (written, notes) = wire(home, &t, agent, paddock, env)?;
        wired = written;
        plan.notes.extend(notes);
        plan.setup_needed = false;
    }
    let argv: Vec<OsString> = plan.argv.iter().map(OsString::from).collect();
    let title = format!("Paddock: task {}", t.id);
    let mut cmd = std::process::Command::new(&terminal.program);
    if terminal.kind == TerminalKind::MacTerminal {
        let file = home
            .root()
            .join("run")
            .join(format!("start-{}.command", t.id));
        write_command_file(&file, &plan.command_line)?;
        cmd.args(terminal::arguments(
            TerminalKind::MacTerminal,
            &title,
            &[file.into_os_string()],
        ));
    } else {
        cmd.args(terminal::arguments(
            terminal.kind,
            &title,
            &terminal::hold_on_failure(&argv),
        ));
    }
    cmd.current_dir(&t.worktree)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // Its own process group: closing the app does not take the agent with it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|source| LaunchError::Spawn {
        terminal: terminal.name.clone(),
        source,
    })?;
    let pid = child.id();
    // Reap the terminal when it closes, so it never lingers as a zombie.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    audit::record(
        store,
        NewEvent::new(
            "agent.launch",
            Actor::User,
            format!("started in {}: {}", terminal.name, plan.command_line),
        )
        .task(&t.id)
        .payload(serde_json::json!({
            "agent": plan.agent,
            "terminal": terminal.name,
            "terminal_source": terminal.source,
            "command": plan.command_line,
            "wired": wired,
        })),
    )?;
    Ok(LaunchOutcome { plan, wired, pid })
}

fn write_command_file(path: &Path, command_line: &str) -> Result<(), LaunchError> {
    let err = |source| LaunchError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    std::fs::write(path, terminal::mac_command_file(command_line)).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_paddock_beside_the_app_wins_over_the_one_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let app_dir = dir.path().join("app");
        let bin_dir = dir.path().join("bin");
        std::fs::create_dir_all(&app_dir).unwrap();
        std::fs::create_dir_all(&bin_dir).unwrap();
        let exe = |p: &Path| {
            std::fs::write(p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        exe(&bin_dir.join("paddock"));
        let path = bin_dir.as_os_str().to_owned();
        let app = app_dir.join("paddock-app");
        let found = find_paddock(Some(&app), Some(&path)).unwrap();
        assert_eq!(found.source, PaddockSource::Path);
        exe(&app_dir.join("paddock"));
        let found = find_paddock(Some(&app), Some(&path)).unwrap();
        assert_eq!(found.source, PaddockSource::BesideApp);
        assert_eq!(found.path, app_dir.join("paddock"));
        assert_eq!(find_paddock(None, None), None);
    }
}
