//! `paddock task …`: create, list, show and discard tasks. Every decision is
//! the engine's; this file parses arguments, asks for confirmation and prints.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use paddock_engine::task::{self, Agent, NewTask, Task, TaskError};
use paddock_engine::{workspace, PaddockHome, Store};

#[derive(Subcommand)]
pub enum TaskCommand {
    /// Create a task: a branch and a worktree outside your checkout, and a goal.
    New {
        /// The repository to work on (your checkout; it is left untouched).
        #[arg(long)]
        repo: PathBuf,
        /// What the agent should change, in one sentence.
        #[arg(long)]
        goal: String,
        /// The branch to start from (default: the repository's current branch).
        #[arg(long)]
        base: Option<String>,
        /// Which agent will work on it.
        #[arg(long, value_enum, default_value_t = AgentArg::Claude)]
        agent: AgentArg,
        /// An untracked file the agent needs, relative to the repository (repeatable).
        #[arg(long = "copy", value_name = "FILE")]
        copy: Vec<PathBuf>,
        /// Create the task even though the goal has warnings (logged).
        #[arg(long)]
        accept_goal_warnings: bool,
        /// Print the created task as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tasks, newest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one task and its events.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a task's worktree and branch (asks first; the base branch is never touched).
    Discard {
        id: String,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Discard even commits nobody has reviewed and uncommitted changes.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AgentArg {
    Claude,
    Codex,
    Other,
}

impl From<AgentArg> for Agent {
    fn from(a: AgentArg) -> Self {
        match a {
            AgentArg::Claude => Agent::Claude,
            AgentArg::Codex => Agent::Codex,
            AgentArg::Other => Agent::Other,
        }
    }
}

pub fn run(command: TaskCommand) -> anyhow::Result<ExitCode> {
    let home = PaddockHome::locate()?;
    let mut store = Store::open_home(&home)?;
    match command {
        TaskCommand::New {
            repo,
            goal,
            base,
            agent,
            copy,
            accept_goal_warnings,
            json,
        } => {
            let report = workspace::inspect(&repo, base.as_deref())?;
            let new = NewTask {
                repo,
                goal,
                base,
                agent: agent.into(),
                copy,
                accept_goal_warnings,
            };
            let t = match task::create(&mut store, &home, new) {
                Ok(t) => t,
                Err(TaskError::GoalNeedsNarrowing { warnings }) => {
                    for w in &warnings {
                        eprintln!("goal warning {w}");
                    }
                    bail!(TaskError::GoalNeedsNarrowing { warnings });
                }
                Err(e) => return Err(e.into()),
            };
            for w in task::secret_warnings(&store, &t.id).unwrap_or_default() {
                eprintln!("secret warning {w}");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                println!("created task {}", t.id);
                println!("  goal      {}", t.goal);
                for w in &t.goal_warnings {
                    println!("  warning   {w} (accepted)");
                }
                println!(
                    "  branch    {} (from {} at {})",
                    t.branch,
                    t.base,
                    short(&t.base_commit)
                );
                println!("  worktree  {}", t.worktree);
                println!("  checkout  {}", report.checkout_note);
            }
            Ok(ExitCode::SUCCESS)
        }
        TaskCommand::List { json } => {
            let tasks = task::list(&store)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&tasks)?);
            } else if tasks.is_empty() {
                println!(
                    "(no tasks; create one with `paddock task new --repo PATH --goal \"...\"`)"
                );
            } else {
                for t in &tasks {
                    println!(
                        "{}  {:<15}  {:<40}  {}",
                        t.id,
                        t.state.as_str(),
                        t.branch,
                        t.goal
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TaskCommand::Show { id, json } => {
            let t = task::get(&store, &id)?;
            let events = paddock_engine::audit::list(&store, Some(&t.id))
                .context("reading the task's events")?;
            if json {
                let value = serde_json::json!({ "task": t, "events": events });
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                print_task(&t);
                println!("events:");
                for e in &events {
                    println!("  #{:<5} {}  {:<22} {}", e.id, e.at, e.kind, e.reason);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TaskCommand::Discard { id, yes, force } => {
            let preview = task::discard_preview(&store, &id)?;
            if !force && (preview.unreviewed_commits > 0 || preview.uncommitted_changes > 0) {
                // The engine's refusal, before asking anything.
                task::discard(&mut store, &home, &id, false)?;
            }
            if !yes {
                confirm(
                    &preview.task,
                    preview.unreviewed_commits,
                    preview.uncommitted_changes,
                )?;
            }
            let r = task::discard(&mut store, &home, &id, force)?;
            println!(
                "discarded task {}: removed worktree {} and branch {}; {} untouched",
                r.task.id, r.task.worktree, r.task.branch, r.task.base
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

fn print_task(t: &Task) {
    println!("task      {}", t.id);
    println!("state     {}", t.state.as_str());
    println!("goal      {}", t.goal);
    for w in &t.goal_warnings {
        println!("warning   {w} (accepted)");
    }
    println!("agent     {}", t.agent.as_str());
    println!("repo      {}", t.repo);
    println!("base      {} at {}", t.base, short(&t.base_commit));
    println!("branch    {}", t.branch);
    println!("worktree  {}", t.worktree);
    println!("created   {}", t.created_at);
}

/// Ask on a terminal; refuse when nobody can answer.
fn confirm(t: &Task, commits: u64, changes: u64) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!(
            "discarding task {} needs confirmation: pass --yes (stdin is not a terminal)",
            t.id
        );
    }
    let mut extra = String::new();
    if commits > 0 {
        extra.push_str(&format!(", {commits} unreviewed commit(s)"));
    }
    if changes > 0 {
        extra.push_str(&format!(", {changes} uncommitted change(s)"));
    }
    eprint!(
        "Discard task {} — remove worktree {} and branch {}{}? [y/N] ",
        t.id, t.worktree, t.branch, extra
    );
    std::io::stderr().flush().ok();
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        bail!("not discarded: confirmation declined")
    }
}
